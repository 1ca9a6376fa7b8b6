"""The retry policy: failure classification and backoff timing, with a fake clock (no waiting)."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable
from typing import Any

import pytest
import urllib3.exceptions
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    NoCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from hypothesis import given
from hypothesis import strategies as st

from lakeproof.errors import LakeproofError
from lakeproof.refcluster.model import RetryPolicy, SplitStats
from lakeproof.refcluster.retry import (
    Failure,
    StorageReadError,
    TruncatedBodyError,
    backoff_s,
    classify,
    run_with_retries,
)

URI = "s3://lake/run-1/x/part-0001.parquet"


class FakeTime:
    """A clock that only moves when the code under test sleeps (or an attempt takes time)."""

    def __init__(self, now: float = 1000.0):
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FixedJitter(random.Random):
    """Jitter always at one end of its range: ``fraction`` 0 (none) or 1 (the most)."""

    def __init__(self, fraction: float):
        super().__init__(0)
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


def s3_error(status: int, code: str, operation: str = "GetObject") -> ClientError:
    # Only the fields classification reads; botocore's full response has more.
    response: Any = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


def failing(*errors: Exception, then: str = "ok") -> Callable[[], str]:
    """An operation raising ``errors`` one per call, then returning ``then``."""
    pending = list(errors)

    def operation() -> str:
        if pending:
            raise pending.pop(0)
        return then

    return operation


def always(error: Exception) -> Callable[[], str]:
    def operation() -> str:
        raise error

    return operation


def run(
    operation: Callable[[], str],
    policy: RetryPolicy,
    time: FakeTime,
    stats: SplitStats,
    deadline: float | None = None,
    jitter: float = 0.0,
) -> str:
    return run_with_retries(
        operation,
        policy,
        URI,
        deadline=deadline,
        stats=stats,
        clock=time.clock,
        sleeper=time.sleep,
        rng=FixedJitter(jitter),
    )


# -- classification ----------------------------------------------------------------------------


def _protocol_error(cause: Exception) -> urllib3.exceptions.ProtocolError:
    return urllib3.exceptions.ProtocolError(f"Connection broken: {cause!r}", cause)


def _name_resolution_error() -> EndpointConnectionError:
    # Chained as urllib3 chains it (``raise NameResolutionError(...) from gaierror``).
    gaierror = socket.gaierror(-2, "Name or service not known")
    error = urllib3.exceptions.NameResolutionError("no-such-host.invalid", None, gaierror)  # type: ignore[arg-type]
    error.__cause__ = gaierror
    return EndpointConnectionError(endpoint_url="http://no-such-host.invalid", error=error)


def _refused() -> EndpointConnectionError:
    refused = ConnectionRefusedError(111, "Connection refused")
    error = urllib3.exceptions.NewConnectionError(None, f"Failed to establish a new connection: {refused}")  # type: ignore[arg-type]
    error.__cause__ = refused
    return EndpointConnectionError(endpoint_url="http://127.0.0.1:1", error=error)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (s3_error(503, "SlowDown"), Failure("503 SlowDown", retryable=True)),
        (s3_error(500, "InternalError"), Failure("500 InternalError", retryable=True)),
        (s3_error(502, "BadGateway"), Failure("502 BadGateway", retryable=True)),
        (s3_error(504, "GatewayTimeout"), Failure("504 GatewayTimeout", retryable=True)),
        (s3_error(429, "TooManyRequests"), Failure("429 TooManyRequests", retryable=True)),
        (s3_error(503, "ServiceUnavailable"), Failure("503 ServiceUnavailable", retryable=True)),
        # S3 answers an idle upload with 400 RequestTimeout: the code, not the status, decides.
        (s3_error(400, "RequestTimeout"), Failure("400 RequestTimeout", retryable=True)),
        (s3_error(404, "NoSuchKey"), Failure("404 NoSuchKey", retryable=False)),
        (s3_error(403, "AccessDenied"), Failure("403 AccessDenied", retryable=False)),
        (s3_error(400, "InvalidArgument"), Failure("400 InvalidArgument", retryable=False)),
        # A HEAD answer has no body: botocore reports the bare status as the code.
        (s3_error(404, "404", "HeadObject"), Failure("404 Not Found", retryable=False)),
        (s3_error(503, "503", "HeadObject"), Failure("503 Service Unavailable", retryable=True)),
        (_name_resolution_error(), Failure("unknown host", retryable=False)),
        (
            EndpointConnectionError(endpoint_url="http://x", error=socket.gaierror(-3, "Temporary failure")),
            Failure("unknown host", retryable=False),
        ),
        (_refused(), Failure("connection refused", retryable=True)),
        (
            ConnectionClosedError(endpoint_url="http://x", error=_protocol_error(ConnectionResetError(104))),
            Failure("connection reset", retryable=True),
        ),
        (
            ResponseStreamingError(error=_protocol_error(ConnectionResetError(104))),
            Failure("connection reset", retryable=True),
        ),
        (_protocol_error(ConnectionResetError(104)), Failure("connection reset", retryable=True)),
        (
            ResponseStreamingError(error=_protocol_error(urllib3.exceptions.IncompleteRead(10, 90))),
            Failure("truncated body", retryable=True),
        ),
        (IncompleteReadError(actual_bytes=10, expected_bytes=100), Failure("truncated body", retryable=True)),
        (TruncatedBodyError(10, 100), Failure("truncated body", retryable=True)),
        (ConnectionAbortedError(103, "aborted"), Failure("connection aborted", retryable=True)),
        (
            ReadTimeoutError(endpoint_url="http://x", error="timed out"),
            Failure("read timeout", retryable=True),
        ),
        (
            urllib3.exceptions.ReadTimeoutError(None, "/k", "timed out"),  # type: ignore[arg-type]
            Failure("read timeout", retryable=True),
        ),
        (
            ConnectTimeoutError(endpoint_url="http://x", error="timed out"),
            Failure("connect timeout", retryable=True),
        ),
        (NoCredentialsError(), Failure("NoCredentialsError", retryable=False)),
    ],
    ids=lambda value: value.status if isinstance(value, Failure) else type(value).__name__,
)
def test_classify(error: Exception, expected: Failure) -> None:
    assert classify(error) == expected


def test_an_exception_that_is_no_storage_failure_is_not_classified() -> None:
    assert classify(ValueError("a bug")) is None


# -- backoff and attempts ----------------------------------------------------------------------


def test_backoff_doubles_from_200ms_and_attempts_are_counted() -> None:
    time, stats = FakeTime(), SplitStats(id=7)
    with pytest.raises(StorageReadError) as caught:
        run(always(s3_error(503, "SlowDown")), RetryPolicy(), time, stats)
    assert time.sleeps == pytest.approx([0.2, 0.4, 0.8])
    error = caught.value
    assert str(error) == f"failed to read {URI} after 4 attempts: last status 503 SlowDown"
    assert (error.uri, error.status, error.attempts, error.retryable) == (URI, "503 SlowDown", 4, True)
    assert isinstance(error, LakeproofError)
    assert stats.attempts == 4
    assert stats.errors == [f"{URI}: attempt {n}: 503 SlowDown" for n in range(1, 5)]


def test_backoff_is_capped() -> None:
    time = FakeTime()
    policy = RetryPolicy(max_attempts=8, initial_backoff_s=1.0, max_backoff_s=5.0)
    with pytest.raises(StorageReadError):
        run(always(s3_error(500, "InternalError")), policy, time, SplitStats(id=1))
    assert time.sleeps == pytest.approx([1, 2, 4, 5, 5, 5, 5])


def test_full_jitter_adds_a_quarter_on_top_of_the_capped_backoff() -> None:
    time = FakeTime()
    policy = RetryPolicy(max_attempts=5, initial_backoff_s=2.0)
    with pytest.raises(StorageReadError):
        run(always(s3_error(503, "SlowDown")), policy, time, SplitStats(id=1), jitter=1.0)
    assert time.sleeps == pytest.approx([2.5, 5.0, 6.25, 6.25])


@given(attempt=st.integers(2, 30), seed=st.integers(0, 2**32))
def test_jittered_backoff_stays_within_its_bounds(attempt: int, seed: int) -> None:
    policy = RetryPolicy()
    base = min(policy.initial_backoff_s * policy.multiplier ** (attempt - 2), policy.max_backoff_s)
    assert base <= backoff_s(policy, attempt, random.Random(seed)) <= base * (1 + policy.jitter)


def test_success_after_retryable_failures_returns_the_result() -> None:
    time, stats = FakeTime(), SplitStats(id=1)
    operation = failing(s3_error(503, "SlowDown"), ConnectionResetError(104), then="data")
    assert run(operation, RetryPolicy(), time, stats) == "data"
    assert stats.attempts == 3
    assert stats.errors == [f"{URI}: attempt 1: 503 SlowDown", f"{URI}: attempt 2: connection reset"]


def test_not_found_is_not_retried() -> None:
    time, stats = FakeTime(), SplitStats(id=1)
    with pytest.raises(StorageReadError) as caught:
        run(always(s3_error(404, "NoSuchKey")), RetryPolicy(), time, stats)
    assert str(caught.value) == f"failed to read {URI} after 1 attempt: 404 NoSuchKey (not retried)"
    assert (caught.value.attempts, caught.value.retryable) == (1, False)
    assert time.sleeps == []
    assert stats.attempts == 1


def test_an_unknown_host_is_not_retried() -> None:
    time = FakeTime()
    with pytest.raises(StorageReadError, match="after 1 attempt: unknown host \\(not retried\\)"):
        run(always(_name_resolution_error()), RetryPolicy(), time, SplitStats(id=1))
    assert time.sleeps == []


def test_a_bug_in_the_operation_propagates_unchanged() -> None:
    stats = SplitStats(id=1)
    with pytest.raises(ValueError, match="a bug"):
        run(always(ValueError("a bug")), RetryPolicy(), FakeTime(), stats)
    assert stats.attempts == 1


def test_no_retry_starts_whose_backoff_would_end_after_the_deadline() -> None:
    time = FakeTime(now=1000.0)
    with pytest.raises(StorageReadError) as caught:
        # Backoffs 0.2 (ends at 1000.2) then 0.4 (would end at 1000.6 > 1000.5).
        run(always(s3_error(503, "SlowDown")), RetryPolicy(), time, SplitStats(id=1), deadline=1000.5)
    assert time.sleeps == pytest.approx([0.2])
    assert str(caught.value) == (
        f"failed to read {URI}, deadline reached after 2 attempts: last status 503 SlowDown"
    )
    assert caught.value.deadline_reached


@given(
    budget=st.floats(0.0, 20.0),
    attempt_cost=st.floats(0.0, 2.0),
    max_attempts=st.integers(1, 12),
    seed=st.integers(0, 2**32),
)
def test_sleeping_never_outlasts_the_deadline(
    budget: float, attempt_cost: float, max_attempts: int, seed: int
) -> None:
    time = FakeTime(now=1000.0)
    deadline = time.now + budget
    attempts = 0
    sleep_ends: list[float] = []

    def slow_failure() -> str:
        nonlocal attempts
        attempts += 1
        if time.sleeps:
            sleep_ends.append(time.now)
        time.now += attempt_cost  # the attempt itself takes time before failing
        raise s3_error(503, "SlowDown")

    with pytest.raises(StorageReadError) as caught:
        run_with_retries(
            slow_failure,
            RetryPolicy(max_attempts=max_attempts),
            URI,
            deadline=deadline,
            clock=time.clock,
            sleeper=time.sleep,
            rng=random.Random(seed),
        )
    assert all(end <= deadline for end in sleep_ends)
    assert caught.value.attempts == attempts <= max_attempts
    assert caught.value.deadline_reached == (attempts < max_attempts)


def test_attempts_count_one_logical_read_however_many_requests_it_makes() -> None:
    # A Parquet split reads each run of column chunks with its own request: three requests,
    # no failure, is one attempt of the split's read, not three.
    time, stats = FakeTime(), SplitStats(id=3)
    for _ in range(3):
        assert run(lambda: "ok", RetryPolicy(), time, stats) == "ok"
    assert (stats.requests, stats.retries, stats.attempts) == (3, 0, 1)


def test_each_retry_of_any_request_adds_one_attempt() -> None:
    time, stats = FakeTime(), SplitStats(id=3)
    run(lambda: "ok", RetryPolicy(), time, stats)
    run(failing(s3_error(503, "SlowDown"), s3_error(503, "SlowDown")), RetryPolicy(), time, stats)
    assert (stats.requests, stats.retries, stats.attempts) == (4, 2, 3)


def test_a_split_never_read_shows_no_attempt() -> None:
    assert SplitStats(id=1).attempts == 0


def test_a_check_that_stops_the_read_makes_no_request() -> None:
    time, stats = FakeTime(), SplitStats(id=3)

    def stop() -> None:
        raise TimeoutError("stop")

    with pytest.raises(TimeoutError, match="stop"):
        run_with_retries(lambda: "ok", RetryPolicy(), URI, stats=stats, check=stop, clock=time.clock)
    assert (stats.requests, stats.attempts) == (0, 0)
