"""Reading request bodies within a size bound, and the v2 parameters in any encoding.

A v2 call's fields arrive as a form POST (urlencoded or multipart), a GET query string or a
JSON object; all three give the same flat ``{name: text}`` mapping, the body's fields winning
over the query's, a list field's values joined in each (`gathered`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive

MAX_FIELDS = 1000
BOM = b"\xef\xbb\xbf"
"""UTF-8's byte order mark: before the first field of a body written by a file saved "UTF-8 with
BOM" (hand-built PHP bodies); no part of the field's name."""
# Fields that are one item per line when a JSON client sends them as a list.
LINE_FIELDS = frozenset({"comments", "usernames", "keywords", "hashtags", "groups"})
ID_LISTS = frozenset({"orders", "refills"})
"""Fields that are comma lists of ids."""


def _separator(name: str) -> str | None:
    """What joins the values of a list field (`LINE_FIELDS`, `ID_LISTS`); None for others."""
    if name in LINE_FIELDS:
        return "\n"
    return "," if name in ID_LISTS else None


def gathered(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Fields from (name, value) pairs as sent: a list field sent more than once (Python's
    requests sends ``data={"orders": [1, 2]}`` as ``orders=1&orders=2``) is every value, joined
    as a JSON list of it is; any other field is the last value sent (as PHP panels read one)."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        separator = _separator(name)
        if separator is not None and name in fields:
            value = fields[name] + separator + value
        fields[name] = value
    return fields


class BodyError(Exception):
    """The body cannot be read as v2 fields."""


class BodyTooLarge(BodyError):
    pass


async def read_limited(request: Request, max_bytes: int) -> bytes:
    """The whole body, refusing one longer than `max_bytes` before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BodyError("bad Content-Length")
        if int(declared) > max_bytes:
            raise BodyTooLarge(f"body over {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"body over {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_limited(receive: Receive, declared: str | None, max_bytes: int) -> bytes:
    """`read_limited` straight from the ASGI `receive`, given the ``Content-Length`` header
    (`declared`): no `Request` made for it. A caller gone raises `ClientDisconnect`."""
    if declared is not None:
        if not declared.isdigit():
            raise BodyError("bad Content-Length")
        if int(declared) > max_bytes:
            raise BodyTooLarge(f"body over {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"body over {max_bytes} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _text(value: int | float | str) -> str:
    """A JSON scalar as a form would carry it. A boolean is its JSON word (``true``), never
    ``1``: no v2 field is a flag, and ``"1"`` is an id or a count (``"service": true`` ordered
    service 1)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar(name: str, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | float | str):
        return _text(value)
    if isinstance(value, list) and all(isinstance(v, int | float | str) for v in value):
        return (_separator(name) or ",").join(_text(v) for v in value)
    raise BodyError(f"field {name!r} must be text, a number or a list of them")


def json_fields(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # Our sentence, not the decoder's (which quotes positions and the input).
        raise BodyError("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BodyError("the JSON body must be an object")
    fields: dict[str, str] = {}
    for name, value in data.items():
        text = _scalar(str(name), value)
        if text is not None:
            fields[str(name)] = text
    return fields


def form_fields(body: bytes) -> dict[str, str]:
    """The fields of a urlencoded `body`, as ``dict(parse_qsl(text, keep_blank_values=True))``
    reads them, a repeated name `gathered` (the last wins, but for list fields); plain parts
    (no ``%`` or ``+``, as panel keys and actions are) are taken as they are, the rest decoded
    by `parse_qsl` itself. A leading `BOM` is dropped."""
    text = body.removeprefix(BOM).decode("utf-8", errors="replace")
    if not text:
        return {}
    if text.count("&") >= MAX_FIELDS:
        raise BodyError("Max number of fields exceeded")
    pairs: list[tuple[str, str]] = []
    for part in text.split("&"):
        if not part:
            continue
        if "%" in part or "+" in part:
            pairs.extend(parse_qsl(part, keep_blank_values=True))
            continue
        name, _, value = part.partition("=")
        pairs.append((name, value))
    return gathered(pairs)


async def multipart_fields(request: Request, body: bytes) -> dict[str, str]:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    copy = Request(request.scope, receive)
    try:
        async with copy.form(max_files=0, max_fields=MAX_FIELDS) as form:
            return gathered((k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile))
    except Exception as exc:  # python-multipart raises several unrelated types
        raise BodyError(f"malformed multipart body: {exc}") from None


FORM = "application/x-www-form-urlencoded"
_SNIFFED = frozenset({"", "text/plain", FORM})
"""Content types a JSON object comes as from clients that do not say it is one: none, text, or
a form's (PHP's curl posting ``json_encode(...)`` keeps its default type). No form starts with
``{``."""


def _reads_as_json(content_type: str, body: bytes) -> bool:
    """Whether a body of `content_type` (its media type, lower case) is read as JSON: declared
    so (``application/json``, or any ``+json`` type), or a JSON object sent as `_SNIFFED`."""
    if content_type == "application/json" or content_type.endswith("+json"):
        return True
    return content_type in _SNIFFED and body.lstrip()[:1] == b"{"


async def v2_fields(request: Request, max_bytes: int) -> dict[str, str]:
    """The v2 fields of `request`: its query string, overlaid by its body's fields."""
    # No query string (a form POST, the usual case): no `QueryParams` made for nothing.
    query = request.scope.get("query_string")
    fields = gathered(request.query_params.multi_items()) if query else {}
    if request.method in ("GET", "HEAD"):
        return fields
    if hasattr(request, "_body"):  # read already
        body = await read_limited(request, max_bytes)
    else:
        declared = request.headers.get("content-length")
        body = await receive_limited(request.receive, declared, max_bytes)
        request._body = body
    body = body.removeprefix(BOM)
    if not body.strip():
        return fields
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if _reads_as_json(content_type, body):
        fields.update(json_fields(body))
    elif content_type == "multipart/form-data":
        fields.update(await multipart_fields(request, body))
    else:
        fields.update(form_fields(body))
    return fields


async def json_body(request: Request, max_bytes: int) -> object:
    """A JSON request body (the management API), bounded; an empty body is ``{}``."""
    body = await read_limited(request, max_bytes)
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # Our sentence, not the decoder's (which quotes positions and the input).
        raise BodyError("the body is not valid JSON") from None
