"""The gateway, not the provider library, keeps httpx's request lines out of its log."""

import subprocess
import sys


def _httpx_level(setup: str) -> int:
    code = f"import logging; from gateway import logs; {setup}; logs.install(); " + (
        "print(logging.getLogger('httpx').level)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(run.stdout)


def test_installing_the_gateways_logging_quiets_httpx_unless_a_level_was_chosen() -> None:
    assert _httpx_level("pass") == 30
    assert _httpx_level("logging.getLogger('httpx').setLevel(logging.DEBUG)") == 10
