"""`body.form_fields` reads a urlencoded body as ``dict(parse_qsl(...))`` does, on a table of odd
bodies: the same fields, in the same order, and the same refusal past `MAX_FIELDS`."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from gateway.rest.body import MAX_FIELDS, BodyError, form_fields

BODIES = [
    b"", b"&", b"&&", b"a", b"a=", b"=", b"=b", b"a=b&a=c", b"a=1&&b=2", b"a=b=c", b"k%3Dx=1",
    b"a+b=c+d", b"a=%ZZ", b"a=%C3%A9", b"\xff=\xfe", b"a=1;b=2", b"key=abc&action=services",
    b"a=b&", b"&a", b"a=%2B+x", b"a=1&b=%26&a=2", b"%=%", b"+=+", b"a=\xc3\xa9",
]  # fmt: skip


@pytest.mark.parametrize("body", BODIES)
def test_fields_are_those_parse_qsl_reads(body: bytes) -> None:
    text = body.decode("utf-8", errors="replace")
    expected = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS))
    got = form_fields(body)
    assert got == expected
    assert list(got) == list(expected)


def test_too_many_fields_are_refused_as_parse_qsl_refuses_them() -> None:
    assert len(form_fields("&".join(["x=1"] * MAX_FIELDS).encode())) == 1
    with pytest.raises(BodyError, match="Max number of fields exceeded"):
        form_fields("&".join(["x=1"] * (MAX_FIELDS + 1)).encode())
