"""docker-compose.yml runs only commands the CLI has, with variables the gateway reads."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
import typer
import yaml

from gateway.cli import app
from gateway.config import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
CLI = typer.main.get_command(app)


def gateway_services() -> dict[str, dict[str, Any]]:
    """Services that run the smm-gateway image (built from this repository)."""
    return {
        name: service
        for name, service in COMPOSE["services"].items()
        if service.get("build") == "."
    }


def resolve(args: list[str]) -> tuple[Any, list[str]]:
    command: Any = CLI
    rest = list(args)
    while hasattr(command, "get_command") and rest and not rest[0].startswith("-"):
        found = command.get_command(click.Context(command), rest[0])
        assert found is not None, f"smm-gateway has no command {rest[0]!r}"
        command, rest = found, rest[1:]
    return command, rest


@pytest.mark.parametrize("name", sorted(gateway_services()))
def test_every_command_exists_with_its_options(name: str) -> None:
    service = gateway_services()[name]
    command, rest = resolve(service["command"])
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for arg in rest:
        if arg.startswith("--"):
            if command.name == "simulate":
                from providers.simulator.__main__ import parser

                known = {o for a in parser()._actions for o in a.option_strings}
                assert arg in known, f"{name}: simulate has no option {arg}"
            else:
                assert arg in options, f"{name}: {command.name} has no option {arg}"


def read_variables() -> set[str]:
    """Every environment variable the gateway reads for the compose configuration."""
    names = {"SMM_GATEWAY_CONFIG", "DATABASE_URL", "REDIS_URL", "SMM_GATEWAY_DEMO_KEY"}
    for section, model in Settings.model_fields.items():
        fields = getattr(model.annotation, "model_fields", {})
        names |= {f"SMM_GATEWAY_{section.upper()}__{f.upper()}" for f in fields}
    for path in (ROOT / "deploy").glob("*.toml"):
        config = tomllib.loads(path.read_text())
        names |= {p["key_env"] for p in config.get("providers", []) if "key_env" in p}
    return names


@pytest.mark.parametrize("name", sorted(gateway_services()))
def test_environment_variables_are_ones_the_gateway_reads(name: str) -> None:
    environment = gateway_services()[name].get("environment", {})
    unknown = set(environment) - read_variables()
    assert not unknown, f"{name} sets variables nothing reads: {sorted(unknown)}"


def test_the_compose_configuration_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.config import load_config, provider_configs

    settings = load_config(ROOT / "deploy" / "gateway.toml")
    env = COMPOSE["x-gateway"]["environment"]
    keys = {k: "x" for k in env if k.endswith("_KEY")}
    assert [c.name for c in provider_configs(settings, keys)] == ["alpha", "beta", "gamma"]


def test_services_have_health_checks_and_volumes() -> None:
    services = COMPOSE["services"]
    for name in ("gateway", "postgres", "redis"):
        assert "healthcheck" in services[name] or "healthcheck" in COMPOSE["x-gateway"], name
    assert {"postgres-data", "redis-data"} <= set(COMPOSE["volumes"])


def test_the_readme_says_how_to_make_the_first_key_of_a_compose_deployment() -> None:
    """Without a key nothing can be done on the running gateway, and `serve` makes none: the
    Deployment section names the command that makes the first one, in a compose service that
    has the configuration (its file and ledger come from the environment)."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Deployment\n")
    deployment = readme[start : readme.index("\n## ", start + 1)]
    runs = re.findall(r"`docker compose run --rm (\S+) ([^`]+)`", deployment)
    assert runs, "the Deployment section says how to make the first admin key"
    for service, args in runs:
        assert service in gateway_services(), service
        environment = {
            **COMPOSE["x-gateway"]["environment"],
            **gateway_services()[service].get("environment", {}),
        }
        assert {"SMM_GATEWAY_CONFIG", "DATABASE_URL"} <= set(environment), service
        command, rest = resolve(args.split())
        assert command.name == "create", args
        assert rest[rest.index("--scope") + 1] == "admin", args
