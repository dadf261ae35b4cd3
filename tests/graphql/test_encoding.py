"""Responses are compact UTF-8 JSON whichever encoder wrote them."""

from __future__ import annotations

import json

from app.graphql.encoding import encode


def test_answers_are_compact_utf8_json() -> None:
    data = {"data": {"name": "Søren Ærø 北京", "n": 3, "x": 1.5, "ok": True, "none": None}}
    body = encode(data)
    assert json.loads(body) == data
    assert "Søren".encode() in body  # not escaped
    assert b": " not in body and b", " not in body


def test_what_the_quick_encoder_refuses_is_still_encoded() -> None:
    huge = 2**70  # past 64 bits
    surrogate = "\ud800 alone"  # not encodable as UTF-8
    assert json.loads(encode({"n": huge})) == {"n": huge}
    assert json.loads(encode({"s": surrogate})) == {"s": surrogate}
