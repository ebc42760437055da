"""Every domain's tables, imported so one metadata describes the whole schema (for Alembic)."""

from takepoint.accounts import models as accounts_models
from takepoint.engine import models as engine_models
from takepoint.lib.db import Base

__all__ = ["Base", "accounts_models", "engine_models"]
