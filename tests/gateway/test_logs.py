import logging

import pytest

from gateway import logs
from gateway.logs import redact


def test_keys_in_query_strings_are_blanked() -> None:
    assert redact("GET /api/v2?key=abc123&action=balance") == "GET /api/v2?key=***&action=balance"
    assert redact("POST https://p/api?api_key=s3cr3t") == "POST https://p/api?api_key=***"
    assert redact("action=balance") == "action=balance"


def test_access_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    logs.install()
    logs.install()  # idempotent
    logger = logging.getLogger("uvicorn.access")
    assert sum(isinstance(f, logs.RedactSecrets) for f in logger.filters) == 1
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logger.info('%s - "%s %s HTTP/1.1" %d', "127.0.0.1", "GET",
                    "/api/v2?key=smmgw_secret&action=status", 200)  # fmt: skip
    assert "smmgw_secret" not in caplog.text
    assert "key=***" in caplog.text
