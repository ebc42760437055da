"""Every domain's tables, imported so one metadata describes the whole schema (for Alembic)."""

from takepoint.accounts import models as accounts_models
from takepoint.catalog import models as catalog_models
from takepoint.desk import models as desk_models
from takepoint.engine import models as engine_models
from takepoint.incidents import models as incidents_models
from takepoint.incidents import record_models as incident_record_models
from takepoint.lib.db import Base
from takepoint.mail import models as mail_models
from takepoint.notify import link_models as notify_link_models
from takepoint.notify import models as notify_models
from takepoint.oncall import models as oncall_models
from takepoint.reviews import models as reviews_models
from takepoint.signals import models as signals_models
from takepoint.timeline import models as timeline_models

__all__ = [
    "Base",
    "accounts_models",
    "catalog_models",
    "desk_models",
    "engine_models",
    "incident_record_models",
    "incidents_models",
    "mail_models",
    "notify_link_models",
    "notify_models",
    "oncall_models",
    "reviews_models",
    "signals_models",
    "timeline_models",
]
