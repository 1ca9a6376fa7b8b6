"""Request bodies of the kit's HTTP APIs (coordinator, fault proxy control): bytes to JSON.

One place decides what a body must be, so both APIs refuse the same mistakes with the same
one line: an empty body, bytes that are not UTF-8, text that is not JSON, and the ``NaN`` and
``Infinity`` that Python's json module would otherwise read although no JSON client sends them.
"""

from __future__ import annotations

import json
from typing import Any

from lakeproof.errors import ConfigError


def decode_json(raw: bytes, what: str = "request body") -> Any:
    """The JSON value ``raw`` holds; ConfigError with one line saying what is wrong with ``what``."""
    if not raw.strip():
        raise ConfigError(f"{what} is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{what} is not UTF-8: byte 0x{raw[exc.start]:02x} at position {exc.start}; "
            "send JSON encoded as UTF-8"
        ) from None

    def refuse_constant(name: str) -> Any:
        raise ConfigError(f"{what} holds {name}, which is not a JSON number; send a finite number")

    try:
        return json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc.msg} at position {exc.pos}") from None


def json_kind(value: object) -> str:
    """What kind of JSON value ``value`` is, in words (``an array``, ``a string`` ...)."""
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "a boolean"),
        ((int, float), "a number"),
        (str, "a string"),
        (list, "an array"),
        (dict, "an object"),
    ]
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")
