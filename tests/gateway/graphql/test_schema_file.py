"""``schema.graphql`` at the repository root is the schema the code builds."""

from __future__ import annotations

from pathlib import Path

from gateway.graphql.export import REGENERATE, sdl

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    committed = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
    assert committed == sdl(), (
        f"schema.graphql differs from the schema in the code; regenerate it with: {REGENERATE}"
    )


def test_every_type_and_field_is_described() -> None:
    from gateway.graphql.schema import build_schema

    schema = build_schema()
    missing = []
    for name, type_ in schema._schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not type_.description:
            missing.append(name)
        for field_name, field in (getattr(type_, "fields", None) or {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert missing == []
