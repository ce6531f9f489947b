"""Print the schema as SDL: ``python -m gateway.graphql.export > schema.graphql``."""

from __future__ import annotations

from gateway.graphql.schema import build_schema

REGENERATE = "python -m gateway.graphql.export > schema.graphql"


def sdl() -> str:
    """The schema's SDL, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
