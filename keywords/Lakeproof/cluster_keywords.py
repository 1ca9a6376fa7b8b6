"""Keywords that query the reference cluster, read its plans and profiles, and lose nodes."""

from __future__ import annotations

import time
from datetime import timedelta
from html import escape
from typing import Any

import duckdb
from robot.api import logger
from robotlibcore import keyword

from lakeproof.compare import CompareOptions, answer_from_duckdb, answer_from_json, compare, comparison_html
from Lakeproof.context import LabContext
from lakeproof.datagen import Format, tpch_answer, tpch_query_over
from lakeproof.datagen.tpch import TPCH_TABLES
from Lakeproof.html_log import html_table, log_table
from lakeproof.refcluster.client import CoordinatorClient, CoordinatorRequestError
from lakeproof.refcluster.model import STRATEGIES

_BAR_WIDTH_PX = 300


def _bar_chart(title: str, values: dict[str, int], unit: str) -> str:
    """A horizontal bar per name, scaled to the largest value: readable without any plotting library."""
    largest = max(values.values(), default=0) or 1
    rows = "".join(
        f'<tr><td>{escape(name)}</td><td><div style="background:#4a90d9;height:12px;'
        f'width:{round(_BAR_WIDTH_PX * value / largest)}px"></div></td><td>{value} {escape(unit)}</td></tr>'
        for name, value in values.items()
    )
    return f"<b>{escape(title)}</b><table>{rows}</table>"


class ClusterKeywords:
    """Run queries on the embedded reference cluster and inspect what it did."""

    def __init__(self, context: LabContext):
        self.context = context

    def _client(self) -> CoordinatorClient:
        return self.context.require_lab().coordinator_client()

    @keyword
    def get_strategies(self) -> list[str]:
        """Returns every distribution strategy the engine knows, from the engine's one list.

        Suites loop over this list, so a strategy added to the engine cannot be left out.

        Example:
        | ${strategies}=    `Get Strategies`
        """
        return list(STRATEGIES)

    @keyword
    def run_query(self, query: str, strategy: str = "adaptive", **pragma: Any) -> dict[str, Any]:
        """Runs ``query`` on the cluster with distribution ``strategy`` and returns the answer.

        Further ``name=value`` arguments are pragmas (``allow_partial_results=${True}``,
        ``max_attempts=${2}``, ``query_timeout_s=${5}``, ``target_split_size=${1024}`` ...).
        The answer has ``columns``, ``values``, ``is_partial``, ``warnings`` and ``profile``.
        The log shows the query, the strategy chosen and why, the first rows, and charts of
        splits and bytes per node. An engine error fails with the engine's own reason.

        Example:
        | ${result}=    `Run Query`    SELECT count(*) FROM read_parquet('s3://lake/x/*.parquet')
        | ...    strategy=round_robin
        """
        logger.info(f"<b>Query</b> ({escape(strategy)}): <code>{escape(query)}</code>", html=True)
        try:
            result = self._client().query(query, {"external_distribution": strategy, **pragma})
        except CoordinatorRequestError as exc:
            raise AssertionError(f"the engine refused the query: {exc}") from None
        self._log_result(result)
        return result

    def _log_result(self, result: dict[str, Any]) -> None:
        profile = result.get("profile", {})
        chosen = profile.get("strategy", {})
        logger.info(
            f"strategy requested {chosen.get('requested')!r}, used {chosen.get('used')!r}: "
            f"{chosen.get('reason')}; {len(result['values'])} rows"
            f"{' (PARTIAL)' if result.get('is_partial') else ''}"
        )
        for warning in result.get("warnings", []):
            logger.warn(warning)
        names = [column["name"] for column in result["columns"]]
        logger.info(f"<b>Result</b>{html_table(names, result['values'])}", html=True)
        splits = profile.get("splits", [])
        per_node: dict[str, int] = {}
        bytes_per_node: dict[str, int] = {}
        for split in splits:
            per_node[split["node"]] = per_node.get(split["node"], 0) + 1
            bytes_per_node[split["node"]] = bytes_per_node.get(split["node"], 0) + (split["bytes"] or 0)
        if splits:
            logger.info(
                _bar_chart("Splits per node", per_node, "splits")
                + _bar_chart("Bytes read per node", bytes_per_node, "B"),
                html=True,
            )

    @keyword
    def query_should_match_oracle(
        self,
        query: str,
        strategy: str = "adaptive",
        ordered: bool = False,
        tolerance: float = 1e-9,
        **pragma: Any,
    ) -> dict[str, Any]:
        """Runs ``query`` on the cluster and fails unless plain DuckDB gives the same answer.

        The oracle is single-process DuckDB reading the same objects straight from the object
        store (never through the fault proxy). Rows are compared as a multiset unless
        ``ordered`` is true; doubles within relative ``tolerance``; decimals and integers exactly;
        NaN equals NaN; column names and types must match. On a mismatch the log shows the
        missing and extra rows and the first differing cells, and the failure says what differs.
        Further ``name=value`` arguments are pragmas, as for `Run Query`. Returns the answer.

        Example:
        | `Query Should Match Oracle`    SELECT region, sum(qty) FROM ${scan} GROUP BY region
        | ...    strategy=round_robin
        """
        result: dict[str, Any] = self.run_query(query, strategy, **pragma)
        expected = answer_from_duckdb(self.context.oracle().connection.sql(query))
        comparison = compare(
            expected, answer_from_json(result), CompareOptions(ordered=ordered, float_tolerance=tolerance)
        )
        logger.info(comparison_html(comparison), html=True)
        if not comparison.equal:
            raise AssertionError(f"{strategy}: {comparison.summary()}")
        return result

    @keyword
    def results_should_be_equal(
        self,
        actual: dict[str, Any],
        expected: dict[str, Any],
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
            answer_from_json(expected),
            answer_from_json(actual),
            CompareOptions(ordered=ordered, float_tolerance=tolerance),
        )
        logger.info(comparison_html(comparison), html=True)
        if not comparison.equal:
            raise AssertionError(comparison.summary())

    @keyword("TPC-H Query Should Match Official Answer")
    def tpch_query_should_match_official_answer(
        self, number: int, strategy: str = "adaptive", format: Format = "parquet"
    ) -> dict[str, Any]:
        """Runs TPC-H query ``number`` (1-22) on the cluster and compares it with DuckDB's official answer.

        Needs `Create TPC-H Dataset` first (scale factor 0.01, 0.1 or 1); the query reads the
        tables' ``format`` objects. Rows are compared in order (every TPC-H query orders its
        result), doubles within a relative 1e-9. Column types are not compared: the official
        answers carry DuckDB's 128-bit integer sums as DECIMAL(38,0), values compare exactly.

        Example:
        | `TPC-H Query Should Match Official Answer`    6    strategy=round_robin
        """
        scale_factor = self.context.tpch_scale_factor
        if scale_factor is None:
            raise AssertionError("no TPC-H data in this lab: call 'Create TPC-H Dataset' first")
        scans = {name: self.context.datasets[name].duckdb_scan(format) for name in TPCH_TABLES}
        result: dict[str, Any] = self.run_query(tpch_query_over(number, scans), strategy)
        official = duckdb.connect().from_arrow(tpch_answer(number, scale_factor))
        comparison = compare(
            answer_from_duckdb(official),
            answer_from_json(result),
            CompareOptions(ordered=True, compare_types=False),
        )
        logger.info(comparison_html(comparison), html=True)
        if not comparison.equal:
            raise AssertionError(f"TPC-H Q{number} under {strategy}: {comparison.summary()}")
        return result

    @keyword
    def plan_query(self, query: str, strategy: str = "adaptive", **pragma: Any) -> dict[str, Any]:
        """Returns the engine's dry-run plan of ``query``: strategy, splits and their nodes; reads no data.

        Example:
        | ${plan}=    `Plan Query`    SELECT * FROM read_csv('s3://lake/x/*.csv')
        | ...    strategy=weighted_round_robin
        """
        try:
            plan = self._client().plan(
                {"query": query, "pragma": {"external_distribution": strategy, **pragma}}
            )
        except CoordinatorRequestError as exc:
            raise AssertionError(f"the engine refused the plan: {exc}") from None
        log_table(
            "Planned splits",
            ["id", "group", "uri", "offset", "length", "node"],
            [[s["id"], s["group"], s["uri"], s["offset"], s["length"], s["node"]] for s in plan["splits"]],
        )
        return plan

    @keyword
    def kill_node(self, node: str) -> None:
        """Kills data node ``node`` (SIGKILL: a crash) and waits until the coordinator no longer sees it.

        Example:
        | `Kill Node`    node-2
        """
        self.context.require_lab().kill_node(node)

    @keyword
    def restart_node(self, node: str) -> None:
        """Starts data node ``node`` again and waits until the coordinator sees it.

        Example:
        | `Restart Node`    node-2
        """
        self.context.require_lab().restart_node(node)

    @keyword
    def get_live_nodes(self) -> list[str]:
        """Returns the names of the data nodes the coordinator sees now.

        Example:
        | ${nodes}=    `Get Live Nodes`
        """
        return self.context.require_lab().live_nodes()

    @keyword
    def start_async_query(self, query: str, strategy: str = "adaptive", **pragma: Any) -> str:
        """Starts ``query`` in the background and returns its id.

        Example:
        | ${id}=    `Start Async Query`    ${SLOW_QUERY}
        """
        return self._client().start_async(query, {"external_distribution": strategy, **pragma})

    @keyword
    def cancel_async_query(self, query_id: str) -> None:
        """Cancels the background query ``query_id``; its node work stops at the next split.

        Example:
        | `Cancel Async Query`    ${id}
        """
        self._client().cancel_async(query_id)

    @keyword
    def wait_for_async_query(
        self, query_id: str, timeout: timedelta = timedelta(seconds=60)
    ) -> dict[str, Any]:
        """Waits until the background query ``query_id`` is done and returns its answer.

        Fails with the engine's reason if the query failed, or if it is still running after ``timeout``.

        Example:
        | ${result}=    `Wait For Async Query`    ${id}    timeout=30 s
        """
        client = self._client()
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            try:
                state = client.get_async(query_id)
            except CoordinatorRequestError as exc:
                raise AssertionError(f"async query {query_id} failed: {exc}") from None
            if not state["is_running"]:
                self._log_result(state)
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"async query {query_id} still running after {timeout}")
            time.sleep(0.05)  # polling cadence of a readiness probe, bounded by the deadline
