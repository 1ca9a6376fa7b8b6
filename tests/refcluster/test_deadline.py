"""Deadlines, cancels and DuckDB: work stops with an error naming what it was doing; DuckDB's own
mistakes become one-line 400s; DuckDB never reaches for an extension by itself."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from lakeproof.duckdb_ext import NO_EXTENSION_REPOSITORY, locked_down
from lakeproof.refcluster.deadline import Deadline, interrupting, throttled
from lakeproof.refcluster.errors import BadRequestError, QueryCancelledError, QueryTimeoutError, caller_error

# A statement that runs for minutes unless interrupted: a sum over a 10^12-row cross product.
ENDLESS = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"


def test_a_passed_deadline_names_the_timeout_and_what_the_query_was_doing() -> None:
    with pytest.raises(QueryTimeoutError) as caught:
        Deadline(time.time() - 1, 5).check("listing objects on the coordinator")
    assert str(caught.value) == (
        "query exceeded its deadline of 5 s (pragma query_timeout_s) while listing objects on the coordinator"
    )


def test_a_cancel_wins_over_the_deadline_and_says_so() -> None:
    with pytest.raises(
        QueryCancelledError, match=r"^query cancelled by its caller while reading splits on node-1$"
    ):
        Deadline(time.time() - 1, 5).check("reading splits on node-1", lambda: True)


def test_a_deadline_in_the_future_lets_work_go_on() -> None:
    Deadline.after(60).check("anything", lambda: False)


def test_a_throttled_cancel_asks_at_most_once_per_interval_and_stays_cancelled() -> None:
    asked: list[float] = []
    answer = [False]

    def cancelled() -> bool:
        asked.append(time.monotonic())
        return answer[0]

    check = throttled(cancelled, interval_s=60)
    assert [check() for _ in range(100)] == [False] * 100
    assert len(asked) == 1
    answer[0] = True
    quick = throttled(cancelled, interval_s=0)
    assert quick()
    assert quick()
    answer[0] = False
    assert quick(), "a cancel is never taken back"


@pytest.mark.parametrize(("cancel", "error"), [(False, QueryTimeoutError), (True, QueryCancelledError)])
def test_duckdb_work_is_interrupted_at_the_deadline_or_on_cancel(
    cancel: bool, error: type[Exception]
) -> None:
    connection = duckdb.connect()
    flag = threading.Event()
    deadline = Deadline.after(60 if cancel else 0.5)
    if cancel:
        threading.Timer(0.5, flag.set).start()
    started = time.monotonic()
    with (
        pytest.raises(error) as caught,
        interrupting(connection, deadline, "merging on the coordinator", flag.is_set),
    ):
        connection.sql(ENDLESS).fetchall()
    assert time.monotonic() - started < 2.5
    assert str(caught.value).endswith("while merging on the coordinator")
    assert connection.sql("SELECT 42").fetchall() == [(42,)], "the connection stays usable"


def test_duckdb_work_that_ends_in_time_is_left_alone() -> None:
    connection = duckdb.connect()
    with interrupting(connection, Deadline.after(60), "merging", lambda: False):
        assert connection.sql("SELECT 1 + 1").fetchall() == [(2,)]


def _duckdb_error(sql: str) -> duckdb.Error:
    connection = duckdb.connect()
    connection.execute("CREATE TEMP TABLE __splits AS SELECT 1::BIGINT AS id, 'west' AS region")
    with pytest.raises(duckdb.Error) as caught:
        connection.sql(sql).fetchall()
    return caught.value


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT id + 'abc' FROM __splits", "Conversion Error: Could not convert string 'abc' to INT64"),
        (
            "SELECT CAST(region AS INTEGER) FROM __splits",
            "Conversion Error: Could not convert string 'west' to INT32 "
            "when casting from source column region",
        ),
        ("SELECT nope FROM __splits", 'Binder Error: Referenced column "nope" not found in FROM clause!'),
    ],
)
def test_a_duckdb_error_of_the_query_is_its_first_line_without_engine_names(sql: str, reason: str) -> None:
    mistake = caller_error(_duckdb_error(sql))
    assert isinstance(mistake, BadRequestError)
    assert str(mistake) == reason


def test_scratch_paths_and_internal_relations_are_not_shown() -> None:
    raw = duckdb.InvalidInputException(
        "Invalid Input Error: Malformed JSON in file '/tmp/lakeproof-node-ab12/split-7.ndjson' "
        'near "__splits".x'
    )
    mistake = caller_error(raw)
    assert mistake is not None
    assert str(mistake) == "Invalid Input Error: Malformed JSON in file split 7 near x"


def test_a_scratch_path_in_double_quotes_goes_with_its_quotes() -> None:
    raw = duckdb.InvalidInputException(
        'Invalid Input Error: Error when sniffing file "/tmp/lakeproof-node-x1/split-0.csv".'
    )
    assert str(caller_error(raw)) == "Invalid Input Error: Error when sniffing file split 0."


def test_engine_failures_of_duckdb_stay_engine_failures() -> None:
    assert caller_error(duckdb.IOException("IO Error: disk full")) is None
    assert caller_error(duckdb.InternalException("INTERNAL Error: oops")) is None


def test_a_locked_down_database_loads_no_extension_by_itself_and_keeps_its_settings() -> None:
    connection = locked_down(setup=["SET threads = 1"])
    # An httpfs setting would make plain DuckDB download httpfs; here it is just unknown.
    with pytest.raises(duckdb.CatalogException, match="exists in the httpfs extension"):
        connection.sql("SELECT current_setting('s3_region')").fetchall()
    with pytest.raises(duckdb.IOException, match=NO_EXTENSION_REPOSITORY):
        connection.execute("INSTALL spatial")
    with pytest.raises(duckdb.InvalidInputException, match="the configuration has been locked"):
        connection.execute("SET threads = 2")
    with pytest.raises(duckdb.InvalidInputException, match="the configuration has been locked"):
        connection.cursor().execute("SET autoload_known_extensions = true")
    assert connection.sql("SELECT current_setting('threads')").fetchall() == [(1,)]
