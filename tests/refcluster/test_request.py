"""Request bodies and pragmas: every mistake is one line naming the field, before any engine work."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from lakeproof.errors import ConfigError
from lakeproof.jsonbody import decode_json
from lakeproof.jsonvalue import json_value
from lakeproof.refcluster.errors import BadRequestError
from lakeproof.refcluster.pragma import Pragma
from lakeproof.refcluster.request import PLAN_FIELDS, decode_body, parse_query_request
from lakeproof.refcluster.storage import parse_uri

SQL = "SELECT count(*) FROM read_parquet('s3://lake/x/*.parquet')"
DEFAULTS = Pragma()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "request body is empty; send a JSON object"),
        (b"  \n", "request body is empty; send a JSON object"),
        (
            b'{"query": "\xe9"}',
            "request body is not UTF-8: byte 0xe9 at position 11; send JSON encoded as UTF-8",
        ),
        (b"\xff\xfe{}", "request body is not UTF-8: byte 0xff at position 0; send JSON encoded as UTF-8"),
        (b'{"query": ', "request body is not valid JSON: Expecting value at position 10"),
        (
            b'{"pragma": {"query_timeout_s": NaN}}',
            "request body holds NaN, which is not a JSON number; send a finite number",
        ),
        (b"[1, 2]", "request body must be a JSON object, got an array"),
        (b'"SELECT 1"', "request body must be a JSON object, got a string"),
        (b"null", "request body must be a JSON object, got null"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_in_one_line(raw: bytes, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        decode_body(raw)
    assert str(caught.value) == reason


def test_the_proxy_names_its_own_body_in_the_same_words() -> None:
    with pytest.raises(ConfigError, match=r"^the rule holds Infinity, which is not a JSON number"):
        decode_json(b'{"hang_seconds": Infinity}', "the rule")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"query": SQL, "pragm": {}}, "unknown request field [pragm]; known fields: query, pragma, profile"),
        ({"sql": SQL}, "unknown request field [sql]; known fields: query, pragma, profile"),
        ({"pragma": {}}, 'request needs a non-empty "query" string'),
        ({"query": "   "}, 'request needs a non-empty "query" string'),
        ({"query": 42}, "request field [query] must be a string of SQL, got 42"),
        ({"query": ["SELECT 1"]}, 'request field [query] must be a string of SQL, got ["SELECT 1"]'),
        ({"query": "SELECT 1\x00"}, "request field [query] holds a NUL byte at position 8; remove it"),
        ({"query": SQL, "profile": "yes"}, 'request field [profile] must be true or false, got "yes"'),
        ({"query": SQL, "profile": 1}, "request field [profile] must be true or false, got 1"),
        ({"query": SQL, "pragma": []}, "pragma must be a JSON object, got list"),
        (
            {"query": SQL, "pragma": {"query_timeout_s": "5"}},
            "invalid pragma [query_timeout_s] = '5': input should be a valid number",
        ),
    ],
)
def test_a_bad_field_is_refused_naming_it(body: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_query_request(body, DEFAULTS)
    assert str(caught.value) == reason


def test_a_plan_takes_no_profile() -> None:
    with pytest.raises(
        BadRequestError, match=r"^unknown request field \[profile\]; known fields: query, pragma$"
    ):
        parse_query_request({"query": SQL, "profile": True}, DEFAULTS, PLAN_FIELDS)


def test_a_good_request_keeps_query_pragma_and_profile() -> None:
    request = parse_query_request({"query": SQL, "pragma": {"max_attempts": 2}, "profile": True}, DEFAULTS)
    assert (request.query, request.pragma.max_attempts, request.profile) == (SQL, 2, True)
    assert parse_query_request({"query": SQL}, DEFAULTS).profile is False


@pytest.mark.parametrize("option", ["target_split_size", "parquet_target_size", "coalesce_target_size"])
@pytest.mark.parametrize("size", [-5, 0, 1, 1023])
def test_split_sizes_below_a_kilobyte_are_refused_naming_option_and_bound(option: str, size: int) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_query_request({"query": SQL, "pragma": {option: size}}, DEFAULTS)
    assert (
        str(caught.value)
        == f"invalid pragma [{option}] = {size}: input should be greater than or equal to 1024"
    )


@pytest.mark.parametrize("option", ["target_split_size", "parquet_target_size", "coalesce_target_size"])
def test_a_split_size_of_one_kilobyte_is_allowed(option: str) -> None:
    request = parse_query_request({"query": SQL, "pragma": {option: 1024}}, DEFAULTS)
    assert getattr(request.pragma, option) == 1024


@pytest.mark.parametrize("uri", ["s3://lake", "s3://lake/", "http://lake/x", "s3:///x"])
def test_an_object_uri_needs_bucket_and_key(uri: str) -> None:
    with pytest.raises(BadRequestError, match=r"^invalid object URI .*; use s3://bucket/key"):
        parse_uri(uri)


def test_answer_values_of_every_duckdb_kind_are_json() -> None:
    value = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    assert json.loads(json.dumps(json_value([value]))) == ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]
