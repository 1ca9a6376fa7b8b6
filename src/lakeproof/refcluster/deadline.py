"""A query's deadline and its caller's cancel, checked on every path that can take time.

Listing, footer reads, split reads on nodes and on the coordinator, retries and DuckDB work
all stop at the deadline or at a cancel with one error naming what the query was doing. The
deadline is an epoch time (``time.time()``): the coordinator sets it, data nodes in other
processes check it. Storage requests end by themselves (their read timeout never outlives the
deadline, see ``storage``); DuckDB work is stopped by ``interrupting``, a watchdog that calls
``connection.interrupt()``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from lakeproof.refcluster.errors import EngineError, QueryCancelledError, QueryTimeoutError

Cancelled = Callable[[], bool]
"""Whether the query's caller gave up (an async cancel, a client that disconnected)."""

WATCH_INTERVAL_S = 0.05
"""How often a DuckDB watchdog looks at the deadline and the cancel flag."""


def never_cancelled() -> bool:
    """The cancel check of work nobody can cancel."""
    return False


@dataclass(frozen=True)
class Deadline:
    """When a query must have ended (epoch seconds) and the ``query_timeout_s`` that set it.

    Plain data: it travels to data nodes inside their task.
    """

    at: float
    timeout_s: float

    @classmethod
    def after(cls, timeout_s: float) -> Deadline:
        """The deadline ``timeout_s`` from now."""
        return cls(time.time() + timeout_s, timeout_s)

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - time.time()

    def exceeded(self, doing: str) -> QueryTimeoutError:
        """The error of a query whose deadline passed while it was ``doing`` something."""
        return QueryTimeoutError(
            f"query exceeded its deadline of {self.timeout_s:g} s (pragma query_timeout_s) while {doing}"
        )

    def stopped(self, doing: str, cancelled: Cancelled = never_cancelled) -> EngineError | None:
        """The error to stop with if the caller cancelled or the deadline passed, else None."""
        if cancelled():
            return QueryCancelledError(f"query cancelled by its caller while {doing}")
        if self.remaining() <= 0:
            return self.exceeded(doing)
        return None

    def check(self, doing: str, cancelled: Cancelled = never_cancelled) -> None:
        """Raise the cancel or timeout error if the query must stop now."""
        if (error := self.stopped(doing, cancelled)) is not None:
            raise error


def throttled(cancelled: Cancelled, interval_s: float = WATCH_INTERVAL_S) -> Cancelled:
    """``cancelled`` asked at most once per ``interval_s``; once true, always true.

    For a cancel flag that costs a round trip to ask (a Dask event on a data node), checked
    before every request and body chunk.
    """
    lock = threading.Lock()
    state = {"asked_at": float("-inf"), "cancelled": False}

    def check() -> bool:
        with lock:
            now = time.monotonic()
            if not state["cancelled"] and now - state["asked_at"] >= interval_s:
                state["cancelled"] = cancelled()
                state["asked_at"] = now
            return bool(state["cancelled"])

    return check


@contextmanager
def interrupting(
    connection: duckdb.DuckDBPyConnection, deadline: Deadline, doing: str, cancelled: Cancelled
) -> Iterator[None]:
    """Run DuckDB work on ``connection`` that is interrupted at the deadline or on cancel.

    The interrupted statement's ``InterruptException`` becomes the timeout or cancel error
    naming ``doing``.
    """
    finished = threading.Event()
    reason: list[EngineError] = []

    def watch() -> None:
        while not finished.wait(WATCH_INTERVAL_S):
            if (error := deadline.stopped(doing, cancelled)) is not None:
                reason.append(error)
                connection.interrupt()
                return

    watchdog = threading.Thread(target=watch, name="duckdb-watchdog", daemon=True)
    watchdog.start()
    try:
        yield
    except duckdb.InterruptException:
        raise (reason[0] if reason else deadline.exceeded(doing)) from None
    finally:
        finished.set()
        watchdog.join()
    if reason:
        # The statement ended just as the watchdog fired: the query is over all the same.
        raise reason[0]
