"""Reading a call's fields however they travel: query string, form body or JSON body.

Panels are lenient here, and malformed input must end in the profile's error answer, never a
server error, so every decoding failure becomes `PanelError(BAD_REQUEST)`.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
from urllib.parse import parse_qsl

from starlette.requests import Request

from .problems import PanelError, Problem
from .profiles import Encoding

MAX_BODY = 4 * 1024 * 1024


def _text(value: object) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        # A JSON body may send ids (and comment lines) as a list.
        return ",".join(t for t in (_text(v) for v in value) if t is not None)
    return str(value)


def _json_fields(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise PanelError(Problem.BAD_REQUEST) from None
    if not isinstance(data, dict):
        raise PanelError(Problem.BAD_REQUEST)
    return {str(k): t for k, v in data.items() if (t := _text(v)) is not None}


def _multipart_fields(content_type: str, body: bytes) -> dict[str, str]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    if not message.is_multipart():
        raise PanelError(Problem.BAD_REQUEST)
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if name and isinstance(payload, bytes):
            fields[str(name)] = payload.decode("utf-8", "replace")
    return fields


async def read_params(request: Request) -> tuple[Encoding, dict[str, str]]:
    """The call's encoding and fields (query-string fields under any body fields)."""
    query = dict(request.query_params)
    if request.method in ("GET", "HEAD"):
        return Encoding.QUERY, query
    body = await request.body()
    if len(body) > MAX_BODY:
        raise PanelError(Problem.BAD_REQUEST)
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or (not media and body.lstrip()[:1] == b"{"):
        return Encoding.JSON, {**query, **_json_fields(body)}
    if media == "multipart/form-data":
        return Encoding.FORM, {**query, **_multipart_fields(content_type, body)}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    return Encoding.FORM, {**query, **dict(parse_qsl(text, keep_blank_values=True))}


def split_ids(text: str) -> list[str]:
    """The ids of a batch field: ``"1, 2,3"`` is ``["1", "2", "3"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]
