"""The console is served from the package: the page and every asset it names (and every module
those import) answer 200 from the running app, byte for byte the files in ``gateway/console/
static``, with the Content-Security-Policy; nothing points beyond the gateway."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import httpx

from gateway.console import CONTENT_SECURITY_POLICY
from tests.gateway.graphql.server import Server

STATIC = Path(__file__).parents[3] / "gateway" / "console" / "static"
IMPORT = re.compile(r"""^import\s[^"']*["'](\./[\w-]+\.js)["'];""", re.MULTILINE)
REFERENCE = re.compile(r"""(?:src|href)="(/console/static/[^"]+)\"""")


async def _served(http: httpx.AsyncClient, server: Server, path: str) -> httpx.Response:
    answer = await http.get(server.base_url + path)
    assert answer.status_code == 200, path
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
    assert answer.headers["x-content-type-options"] == "nosniff"
    return answer


async def test_every_asset_the_page_names_is_served_from_the_package(
    server: Server, http: httpx.AsyncClient
) -> None:
    page = await _served(http, server, "/console")
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    named = REFERENCE.findall(page.text)
    assert {"/console/static/js/app.js", "/console/static/console.css"} <= set(named)
    assert "<script>" not in page.text, "no inline script"
    assert 'content="/graphql"' in page.text

    # Follow the modules' imports from app.js: every page's script is reached and served.
    queue = [name for name in named if name.endswith(".js")]
    reached: set[str] = set()
    while queue:
        path = queue.pop()
        if path in reached:
            continue
        reached.add(path)
        answer = await _served(http, server, path)
        assert "javascript" in answer.headers["content-type"], path
        queue += [path.rsplit("/", 1)[0] + "/" + name[2:] for name in IMPORT.findall(answer.text)]
    for path in named + sorted(reached):
        answer = await _served(http, server, path)
        local = STATIC / path.removeprefix("/console/static/")
        assert answer.content == local.read_bytes(), path
        # The SVG namespace is a name, not an address the browser fetches.
        text = answer.text.replace('"http://www.w3.org/2000/svg"', "")
        assert not re.search("https?://", text), path
        assert not re.search("innerHTML|outerHTML|insertAdjacentHTML|document.write", text), path
    shipped = {f"/console/static/js/{p.name}" for p in (STATIC / "js").glob("*.js")}
    assert shipped == {p for p in reached if p.endswith(".js")}, "a module no page imports"


async def test_the_console_without_its_slash_and_unknown_assets(
    server: Server, http: httpx.AsyncClient
) -> None:
    moved = await http.get(server.base_url + "/console/")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/console"
    missing = await http.get(server.base_url + "/console/static/js/nothing.js")
    assert missing.status_code == 404
    # The package's Python files are no assets.
    for path in ("/console/static/%2e%2e/pages.py", "/console/static/..%2fpages.py"):
        assert (await http.get(server.base_url + path)).status_code == 404, path


def test_every_console_file_is_package_data() -> None:
    """pyproject's package-data patterns for the console cover every file it serves, so a
    wheel (``pip install``) carries them all."""
    project = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text("utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["gateway.console"]
    files = [p.relative_to(STATIC.parent).as_posix() for p in STATIC.rglob("*") if p.is_file()]
    assert len(files) >= 12
    left_out = [f for f in files if not any(fnmatch(f, pattern) for pattern in patterns)]
    assert left_out == []
