"""Answers are encoded by orjson only where that gives the text Strawberry's encoder gives:
the same text, byte for byte, on a table of values where the two encoders differ or decline."""

from __future__ import annotations

import enum
import math
import random
import struct
from typing import Any

import pytest

from gateway.graphql.encoding import answer_text, standard_text


class Word(enum.StrEnum):
    A = "a"


class Count(enum.IntEnum):
    TWO = 2


ODD: list[Any] = [
    {"data": {"services": {"nodes": [{"id": 1, "name": "x", "rate": {"amount": "0.5"}}]}}},
    {"name": "Caf\u00e9 \u2014 \U0001f600"},
    {"text": 'del \x7f, tab \t, nul \x00, quote ", backslash \\, slash /'},
    {"floats": [1e-5, 2.5e-5, 1e-4, 0.1, 1e15, 1e16, 1e22, -0.0, 5e-324, 1.7976931348623157e308]},
    {"big": 2**64, "small": -(2**63), "edge": 2**63 - 1},
    {"looks like a float": "5e 1e-05 0.00001"},
    {1: "a non-text key"},
    {"str enum": Word.A, "int enum": Count.TWO},
    {"tuple": (1, "two", None, True, False)},
    [],
    {},
]


@pytest.mark.parametrize("value", ODD)
def test_the_same_text_as_strawberrys_encoder(value: Any) -> None:
    assert answer_text(value) == standard_text(value)


def test_the_same_text_for_many_floats() -> None:
    draw = random.Random(16)
    floats = [struct.unpack("d", struct.pack("Q", draw.getrandbits(64)))[0] for _ in range(5000)]
    floats += [draw.random() * 10 ** draw.randint(-9, 22) for _ in range(5000)]
    for value in (f for f in floats if math.isfinite(f)):
        assert answer_text({"seconds": value}) == standard_text({"seconds": value})


def test_what_neither_encodes_still_fails() -> None:
    with pytest.raises(TypeError):
        answer_text({"a set": {1, 2}})
