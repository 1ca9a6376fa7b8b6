"""The coordinator's request bodies: bytes to a checked request, before any engine work.

Body of ``POST /query``, ``POST /query/async`` and ``POST /plan`` (a plan takes no ``profile``)::

    {"query": "SELECT ...", "pragma": {"query_timeout_s": 5, ...}, "profile": true}

``query`` is required; ``pragma`` defaults to the engine's settings and ``profile`` to false.
Every mistake is refused with one line naming the field: a body that is not UTF-8 or not a JSON
object, a field the endpoint does not know (a typo such as ``"pragm"`` must never silently mean
"no pragmas"), a value of the wrong type, a NUL byte in the query.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from lakeproof.errors import ConfigError
from lakeproof.jsonbody import decode_json, json_kind
from lakeproof.refcluster.errors import BadRequestError
from lakeproof.refcluster.pragma import Pragma, parse_pragma

Field = Literal["query", "pragma", "profile"]
QUERY_FIELDS: tuple[Field, ...] = ("query", "pragma", "profile")
"""What ``/query`` and ``/query/async`` accept."""
PLAN_FIELDS: tuple[Field, ...] = ("query", "pragma")
"""What ``/plan`` accepts for a query (a synthetic plan has its own fields, see ``synthetic``)."""


@dataclass(frozen=True)
class QueryRequest:
    """A checked request: the SQL, its settings and whether the answer carries the profile."""

    query: str
    pragma: Pragma
    profile: bool = False


def decode_body(raw: bytes) -> dict[str, Any]:
    """The JSON object a request body holds; ConfigError with one line naming what is wrong."""
    body = decode_json(raw)
    if not isinstance(body, dict):
        raise ConfigError(f"request body must be a JSON object, got {json_kind(body)}")
    return body


def _shown(value: object) -> str:
    """A JSON value as the caller wrote it, cut short."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_query_request(
    body: Mapping[str, Any], defaults: Pragma, fields: tuple[Field, ...] = QUERY_FIELDS
) -> QueryRequest:
    """Check ``body`` against the endpoint's ``fields``; BadRequestError naming the bad field."""
    if unknown := sorted(set(body) - set(fields)):
        raise BadRequestError(f"unknown request field [{unknown[0]}]; known fields: {', '.join(fields)}")
    query = body.get("query")
    if query is None:
        raise BadRequestError('request needs a non-empty "query" string')
    if not isinstance(query, str):
        raise BadRequestError(f"request field [query] must be a string of SQL, got {_shown(query)}")
    if not query.strip():
        raise BadRequestError('request needs a non-empty "query" string')
    if (nul := query.find("\x00")) >= 0:
        raise BadRequestError(f"request field [query] holds a NUL byte at position {nul}; remove it")
    profile = body.get("profile", False)
    if not isinstance(profile, bool):
        raise BadRequestError(f"request field [profile] must be true or false, got {_shown(profile)}")
    try:
        pragma = parse_pragma(body.get("pragma"), defaults)
    except ConfigError as exc:
        raise BadRequestError(str(exc)) from None
    return QueryRequest(query, pragma, profile)
