"""Validation of fault rules: good rules are accepted, bad ones refused with one readable reason."""

from __future__ import annotations

from typing import Any

import pytest

from lakeproof.faultproxy import ACTIONS, OPERATIONS, InvalidRuleError, parse_rule
from lakeproof.faultproxy.rules import DEFAULT_HANG_SECONDS

LISTENERS = ("coordinator", "node-1")
ACTION_NAMES = (
    "slowdown_503, internal_error_500, not_found_404, forbidden_403, reset_before_response, "
    "reset_after_bytes, latency, slow_body, truncated_body, hang"
)


def test_every_action_is_accepted_with_its_parameters() -> None:
    parameters: dict[str, dict[str, Any]] = {
        "reset_after_bytes": {"bytes": 10},
        "truncated_body": {"bytes": 10},
        "latency": {"latency_ms": 5},
        "slow_body": {"rate": 100},
    }
    for action in ACTIONS:
        assert parse_rule({"action": action, **parameters.get(action, {})}).action == action


def test_operation_takes_one_name_or_a_list_in_any_case() -> None:
    assert parse_rule({"action": "hang", "operation": "range_get"}).operation == ("RANGE_GET",)
    assert parse_rule({"action": "hang", "operation": ["GET", "head"]}).operation == ("GET", "HEAD")
    assert parse_rule({"action": "hang"}).operation is None
    assert parse_rule({"action": "hang", "operation": None}).operation is None
    assert set(OPERATIONS) >= {"GET", "RANGE_GET", "HEAD", "LIST", "PUT", "DELETE", "OTHER"}


def test_defaults() -> None:
    rule = parse_rule({"action": "hang"})
    assert (rule.skip, rule.probability, rule.seed, rule.times, rule.per_request) == (0, 1.0, 0, None, None)
    assert rule.hang_limit == DEFAULT_HANG_SECONDS == 300
    assert parse_rule({"action": "hang", "hang_seconds": 2.5}).hang_limit == 2.5


def test_listener_must_be_one_of_the_proxy_listeners() -> None:
    assert parse_rule({"action": "hang", "listener": "node-1"}, LISTENERS).listener == "node-1"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"action": "slowdown"},
            f"unknown fault action 'slowdown'; use one of: {ACTION_NAMES}",
        ),
        (
            {"action": "hang", "operation": "FETCH"},
            "unknown S3 operation 'FETCH'; use one of: GET, RANGE_GET, HEAD, LIST, PUT, DELETE, OTHER",
        ),
        (
            {"action": "hang", "operation": ["GET", "LS"]},
            "unknown S3 operation 'LS'; use one of: GET, RANGE_GET, HEAD, LIST, PUT, DELETE, OTHER",
        ),
        (
            {"action": "hang", "listener": "node-9"},
            "unknown listener 'node-9'; this proxy has: coordinator, node-1",
        ),
        (
            {"action": "hang", "times": -1},
            "invalid value -1 for rule field 'times'; "
            "use a whole number of at least 1 (leave it out for no limit)",
        ),
        (
            {"action": "hang", "skip": -2},
            "invalid value -2 for rule field 'skip'; use a whole number of at least 0",
        ),
        (
            {"action": "hang", "probability": 1.5},
            "invalid value 1.5 for rule field 'probability'; use a number between 0 and 1",
        ),
        (
            {"action": "reset_after_bytes"},
            "action 'reset_after_bytes' needs rule field 'bytes': a whole number of bytes of at least 0",
        ),
        (
            {"action": "hang", "colour": "red"},
            "unknown rule field 'colour'; use one of: action, operation, bucket, key, listener, prefix, "
            "times, skip, per_request, probability, seed, status, message, bytes, latency_ms, rate, "
            "hang_seconds",
        ),
        (
            {"action": "latency", "latency_ms": 5, "bytes": 3},
            "rule field 'bytes' does not apply to action 'latency'; "
            "it is for: reset_after_bytes, truncated_body",
        ),
        (
            {"action": "slowdown_503", "status": 200},
            "invalid value 200 for rule field 'status'; use an HTTP error status between 400 and 599",
        ),
        (
            {},
            f"rule field 'action' is required; use one of: {ACTION_NAMES}",
        ),
        (["hang"], "a fault rule must be a JSON object of rule fields, got ['hang']"),
    ],
)
def test_a_bad_rule_is_refused_with_a_readable_reason(fields: Any, reason: str) -> None:
    with pytest.raises(InvalidRuleError) as caught:
        parse_rule(fields, LISTENERS)
    assert str(caught.value) == reason
    assert "\n" not in str(caught.value)


def test_every_problem_is_named_on_one_line() -> None:
    with pytest.raises(InvalidRuleError) as caught:
        parse_rule({"action": "hang", "times": 0, "skip": -1})
    assert str(caught.value).count("invalid value") == 2
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"action": "hang", "hang_seconds": 1e12},
            "invalid value 1000000000000.0 for rule field 'hang_seconds'; "
            "use a number of seconds greater than 0 and at most 3600 (one hour)",
        ),
        (
            {"action": "hang", "hang_seconds": "30"},
            "invalid value '30' for rule field 'hang_seconds'; "
            "use a number of seconds greater than 0 and at most 3600 (one hour)",
        ),
        (
            {"action": "latency", "latency_ms": 3_600_001},
            "invalid value 3600001 for rule field 'latency_ms'; "
            "use a whole number of milliseconds from 0 to 3600000 (one hour)",
        ),
        (
            {"action": "slow_body", "rate": 2**41},
            f"invalid value {2**41} for rule field 'rate'; "
            f"use a whole number of bytes per second from 1 to {2**40}",
        ),
        (
            {"action": "slowdown_503", "times": True},
            "invalid value True for rule field 'times'; "
            "use a whole number of at least 1 (leave it out for no limit)",
        ),
    ],
)
def test_unbounded_or_mistyped_numbers_are_refused_naming_field_and_bound(
    fields: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidRuleError) as caught:
        parse_rule(fields)
    assert str(caught.value) == reason


def test_the_longest_waits_allowed_are_an_hour() -> None:
    assert parse_rule({"action": "hang", "hang_seconds": 3600}).hang_limit == 3600
    assert parse_rule({"action": "latency", "latency_ms": 3_600_000}).latency_ms == 3_600_000
