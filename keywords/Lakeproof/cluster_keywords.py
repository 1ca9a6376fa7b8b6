"""Keywords that query the engine under test, read its plans and profiles, and lose nodes.

They reach the engine only through its driver (``lakeproof.engines``); a keyword that needs a
capability the engine lacks raises CapabilityMissing, which the library turns into a SKIP.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from html import escape
from typing import Any
from urllib.parse import urlsplit

import duckdb
from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn
from robotlibcore import keyword

from lakeproof.compare import CompareOptions, answer_from_duckdb, compare, comparison_html
from lakeproof.compare.failure import ExpectedFailure, failure_problems
from lakeproof.compare.profile import Split, attempts_of, node_of, split_ids_by_node, splits_of
from Lakeproof.context import EngineSpecific, LabContext, timeout_seconds
from lakeproof.datagen import Format, tpch_answer, tpch_query_over
from lakeproof.datagen.tpch import TPCH_TABLES
from lakeproof.engines.base import Answer, Capability, Driver, EngineError, QueryOptions
from lakeproof.engines.reference import STRATEGY_PRAGMA
from Lakeproof.html_log import bar_chart, html_table, log_mapping, log_table
from lakeproof.net import wait_until
from lakeproof.refcluster.model import STRATEGIES as REFERENCE_STRATEGIES


def _variant_line(answer: Answer) -> str:
    """What the engine's own profile says of the strategy it chose, if it says anything."""
    chosen = (answer.profile or {}).get("strategy")
    if not isinstance(chosen, Mapping):
        return ""
    requested, used = chosen.get("requested"), chosen.get("used")
    return f"strategy requested {requested!r}, used {used!r}: {chosen.get('reason')}; "


class ClusterKeywords:
    """Run queries on the engine under test and inspect what it did."""

    def __init__(self, context: LabContext):
        self.context = context

    def _engine_for(self, strategy: str | None, pragma: Mapping[str, Any]) -> tuple[Driver, str]:
        """The driver (checked for the capabilities ``pragma`` exercises) and the variant to run."""
        driver = self.context.engine(*sorted(QueryOptions(pragma=pragma).capabilities_needed()))
        if strategy is None:
            return driver, driver.default_variant()
        if strategy in REFERENCE_STRATEGIES and strategy not in driver.variants():
            # A check written for one of the reference engine's strategies; other unknown names
            # go to the engine, which answers them its own way (the reference warns and falls back).
            if strategy not in driver.variant_aliases:
                raise EngineSpecific(driver.name, f"the strategy '{strategy}' this check names")
            logger.info(
                f"strategy {strategy!r} runs as {driver.name}'s variant {driver.variant_aliases[strategy]!r}"
            )
            return driver, driver.variant_aliases[strategy]
        return driver, strategy

    def ask(self, query: str, strategy: str | None, pragma: Mapping[str, Any]) -> tuple[str, Answer]:
        """Run ``query`` and return the variant it ran under and its answer; EngineError if refused."""
        driver, variant = self._engine_for(strategy, pragma)
        logger.info(f"<b>Query</b> ({escape(variant)}): <code>{escape(query)}</code>", html=True)
        return variant, driver.query(query, variant, QueryOptions(pragma=dict(pragma)))

    @keyword
    def get_strategies(self) -> list[str]:
        """Returns every distribution variant of the engine under test, from the engine's one list.

        For the reference engine these are its strategies (``coordinator_only``, ``round_robin``,
        ``weighted_round_robin``, ``adaptive``). Suites loop over this list, so a variant added
        to the engine cannot be left out; an engine with one variant is checked under that one.

        Example:
        | ${strategies}=    `Get Strategies`
        """
        driver = self.context.engine()
        if Capability.DISTRIBUTION_VARIANTS in driver.capabilities:
            self.context.engine(Capability.DISTRIBUTION_VARIANTS)
        return list(driver.variants())

    @keyword
    def run_query(self, query: str, strategy: str | None = None, **pragma: Any) -> Answer:
        """Runs ``query`` on the engine under distribution variant ``strategy`` and returns the answer.

        ``strategy`` defaults to the engine's default variant (``adaptive`` on the reference).
        Further ``name=value`` arguments are pragmas (``allow_partial_results=${True}``,
        ``max_attempts=${2}``, ``query_timeout_s=${5}``, ``target_split_size=${1024}`` ...); a
        pragma that needs a capability the engine lacks (partial results, retry options) skips
        the test. The answer has ``columns``, ``rows``, ``is_partial``, ``warnings``, ``splits``
        (the split profile, if the engine has one) and ``profile`` (the engine's own document);
        read values with `Get Answer Value`. The log shows the query, the variant, the first
        rows, and charts of splits and bytes per node. An engine error fails with its reason.

        Example:
        | ${result}=    `Run Query`    SELECT count(*) FROM read_parquet('s3://lake/x/*.parquet')
        | ...    strategy=round_robin
        """
        return self.run_and_log(query, strategy, pragma)[1]

    def run_and_log(self, query: str, strategy: str | None, pragma: Mapping[str, Any]) -> tuple[str, Answer]:
        """`Run Query`: the variant and the logged answer; AssertionError with the engine's reason."""
        try:
            variant, answer = self.ask(query, strategy, pragma)
        except EngineError as exc:
            raise AssertionError(f"the engine refused the query: {exc}") from None
        self._log_result(answer)
        return variant, answer

    def _log_result(self, answer: Answer) -> None:
        logger.info(
            f"{_variant_line(answer)}{len(answer.rows)} rows{' (PARTIAL)' if answer.is_partial else ''}"
        )
        for warning in answer.warnings:
            logger.warn(warning)
        names = [column.name for column in answer.columns]
        logger.info(f"<b>Result</b>{html_table(names, answer.rows)}", html=True)
        splits = answer.splits or ()
        per_node: dict[str, int] = {}
        bytes_per_node: dict[str, int] = {}
        for split in splits:
            per_node[split.node] = per_node.get(split.node, 0) + 1
            bytes_per_node[split.node] = bytes_per_node.get(split.node, 0) + split.bytes
        if splits:
            logger.info(
                bar_chart("Splits per node", per_node, "splits")
                + bar_chart("Bytes read per node", bytes_per_node, "B"),
                html=True,
            )

    @keyword
    def get_answer_value(self, answer: Answer, row: int = 0, column: int | str = 0) -> Any:
        """Returns one value of an answer: row ``row``, column ``column`` (positions from 0, or a name).

        Values are as compared with the oracle: integers and doubles as numbers, decimals as exact
        text, times in ISO 8601.

        Example:
        | ${result}=    `Run Query`    SELECT count(*) AS n FROM ${scan}
        | ${count}=    `Get Answer Value`    ${result}
        | ${count}=    `Get Answer Value`    ${result}    column=n
        """
        names = [item.name for item in answer.columns]
        position = column
        if isinstance(column, str):
            if column not in names:
                raise AssertionError(f"the answer has no column {column!r}; its columns: {', '.join(names)}")
            position = names.index(column)
        if not 0 <= row < len(answer.rows):
            raise AssertionError(f"the answer has {len(answer.rows)} rows; row {row} does not exist")
        if not 0 <= int(position) < len(names):
            raise AssertionError(f"the answer has {len(names)} columns; column {position} does not exist")
        return answer.rows[row][int(position)]

    @keyword
    def get_answer_row(self, answer: Answer, row: int = 0) -> list[Any]:
        """Returns row ``row`` (from 0) of an answer as a list of values.

        Example:
        | ${first}=    `Get Answer Row`    ${result}
        """
        if not 0 <= row < len(answer.rows):
            raise AssertionError(f"the answer has {len(answer.rows)} rows; row {row} does not exist")
        return list(answer.rows[row])

    @keyword
    def get_strategy_used(self, answer: Answer) -> str:
        """Returns the distribution strategy the reference engine reports it used for an answer.

        The reference engine's ``adaptive`` strategy picks one of the others by query shape; its
        profile says which. On another engine the test is skipped.

        Example:
        | ${used}=    `Get Strategy Used`    ${result}
        | Should Be Equal    ${used}    weighted_round_robin
        """
        self.context.reference("the strategy report of its profile", Capability.SPLIT_PROFILE)
        chosen = (answer.profile or {}).get("strategy")
        if not isinstance(chosen, Mapping) or "used" not in chosen:
            raise AssertionError("the answer's profile names no strategy: run the query with the profile on")
        return str(chosen["used"])

    @keyword
    def query_should_match_oracle(
        self,
        query: str,
        strategy: str | None = None,
        ordered: bool = False,
        tolerance: float = 1e-9,
        **pragma: Any,
    ) -> Answer:
        """Runs ``query`` on the engine and fails unless plain DuckDB gives the same answer.

        The oracle is single-process DuckDB reading the same objects straight from the object
        store (never through the fault proxy). Rows are compared as a multiset unless
        ``ordered`` is true; doubles within relative ``tolerance``; decimals and integers exactly;
        NaN equals NaN; column names and types must match. On a mismatch the log shows the
        missing and extra rows and the first differing cells, and the failure says what differs.
        Further ``name=value`` arguments are pragmas, as for `Run Query`. Returns the answer.
        A test its engine's known-differences file lists (by test name) is skipped with the
        listed reason instead, or, where the entry lists the engine's ``types`` of some columns,
        compared with exactly those types.

        Example:
        | `Query Should Match Oracle`    SELECT region, sum(qty) FROM ${scan} GROUP BY region
        | ...    strategy=round_robin
        """
        known_types = self.context.known_types(BuiltIn().get_variable_value("${TEST NAME}", ""))
        variant, result = self.run_and_log(query, strategy, pragma)
        expected = answer_from_duckdb(self.context.oracle().connection.sql(query))
        comparison = compare(
            expected,
            result.table,
            CompareOptions(ordered=ordered, float_tolerance=tolerance, known_types=known_types),
        )
        logger.info(comparison_html(comparison), html=True)
        if not comparison.equal:
            raise AssertionError(f"{variant}: {comparison.summary()}")
        return result

    @keyword
    def results_should_be_equal(
        self,
        actual: Answer,
        expected: Answer,
        ordered: bool = False,
        tolerance: float = 1e-9,
    ) -> None:
        """Fails unless two answers of `Run Query` have the same columns, types and rows.

        Used to compare one engine answer with another: a strategy with another, a run under
        faults with its clean baseline. Rows are a multiset unless ``ordered``; doubles within
        relative ``tolerance``. On a mismatch the log shows the missing and extra rows.

        Example:
        | ${baseline}=    `Run Query`    ${QUERY}
        | `Inject Fault`    slowdown_503    times=2
        | ${faulted}=    `Run Query`    ${QUERY}
        | `Results Should Be Equal`    ${faulted}    ${baseline}
        """
        comparison = compare(
            expected.table,
            actual.table,
            CompareOptions(ordered=ordered, float_tolerance=tolerance),
        )
        logger.info(comparison_html(comparison), html=True)
        if not comparison.equal:
            raise AssertionError(comparison.summary())

    @keyword("TPC-H Query Should Match Official Answer")
    def tpch_query_should_match_official_answer(
        self, number: int, strategy: str | None = None, format: Format = "parquet"
    ) -> Answer:
        """Runs TPC-H query ``number`` (1-22) on the engine and compares it with DuckDB's official answer.

        Needs `Create TPC-H Dataset` first (scale factor 0.01, 0.1 or 1); the query reads the
        tables' ``format`` objects. Rows are compared in order (every TPC-H query orders its
        result), doubles within a relative 1e-9. Column types are not compared: the official
        answers carry DuckDB's 128-bit integer sums as DECIMAL(38,0), values compare exactly.
        A query the engine's known-differences file lists as ``tpch/q<number>`` is skipped with
        the listed reason.

        Example:
        | `TPC-H Query Should Match Official Answer`    6    strategy=round_robin
        """
        scale_factor = self.context.tpch_scale_factor
        if scale_factor is None:
            raise AssertionError("no TPC-H data in this lab: call 'Create TPC-H Dataset' first")
        self.context.known_types(f"tpch/q{number}")  # types are not compared here
        scans = {name: self.context.datasets[name].duckdb_scan(format) for name in TPCH_TABLES}
        variant, result = self.run_and_log(tpch_query_over(number, scans), strategy, {})
        official = duckdb.connect().from_arrow(tpch_answer(number, scale_factor))
        comparison = compare(
            answer_from_duckdb(official),
            result.table,
            CompareOptions(ordered=True, compare_types=False),
        )
        logger.info(comparison_html(comparison), html=True)
        if not comparison.equal:
            raise AssertionError(f"TPC-H Q{number} under {variant}: {comparison.summary()}")
        return result

    @keyword
    def plan_query(self, query: str, strategy: str | None = None, **pragma: Any) -> Mapping[str, Any]:
        """Returns the engine's dry-run plan of ``query``: strategy, splits and their nodes; reads no data.

        Needs the capability ``plan_api``.

        Example:
        | ${plan}=    `Plan Query`    SELECT * FROM read_csv('s3://lake/x/*.csv')
        | ...    strategy=weighted_round_robin
        """
        driver, variant = self._engine_for(strategy, pragma)
        self.context.engine(Capability.PLAN_API)
        try:
            plan = driver.plan(query, variant, QueryOptions(pragma=dict(pragma)))
        except EngineError as exc:
            raise AssertionError(f"the engine refused the plan: {exc}") from None
        log_table(
            "Planned splits",
            ["id", "group", "uri", "offset", "length", "node"],
            [[s["id"], s["group"], s["uri"], s["offset"], s["length"], s["node"]] for s in plan["splits"]],
        )
        return plan

    @keyword
    def kill_node(self, node: str) -> None:
        """Kills data node ``node`` (SIGKILL: a crash) and waits until the engine no longer sees it.

        Needs the capability ``node_lifecycle``.

        Example:
        | `Kill Node`    node-2
        """
        self.context.engine(Capability.NODE_LIFECYCLE).kill_node(node)

    @keyword
    def restart_node(self, node: str) -> None:
        """Starts data node ``node`` again and waits until the engine sees it.

        Needs the capability ``node_lifecycle``.

        Example:
        | `Restart Node`    node-2
        """
        self.context.engine(Capability.NODE_LIFECYCLE).restart_node(node)

    @keyword
    def get_live_nodes(self) -> list[str]:
        """Returns the names of the data nodes the engine sees now (capability ``node_lifecycle``).

        Example:
        | ${nodes}=    `Get Live Nodes`
        """
        return list(self.context.engine(Capability.NODE_LIFECYCLE).nodes())

    @keyword
    def start_async_query(self, query: str, strategy: str | None = None, **pragma: Any) -> str:
        """Starts ``query`` in the background and returns its id (capability ``async_cancel``).

        Example:
        | ${id}=    `Start Async Query`    ${SLOW_QUERY}
        """
        driver, variant = self._engine_for(strategy, pragma)
        self.context.engine(Capability.ASYNC_CANCEL)
        try:
            return driver.start_async(query, variant, QueryOptions(pragma=dict(pragma)))
        except EngineError as exc:
            raise AssertionError(f"the engine refused the query: {exc}") from None

    @keyword
    def cancel_async_query(self, query_id: str) -> None:
        """Cancels the background query ``query_id``; its node work stops at the next split.

        Example:
        | `Cancel Async Query`    ${id}
        """
        self.context.engine(Capability.ASYNC_CANCEL).cancel(query_id)

    @keyword
    def abandon_query_while_nodes_work(self, query: str, strategy: str = "adaptive", **pragma: Any) -> None:
        """Sends ``query`` as a synchronous ``POST /query``, and disconnects once a data node works on it.

        The answer is never read: this is a client that gave up (a closed laptop, a killed script).
        The coordinator must cancel the query; follow with `Wait Until No Node Work Is Running`.
        Further ``name=value`` arguments are pragmas, as for `Run Query`. This speaks the
        reference engine's HTTP API: on another engine the test is skipped.

        Example:
        | `Abandon Query While Nodes Work`    ${SLOW_QUERY}    strategy=round_robin
        | `Wait Until No Node Work Is Running`    timeout=3 s
        """
        self.context.reference("its HTTP query API", Capability.ASYNC_CANCEL)
        url = urlsplit(self.context.require_lab().coordinator_url)
        body = json.dumps({"query": query, "pragma": {STRATEGY_PRAGMA: strategy, **pragma}}).encode()
        head = f"POST /query HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
        with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
            connection.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            self.wait_until_data_nodes_are_working()
        logger.info("disconnected from the coordinator while data nodes were working on the query")

    def _finished_async(self, query_id: str, timeout: timedelta) -> Answer:
        """The answer of a background query; EngineError if it failed."""
        seconds = timeout_seconds(timeout)
        driver = self.context.engine(Capability.ASYNC_CANCEL)
        try:
            return driver.wait(query_id, timedelta(seconds=seconds))
        except TimeoutError:
            raise AssertionError(f"async query {query_id} still running after {timeout}") from None

    @keyword
    def wait_for_async_query(self, query_id: str, timeout: timedelta = timedelta(seconds=60)) -> Answer:
        """Waits until the background query ``query_id`` is done and returns its answer.

        Fails with the engine's reason if the query failed, or if it is still running after ``timeout``.

        Example:
        | ${result}=    `Wait For Async Query`    ${id}    timeout=30 s
        """
        try:
            state = self._finished_async(query_id, timeout)
        except EngineError as exc:
            raise AssertionError(f"async query {query_id} failed: {exc}") from None
        self._log_result(state)
        return state

    # -- failures ------------------------------------------------------------------------------

    @keyword
    def query_should_fail_with(
        self,
        query: str,
        strategy: str | None = None,
        object: str | None = None,
        status: str | None = None,
        attempts: int | None = None,
        error_type: str | None = None,
        contains: str | None = None,
        within: timedelta = timedelta(seconds=60),
        **pragma: Any,
    ) -> str:
        """Runs ``query`` and fails unless the engine refuses it for the expected reason, in time.

        Each given part must be in the engine's reason: ``object`` (an ``s3://`` URI, see
        `Get Dataset Uri`), ``status`` (as the engine words it: ``503 SlowDown``, ``connection
        reset``), ``attempts`` (the number of tries it reports, ``4`` matches ``4 attempts``),
        ``contains`` (any other text); ``error_type`` must equal the error's type. The error must
        arrive within ``within`` of sending the query. Further ``name=value`` arguments are
        pragmas, as for `Run Query`. Returns the reason; the log shows it with each check.

        Example:
        | ${uri}=    `Get Dataset Uri`    smoke    parquet    index=1
        | `Query Should Fail With`    SELECT count(*) FROM ${scan}    object=${uri}
        | ...    status=503 SlowDown    attempts=4    within=20 s
        """
        expected = ExpectedFailure(object, status, attempts, contains, error_type)
        started = time.monotonic()
        try:
            _, result = self.ask(query, strategy, pragma)
        except EngineError as exc:
            self._check_failure(exc, expected, time.monotonic() - started, within)
            return exc.reason
        self._log_result(result)
        raise AssertionError(f"the query succeeded with {len(result.rows)} rows; it should have failed")

    @keyword
    def async_query_should_fail_with(
        self,
        query_id: str,
        object: str | None = None,
        status: str | None = None,
        attempts: int | None = None,
        error_type: str | None = None,
        contains: str | None = None,
        timeout: timedelta = timedelta(seconds=60),
    ) -> str:
        """Waits for the background query ``query_id`` and fails unless it failed for the expected reason.

        The parts are checked as in `Query Should Fail With`; ``timeout`` bounds the wait.
        Returns the reason.

        Example:
        | `Async Query Should Fail With`    ${id}    error_type=node_failure_exception
        | ...    contains=all [3] nodes assigned external splits failed
        """
        expected = ExpectedFailure(object, status, attempts, contains, error_type)
        started = time.monotonic()
        try:
            state = self._finished_async(query_id, timeout)
        except EngineError as exc:
            self._check_failure(exc, expected, time.monotonic() - started, timeout)
            return exc.reason
        self._log_result(state)
        raise AssertionError(
            f"async query {query_id} succeeded with {len(state.rows)} rows; it should have failed"
        )

    def _check_failure(
        self, error: EngineError, expected: ExpectedFailure, elapsed: float, within: timedelta
    ) -> None:
        log_mapping(
            "The engine refused the query",
            {
                "reason": error.reason,
                "error type": error.error_type,
                "HTTP status": error.status,
                "seconds until the error": f"{elapsed:.2f}",
                **{f"expected {name}": value for name, value in vars(expected).items() if value is not None},
            },
        )
        problems = failure_problems(error.reason, expected, error.error_type)
        if elapsed > within.total_seconds():
            problems.append(f"it came after {elapsed:.1f} s, later than {within}")
        if problems:
            raise AssertionError(
                f"the query failed, but not as expected: {'; '.join(problems)} (reason: {error.reason})"
            )

    # -- profiles ------------------------------------------------------------------------------

    @keyword
    def get_split_node(self, answer_or_plan: Answer | Mapping[str, Any], object: str) -> str:
        """Returns the node that reads object ``object`` in an answer's profile or in a `Plan Query` plan.

        ``object`` is a full key (`Get Dataset Object Key`) or an ``s3://`` URI.

        Example:
        | ${plan}=    `Plan Query`    SELECT count(*) FROM ${scan}    strategy=round_robin
        | ${node}=    `Get Split Node`    ${plan}    ${key}
        | `Inject Fault`    slowdown_503    key=${key}    reader=${node}
        """
        return node_of(self._splits(answer_or_plan), object)

    @keyword
    def split_attempts_should_be(
        self,
        result: Answer,
        object: str,
        expected: int,
        baseline: Answer | None = None,
    ) -> None:
        """Fails unless the profile of ``result`` shows ``expected`` read attempts for object ``object``.

        Attempts are summed over the object's splits. With ``baseline`` (the same query's answer
        without faults), ``expected`` counts only the attempts beyond the baseline's: the retries.

        Example:
        | `Split Attempts Should Be`    ${faulted}    ${key}    2    baseline=${clean}
        """
        splits = self._splits(result)
        log_table(
            f"Splits of {object}",
            ["id", "node", "attempts", "rows", "bytes"],
            [[s["id"], s["node"], s["attempts"], s["rows"], s["bytes"]] for s in splits_of(splits, object)],
        )
        attempts = attempts_of(splits, object)
        if baseline is None:
            if attempts != expected:
                raise AssertionError(f"{object} took {attempts} read attempts, expected {expected}")
            return
        clean = attempts_of(self._splits(baseline), object)
        if attempts - clean != expected:
            raise AssertionError(
                f"{object} took {attempts} read attempts against {clean} without faults: "
                f"{attempts - clean} retries, expected {expected}"
            )

    @keyword
    def answer_should_be_complete(self, result: Answer) -> None:
        """Fails if the answer is flagged partial or its profile lists splits that were not read.

        Example:
        | `Answer Should Be Complete`    ${result}
        """
        if result.is_partial or result.missing_splits:
            raise AssertionError(
                f"the answer is flagged partial (is_partial={result.is_partial}); "
                f"splits not read: {list(result.missing_splits) or 'none listed'}"
            )

    @keyword
    def answer_should_be_partial(self, result: Answer) -> list[int]:
        """Fails unless the answer is flagged partial and its profile lists the splits that were not read.

        Needs the capability ``partial_results``. Returns the ids of the missing splits.

        Example:
        | ${missing}=    `Answer Should Be Partial`    ${result}
        """
        self.context.engine(Capability.PARTIAL_RESULTS)
        missing = list(result.missing_splits)
        if not result.is_partial:
            listed = f"lists splits {missing} as not read" if missing else "lists no missing split"
            raise AssertionError(
                f"the answer is not flagged partial (is_partial={result.is_partial}) and its profile {listed}"
            )
        if not missing:
            raise AssertionError("the answer is flagged partial but its profile lists no missing split")
        logger.info(f"partial answer: splits {missing} were not read; warnings: {list(result.warnings)}")
        return missing

    @keyword
    def splits_should_have_been_reassigned(self, result: Answer, from_node: str) -> list[int]:
        """Fails unless splits of the lost node ``from_node`` were given to other nodes and read there.

        Checks the profile: ``from_node`` is listed (in the engine's ``reassigned_from``) as a node
        whose splits were reassigned, no split is reported as read by it, and none is missing.
        Needs the capabilities ``split_profile`` and ``node_lifecycle``. Returns the reassigned
        split ids.

        Example:
        | `Splits Should Have Been Reassigned`    ${result}    from_node=node-2
        """
        self.context.engine(Capability.NODE_LIFECYCLE)
        by_node = split_ids_by_node(self._splits(result))
        profile = result.profile or {}
        reassigned: list[int] = profile.get("reassigned_from", {}).get(from_node, [])
        log_table("Splits per node after recovery", ["node", "split ids"], sorted(by_node.items()))
        if not reassigned:
            raise AssertionError(
                f"no split was reassigned from {from_node} "
                f"(reassigned: {profile.get('reassigned_from') or 'nothing'})"
            )
        if from_node in by_node:
            raise AssertionError(f"splits {by_node[from_node]} are still reported as read by {from_node}")
        self.answer_should_be_complete(result)
        return reassigned

    @keyword
    def node_should_have_read_splits(self, result: Answer, node: str) -> list[int]:
        """Fails unless data node ``node`` read at least one split of the answer; returns their ids.

        Example:
        | `Node Should Have Read Splits`    ${result}    node-3
        """
        by_node = split_ids_by_node(self._splits(result))
        if node not in by_node:
            raise AssertionError(
                f"{node} read no split; splits were read by {', '.join(by_node) or 'nobody'}"
            )
        return by_node[node]

    @keyword
    def node_should_not_have_read_splits(self, result: Answer, node: str) -> None:
        """Fails if data node ``node`` read any split of the answer.

        Example:
        | `Node Should Not Have Read Splits`    ${result}    node-3
        """
        by_node = split_ids_by_node(self._splits(result))
        if node in by_node:
            raise AssertionError(f"{node} read splits {by_node[node]}")

    def _wait_for_node_work(
        self, wanted: Callable[[dict[str, int]], bool], describe: str, timeout: timedelta
    ) -> None:
        """Poll the running node tasks until ``wanted`` says yes; AssertionError after ``timeout``."""
        seconds = timeout_seconds(timeout)
        driver = self.context.engine(Capability.ASYNC_CANCEL)
        busy: dict[str, int] = {}

        def probe() -> bool:
            nonlocal busy
            busy = {name: count for name, count in driver.running_work().items() if count}
            return wanted(busy)

        try:
            waited = wait_until(probe, seconds, describe, interval=0.05)
        except TimeoutError:
            running = ", ".join(f"{name}: {count}" for name, count in busy.items()) or "nothing"
            raise AssertionError(f"waited {timeout} for {describe}; running: {running}") from None
        logger.info(f"{describe} after {waited:.2f} s; running: {busy or 'nothing'}")

    @keyword
    def wait_until_no_node_work_is_running(self, timeout: timedelta = timedelta(seconds=30)) -> None:
        """Waits until neither the coordinator nor any data node is executing a node task.

        The engine is asked what its processes are executing, not what Dask still tracks: a
        cancelled task's thread may go on reading after its future is forgotten. Fails after
        ``timeout`` naming the executors still busy.

        Example:
        | `Cancel Async Query`    ${id}
        | `Wait Until No Node Work Is Running`    timeout=20 s
        """
        self._wait_for_node_work(lambda busy: not busy, "node work to stop", timeout)

    @keyword
    def wait_until_data_nodes_are_working(self, timeout: timedelta = timedelta(seconds=30)) -> None:
        """Waits until at least one data node is executing a node task: a query is mid-flight on the nodes.

        Example:
        | ${id}=    `Start Async Query`    ${QUERY}    strategy=round_robin
        | `Wait Until Data Nodes Are Working`
        | `Kill Node`    node-1
        """
        data_nodes = set(self.context.require_lab().settings.data_nodes)
        self._wait_for_node_work(lambda busy: bool(data_nodes & busy.keys()), "a data node to work", timeout)

    def _splits(self, answer_or_plan: Answer | Mapping[str, Any]) -> list[Split]:
        """The splits of a plan (its ``splits``) or of an answer's split profile."""
        if not isinstance(answer_or_plan, Answer):
            plan_splits: list[Split] = answer_or_plan["splits"]
            return plan_splits
        self.context.engine(Capability.SPLIT_PROFILE)
        if answer_or_plan.splits is None:
            raise AssertionError("this answer has no split profile: run the query with the profile on")
        return [dataclasses.asdict(split) for split in answer_or_plan.splits]

    @keyword
    def restart_lost_nodes(self) -> list[str]:
        """Restarts every data node of the lab that the coordinator does not see; returns their names.

        Handy as a test teardown after tests that kill nodes. On an engine without the capability
        ``node_lifecycle`` no node can have been killed, so it does nothing (and does not skip).

        Example:
        | Test Teardown    `Restart Lost Nodes`
        """
        driver = self.context.engine()
        if Capability.NODE_LIFECYCLE not in driver.capabilities:
            return []  # no node of such an engine can have been killed here: a teardown has nothing to do
        live = driver.nodes()
        lost = [node for node in self.context.require_lab().settings.data_nodes if node not in live]
        for node in lost:
            driver.restart_node(node)
        return lost
