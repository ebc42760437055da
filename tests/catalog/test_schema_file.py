"""docs/catalog.schema.json is what the code generates; regenerate it with
`takepoint export --schema -o docs/catalog.schema.json`."""

from __future__ import annotations

import json
from pathlib import Path

from takepoint.lib.apply import json_schema
from takepoint.wiring import build_registry

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "catalog.schema.json"


def test_it_ships_the_json_schema_the_code_generates() -> None:
    committed = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == json_schema(build_registry().apply_sections), (
        "docs/catalog.schema.json is out of date: "
        "run takepoint export --schema -o docs/catalog.schema.json"
    )


def test_it_describes_every_section() -> None:
    sections = build_registry().apply_sections
    properties = json_schema(sections)["properties"]
    assert set(properties) == {"version", *(s.key for s in sections)}
    assert properties["services"]["description"].startswith("Services")
