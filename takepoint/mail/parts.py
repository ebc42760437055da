"""What desk mail contributes."""

from __future__ import annotations

from takepoint.lib.registry import DomainParts

PARTS = DomainParts(name="mail")
