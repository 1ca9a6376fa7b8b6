"""Which requests a rule faults: field matching, skip, per_request, probability, times, rule order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakeproof.faultproxy.names import Operation
from lakeproof.faultproxy.rulebook import RuleBook
from lakeproof.faultproxy.s3request import S3Request

LISTENERS = ("coordinator", "node-1", "node-2")


def read(
    key: str = "run-1/part-0.parquet",
    operation: Operation = "RANGE_GET",
    bucket: str = "lake",
    listener: str = "coordinator",
    range_: str | None = "bytes=0-99",
) -> S3Request:
    method = {"HEAD": "HEAD", "PUT": "PUT", "DELETE": "DELETE"}.get(operation, "GET")
    return S3Request(listener, method, operation, bucket, key, range_)


def book_with(**fields: Any) -> RuleBook:
    book = RuleBook(LISTENERS)
    book.add({"action": "slowdown_503", **fields})
    return book


def faulted(book: RuleBook, requests: Sequence[S3Request]) -> list[bool]:
    return [book.decide(request) is not None for request in requests]


@pytest.mark.parametrize(
    ("fields", "matching", "other"),
    [
        ({"operation": "RANGE_GET"}, read(), read(operation="GET", range_=None)),
        ({"operation": ["HEAD", "LIST"]}, read(operation="HEAD"), read()),
        ({"bucket": "lake"}, read(), read(bucket="other")),
        ({"key": "*/part-0.parquet"}, read(), read(key="run-1/part-1.parquet")),
        ({"key": "run-?/part-[0-3].parquet"}, read(), read(key="run-1/part-7.parquet")),
        ({"listener": "node-1"}, read(listener="node-1"), read(listener="node-2")),
        ({"prefix": "run-1/"}, read(), read(key="run-10/part-0.parquet")),
        (
            {"prefix": "run-1/", "operation": "LIST"},
            read(operation="LIST", key="run-1/"),
            read(operation="LIST", key=""),
        ),
    ],
)
def test_a_rule_faults_only_requests_matching_every_field(
    fields: dict[str, Any], matching: S3Request, other: S3Request
) -> None:
    book = book_with(**fields)
    assert faulted(book, [other, matching]) == [False, True]


def test_a_rule_without_selection_fields_matches_everything() -> None:
    assert (
        faulted(book_with(), [read(), read(operation="PUT"), read(operation="OTHER", key="")]) == [True] * 3
    )


def test_skip_lets_the_first_matching_requests_through() -> None:
    assert faulted(book_with(skip=2), [read()] * 4) == [False, False, True, True]


def test_times_removes_the_rule_after_its_last_fault() -> None:
    book = book_with(times=2)
    assert faulted(book, [read()] * 3) == [True, True, False]
    assert book.rules() == []


def test_per_request_faults_the_first_attempts_of_every_distinct_read() -> None:
    book = book_with(per_request=2)
    a, b, a_tail = read(key="a"), read(key="b"), read(key="a", range_="bytes=100-199")
    # Interleaved attempts of three logical reads: each is faulted twice, then succeeds.
    assert faulted(book, [a, b, a, a_tail, b, a, b, a_tail, a_tail]) == [
        True, True, True, True, True, False, False, True, False,
    ]  # fmt: skip


def test_skip_comes_before_the_per_request_countdown() -> None:
    assert faulted(book_with(skip=1, per_request=1), [read()] * 3) == [False, True, False]


def test_per_request_and_times_together_stop_at_the_first_limit_reached() -> None:
    book = book_with(per_request=2, times=3)
    assert faulted(book, [read(key="a"), read(key="a"), read(key="b"), read(key="b")]) == [
        True,
        True,
        True,
        False,
    ]


def test_probability_zero_never_faults_and_one_always_does() -> None:
    requests = [read(key=f"k{i}") for i in range(50)]
    assert not any(faulted(book_with(probability=0), requests))
    assert all(faulted(book_with(probability=1), requests))


def test_probability_faults_about_that_share_of_requests() -> None:
    requests = [read(key=f"k{i}") for i in range(2000)]
    share = sum(faulted(book_with(probability=0.25, seed=7), requests)) / len(requests)
    assert 0.2 < share < 0.3


def test_another_seed_faults_other_requests() -> None:
    requests = [read(key=f"k{i}") for i in range(200)]
    assert faulted(book_with(probability=0.5, seed=1), requests) != faulted(
        book_with(probability=0.5, seed=2), requests
    )


def _outcomes(requests: Sequence[S3Request], probability: float, seed: int) -> Counter[tuple[Any, ...]]:
    """Which (logical read, attempt number) were faulted, independent of arrival order."""
    book = book_with(probability=probability, seed=seed)
    attempts: Counter[tuple[str, str, str]] = Counter()
    outcomes: Counter[tuple[Any, ...]] = Counter()
    for request in requests:
        attempts[request.identity] += 1
        outcomes[request.identity, attempts[request.identity], book.decide(request) is not None] += 1
    return outcomes


_requests = st.lists(
    st.builds(
        read,
        key=st.sampled_from(["a", "b", "run-1/c", "run-1/d"]),
        listener=st.sampled_from(LISTENERS),
        range_=st.sampled_from([None, "bytes=0-9", "bytes=10-19"]),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    requests=_requests,
    probability=st.floats(0, 1),
    seed=st.integers(0, 2**32),
    data=st.data(),
)
def test_probability_is_reproducible_whatever_the_request_order(
    requests: list[S3Request], probability: float, seed: int, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(requests))
    # Which reader sends a read does not matter either: the same read, the same decision.
    relabelled = [
        S3Request(data.draw(st.sampled_from(LISTENERS)), r.method, r.operation, r.bucket, r.key, r.range)
        for r in shuffled
    ]
    assert _outcomes(requests, probability, seed) == _outcomes(relabelled, probability, seed)


def test_the_first_rule_that_faults_wins_and_later_rules_are_not_consumed() -> None:
    book = RuleBook(LISTENERS)
    first = book.add({"action": "internal_error_500", "key": "a", "times": 1})
    second = book.add({"action": "slowdown_503", "times": 1})
    assert book.decide(read(key="a")) is first
    assert second.matched == 0
    assert book.decide(read(key="a")) is second
    assert book.decide(read(key="a")) is None


def test_a_rule_that_lets_a_request_through_leaves_it_to_the_next_rule() -> None:
    book = RuleBook(LISTENERS)
    skipping = book.add({"action": "internal_error_500", "skip": 1})
    catching = book.add({"action": "slowdown_503"})
    assert book.decide(read()) is catching
    assert book.decide(read()) is skipping
    assert (skipping.matched, skipping.hits, catching.hits) == (2, 1, 1)


def test_rules_are_listed_found_and_removed_by_id() -> None:
    book = RuleBook(LISTENERS)
    first, second = book.add({"action": "hang"}), book.add({"action": "latency", "latency_ms": 1})
    assert [rule.id for rule in book.rules()] == [first.id, second.id]
    assert book.get(second.id) is second
    assert book.remove(first.id) is first
    assert book.remove(first.id) is None
    assert book.get(first.id) is None
    assert book.clear() == 1
    assert book.rules() == []
    assert book.add({"action": "hang"}).id not in {first.id, second.id}


def test_describe_shows_the_fields_given_and_the_counters() -> None:
    book = book_with(key="*.parquet", times=3)
    book.decide(read())
    (rule,) = book.rules()
    assert rule.describe() == {
        "id": rule.id,
        "action": "slowdown_503",
        "key": "*.parquet",
        "times": 3,
        "skip": 0,
        "probability": 1.0,
        "seed": 0,
        "matched": 1,
        "hits": 1,
    }
