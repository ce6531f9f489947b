"""The operator's console at ``/console``: plain pages (HTML, CSS, JavaScript modules shipped in
the package, no build step, nothing from a CDN) that read and act only through ``/graphql`` and
``/v1`` with the operator key typed into the page, so the console can do nothing the key could not.

Modules: `pages` (the routes and their security headers); ``static/`` holds the page, its style
and one script per page (``js/``).
"""

from __future__ import annotations

from gateway.console.pages import CONTENT_SECURITY_POLICY, PATH, routes

__all__ = ["CONTENT_SECURITY_POLICY", "PATH", "routes"]
