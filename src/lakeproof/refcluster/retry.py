"""The project's own retry policy for storage reads: which failures are retried, and when.

botocore's retries are switched off on every client the engine uses (see ``storage``), so this
module is the one place that decides. Design: Storage reads and retries.

- Retried: HTTP 500/502/503/504/429 and the S3 codes SlowDown, InternalError, RequestTimeout,
  ServiceUnavailable; connection reset, aborted or refused; connect and read timeouts;
  truncated bodies (fewer bytes than announced).
- Never retried: every other 4xx (NoSuchKey, AccessDenied, bad request) and an unknown host
  (a name that does not resolve will not resolve a second later either).
- Backoff before attempt k (k >= 2): ``min(initial * multiplier**(k-2), max)`` plus 0..jitter
  of it; a retry whose backoff would end after the deadline is not started.

The deadline is an epoch time (``time.time()``) because it is set by the coordinator and
checked on data nodes in other processes; clock, sleeper and random source are injectable so
tests run the timing without waiting.
"""

from __future__ import annotations

import http
import http.client
import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import urllib3.exceptions
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from lakeproof.errors import LakeproofError
from lakeproof.refcluster.model import RetryPolicy, SplitStats

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRYABLE_CODES = frozenset({"SlowDown", "InternalError", "RequestTimeout", "ServiceUnavailable"})


class StorageReadError(LakeproofError):
    """A read that failed for good: not retryable, retries exhausted, or the deadline reached.

    ``status`` is the last HTTP status with its S3 code (``"503 SlowDown"``) or the name of the
    transport failure (``"connection reset"``); ``attempts`` counts every try made.
    """

    def __init__(
        self, uri: str, status: str, attempts: int, *, retryable: bool, deadline_reached: bool = False
    ):
        self.uri = uri
        self.status = status
        self.attempts = attempts
        self.retryable = retryable
        self.deadline_reached = deadline_reached
        tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
        if not retryable:
            message = f"failed to read {uri} after {tries}: {status} (not retried)"
        elif deadline_reached:
            message = f"failed to read {uri}, deadline reached after {tries}: last status {status}"
        else:
            message = f"failed to read {uri} after {tries}: last status {status}"
        super().__init__(message)


class TruncatedBodyError(Exception):
    """A body that ended cleanly before the announced number of bytes arrived."""

    def __init__(self, received: int, expected: int):
        self.received = received
        self.expected = expected
        super().__init__(f"body ended after {received} of {expected} bytes")


@dataclass(frozen=True)
class Failure:
    """What went wrong on one attempt, in the words an error message uses, and whether to retry."""

    status: str
    retryable: bool


# Checked in this order against the error and everything it wraps; the first match decides.
# botocore wraps the socket-level cause, so the most specific cause must come first.
_TRANSPORT_FAILURES: tuple[tuple[tuple[type[BaseException], ...], Failure], ...] = (
    ((socket.gaierror, urllib3.exceptions.NameResolutionError), Failure("unknown host", retryable=False)),
    (
        (TruncatedBodyError, IncompleteReadError, http.client.IncompleteRead),
        Failure("truncated body", retryable=True),
    ),
    ((ConnectionResetError,), Failure("connection reset", retryable=True)),
    ((ConnectionAbortedError,), Failure("connection aborted", retryable=True)),
    ((ConnectionRefusedError,), Failure("connection refused", retryable=True)),
    ((ConnectTimeoutError,), Failure("connect timeout", retryable=True)),
    (
        (ReadTimeoutError, urllib3.exceptions.ReadTimeoutError, TimeoutError),
        Failure("read timeout", retryable=True),
    ),
    # A connection that broke without a more specific cause: a reset in all but name.
    (
        (
            ConnectionClosedError,
            ResponseStreamingError,
            EndpointConnectionError,
            urllib3.exceptions.ProtocolError,
            ConnectionError,
        ),
        Failure("connection reset", retryable=True),
    ),
)


def classify(error: BaseException, extra_retryable_statuses: frozenset[int] = frozenset()) -> Failure | None:
    """Classify a storage failure; None for an exception that is not one (a bug: let it rise)."""
    if isinstance(error, ClientError):
        return _classify_client_error(error, extra_retryable_statuses)
    causes = list(_causes(error))
    for kinds, failure in _TRANSPORT_FAILURES:
        if any(isinstance(cause, kinds) for cause in causes):
            return failure
    if isinstance(error, BotoCoreError):
        # Configuration-like failures (bad parameters, no credentials): retrying cannot help.
        return Failure(type(error).__name__, retryable=False)
    return None


def _classify_client_error(error: ClientError, extra_retryable_statuses: frozenset[int]) -> Failure:
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    code = str(error.response.get("Error", {}).get("Code", ""))
    if not code or code.isdigit():
        # HEAD answers have no body, so botocore reports the bare status as the code.
        code = _phrase(status)
    retryable = status in RETRYABLE_STATUSES or status in extra_retryable_statuses or code in RETRYABLE_CODES
    return Failure(f"{status} {code}".strip(), retryable)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps: botocore's ``error`` kwarg, causes, contexts, args."""
    pending = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        kwargs = getattr(current, "kwargs", None)
        wrapped = kwargs.get("error") if isinstance(kwargs, dict) else None
        candidates = [wrapped, current.__cause__, current.__context__, *current.args]
        pending.extend(candidate for candidate in candidates if isinstance(candidate, BaseException))


def backoff_s(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Seconds to wait before attempt ``attempt`` (2 for the first retry), jitter included."""
    base = min(policy.initial_backoff_s * policy.multiplier ** (attempt - 2), policy.max_backoff_s)
    return base * (1.0 + rng.uniform(0.0, policy.jitter))


def run_with_retries(
    operation: Callable[[], T],
    policy: RetryPolicy,
    uri: str,
    *,
    deadline: float | None = None,
    stats: SplitStats | None = None,
    check: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleeper: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run ``operation`` until it succeeds, following ``policy``; raise StorageReadError if it cannot.

    Every attempt adds one to ``stats.requests``, every retry one to ``stats.retries`` and every
    failure a line to ``stats.errors``. ``check`` runs before each attempt and may raise to stop
    (a query cancelled or past its deadline): that exception propagates unchanged.
    ``deadline`` (epoch seconds) stops retrying early: a retry whose backoff would end after it
    is not started. An attempt in flight is bounded by the client's timeouts, not by this loop.
    Exceptions that are not storage failures propagate unchanged.
    """
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    attempt = 1
    while True:
        if check is not None:
            check()
        if stats is not None:
            stats.requests += 1
            stats.retries += attempt > 1
        try:
            return operation()
        except Exception as error:
            failure = classify(error, policy.extra_retryable_statuses)
            if failure is None:
                raise
            if stats is not None:
                stats.errors.append(f"{uri}: attempt {attempt}: {failure.status}")
            if not failure.retryable:
                raise StorageReadError(uri, failure.status, attempt, retryable=False) from error
            if attempt >= policy.max_attempts:
                raise StorageReadError(uri, failure.status, attempt, retryable=True) from error
            delay = backoff_s(policy, attempt + 1, rng)
            if deadline is not None and clock() + delay > deadline:
                raise StorageReadError(
                    uri, failure.status, attempt, retryable=True, deadline_reached=True
                ) from error
        sleeper(delay)
        attempt += 1
