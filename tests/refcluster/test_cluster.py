"""The reference cluster end to end: a real lab with a coordinator and three Dask data nodes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
import distributed
import pytest

from lakeproof.datagen import Format, Manifest, load_spec
from lakeproof.jsonvalue import json_value
from lakeproof.lab import Lab, LabSettings
from lakeproof.net import wait_until
from lakeproof.oracle import Oracle
from lakeproof.properties.invariants import CoalescingRules
from lakeproof.properties.profile import profile_violations
from lakeproof.refcluster.client import CoordinatorClient, CoordinatorRequestError
from lakeproof.refcluster.model import STRATEGIES

from .conftest import DATASETS, READERS

pytestmark = pytest.mark.component

FAST_RETRIES = {"initial_backoff_s": 0.01, "max_backoff_s": 0.05}


def _oracle(lab: Lab, sql: str) -> tuple[list[dict[str, str]], list[tuple[Any, ...]]]:
    """Columns and rows of plain DuckDB's answer, values JSON-shaped like the engine's."""
    oracle = Oracle(lab.s3)
    try:
        relation = oracle.connection.sql(sql)
        columns = [{"name": n, "type": str(t)} for n, t in zip(relation.columns, relation.types, strict=True)]
        return columns, sorted(tuple(json_value(value) for value in row) for row in relation.fetchall())
    finally:
        oracle.close()


def _rows(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in answer["values"])


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_grouped_aggregate_equals_oracle_under_every_strategy(
    lab: Lab, smoke: Manifest, client: CoordinatorClient, strategy: str, fmt: Format
) -> None:
    scan = smoke.duckdb_scan(fmt)
    sql = f"SELECT region, count(*) AS n, sum(qty) AS q, min(score) AS lo FROM {scan} GROUP BY region"
    answer = client.query(sql, {"external_distribution": strategy, "target_split_size": 20_000})
    columns, rows = _oracle(lab, sql)
    assert answer["columns"] == columns
    assert _rows(answer) == rows
    splits = answer["profile"]["splits"]
    assert sorted(split["id"] for split in splits) == list(range(len(splits)))  # each split exactly once
    assert sum(split["rows"] for split in splits) == smoke.total_rows
    used = answer["profile"]["strategy"]["used"]
    if strategy == "coordinator_only":
        assert {split["node"] for split in splits} == {"coordinator"}
    if used != "coordinator_only":
        assert {split["node"] for split in splits} <= {"node-1", "node-2", "node-3"}


def test_unknown_strategy_warns_and_falls_back_to_adaptive(
    smoke: Manifest, client: CoordinatorClient
) -> None:
    answer = client.query(
        f"SELECT count(*) FROM {smoke.duckdb_scan('parquet')}", {"external_distribution": "fast"}
    )
    assert answer["warnings"] == [
        "unknown external_distribution pragma value [fast]; falling back to adaptive"
    ]
    assert answer["values"] == [[smoke.total_rows]]


@pytest.mark.parametrize(
    ("query", "pragma", "reason"),
    [
        ("SELEC 1", {}, "invalid SQL"),
        ("SELECT * FROM orders", {}, "unknown table 'orders'"),
        (
            "SELECT * FROM read_parquet('s3://lake/no/such/*.parquet')",
            {},
            "no objects match s3://lake/no/such/*.parquet",
        ),
        ("SELECT 1", {"max_attempts": -1}, "invalid pragma [max_attempts] = -1"),
        ("SELECT 1", {"retries": 2}, "unknown pragma [retries]"),
    ],
)
def test_bad_requests_are_4xx_with_a_reason(
    client: CoordinatorClient, query: str, pragma: dict[str, Any], reason: str
) -> None:
    with pytest.raises(CoordinatorRequestError) as caught:
        client.query(query, pragma)
    assert 400 <= caught.value.status < 500
    assert reason in caught.value.reason
    assert client.health()["status"] == "green"  # the coordinator survived


def test_transient_503s_are_retried_and_counted(lab: Lab, smoke: Manifest, client: CoordinatorClient) -> None:
    lab.control.add_rule(
        action="slowdown_503", per_request=2, prefix=f"{lab.prefix}/smoke/parquet/", operation="RANGE_GET"
    )
    answer = client.query(
        f"SELECT sum(qty) FROM {smoke.duckdb_scan('parquet')}",
        {"external_distribution": "round_robin", **FAST_RETRIES},
    )
    assert _rows(answer) == _oracle(lab, f"SELECT sum(qty) FROM {smoke.duckdb_scan('parquet')}")[1]
    assert all(split["attempts"] >= 3 for split in answer["profile"]["splits"])
    assert lab.control.stats(prefix=f"{lab.prefix}/")["totals"]["faults_by_action"]["slowdown_503"] >= 2


def test_persistent_503_names_object_status_and_attempts(
    lab: Lab, smoke: Manifest, client: CoordinatorClient
) -> None:
    key = smoke.objects_of("parquet")[1].key
    lab.control.add_rule(action="slowdown_503", key=f"*{key}")
    with pytest.raises(CoordinatorRequestError) as caught:
        client.query(
            f"SELECT count(*) FROM {smoke.duckdb_scan('parquet')}", {"max_attempts": 3, **FAST_RETRIES}
        )
    assert caught.value.status >= 500
    assert f"s3://lake/{lab.prefix}/{key}" in caught.value.reason
    assert "503" in caught.value.reason
    assert "3 attempts" in caught.value.reason


def test_plan_is_a_dry_run(smoke: Manifest, client: CoordinatorClient) -> None:
    plan = client.plan(
        {
            "query": f"SELECT * FROM {smoke.duckdb_scan('ndjson')}",
            "pragma": {"external_distribution": "round_robin", "target_split_size": 10_000},
        }
    )
    assert len(plan["splits"]) > len(smoke.objects_of("ndjson"))
    assert {split["node"] for split in plan["splits"]} == {"node-1", "node-2", "node-3"}
    synthetic = client.plan({"split_sizes": [5, 1, 9], "nodes": 2, "strategy": "weighted_round_robin"})
    assert synthetic["strategy"]["used"] == "weighted_round_robin"


def test_async_query_can_be_cancelled(lab: Lab, smoke: Manifest, client: CoordinatorClient) -> None:
    lab.control.add_rule(action="latency", latency_ms=300, prefix=f"{lab.prefix}/")
    query_id = client.start_async(
        f"SELECT count(*) FROM {smoke.duckdb_scan('csv')}", {"external_distribution": "coordinator_only"}
    )
    assert client.get_async(query_id)["is_running"] is True
    assert client.cancel_async(query_id)["cancelled"] is True
    with pytest.raises(CoordinatorRequestError) as caught:
        client.get_async(query_id)
    assert caught.value.status == 404


@pytest.fixture
def fresh_lab(tmp_path: Path) -> Iterator[tuple[Lab, Manifest]]:
    settings = LabSettings(output_dir=tmp_path, readers=READERS, cluster=True)
    with Lab(settings) as running:
        yield running, running.create_dataset(load_spec(DATASETS / "smoke.yaml"))


def _kill_during_query(
    lab: Lab, node: str, sql: str, pragma: dict[str, Any]
) -> dict[str, Any] | CoordinatorRequestError:
    """Slow the node's reads, start the query, kill the node while it reads; return answer or error."""
    lab.control.reset_stats()
    lab.control.add_rule(action="latency", latency_ms=400, listener=node, prefix=f"{lab.prefix}/")
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(lab.coordinator_client().query(sql, pragma))
        except CoordinatorRequestError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    wait_until(
        lambda: lab.control.stats()["by_listener"].get(node, {}).get("requests", 0) > 0, 30, f"{node} to read"
    )
    lab.kill_node(node)
    worker.join(60)
    result: dict[str, Any] | CoordinatorRequestError = outcome[0]
    return result


def test_a_node_lost_mid_query_has_its_splits_reassigned(fresh_lab: tuple[Lab, Manifest]) -> None:
    lab, smoke = fresh_lab
    sql = f"SELECT count(*), sum(qty) FROM {smoke.duckdb_scan('parquet')}"
    expected = lab.coordinator_client().query(sql, {"external_distribution": "round_robin"})["values"]
    answer = _kill_during_query(lab, "node-2", sql, {"external_distribution": "round_robin"})
    assert not isinstance(answer, CoordinatorRequestError), answer
    assert answer["values"] == expected
    assert answer["is_partial"] is False
    assert "node-2" in answer["profile"]["reassigned_from"]
    lab.restart_node("node-2")
    again = lab.coordinator_client().query(sql, {"external_distribution": "round_robin"})
    assert "node-2" in {split["node"] for split in again["profile"]["splits"]}


def test_a_node_lost_with_partial_results_allowed_is_flagged(fresh_lab: tuple[Lab, Manifest]) -> None:
    lab, smoke = fresh_lab
    # sum(qty) makes nodes read column data (a bare count(*) is answered from Parquet footers).
    sql = f"SELECT count(*), sum(qty) FROM {smoke.duckdb_scan('parquet')}"
    answer = _kill_during_query(
        lab, "node-1", sql, {"external_distribution": "round_robin", "allow_partial_results": True}
    )
    assert not isinstance(answer, CoordinatorRequestError), answer
    assert answer["is_partial"] is True
    missing = answer["profile"]["missing_splits"]
    assert missing
    assert answer["values"][0][0] < smoke.total_rows


def test_all_nodes_lost_mid_query_is_a_clear_error(fresh_lab: tuple[Lab, Manifest]) -> None:
    lab, smoke = fresh_lab
    lab.control.add_rule(action="latency", latency_ms=500, prefix=f"{lab.prefix}/", operation="RANGE_GET")
    outcome: list[Any] = []
    sql = f"SELECT sum(qty) FROM {smoke.duckdb_scan('parquet')}"

    def run() -> None:
        try:
            outcome.append(lab.coordinator_client().query(sql, {"external_distribution": "round_robin"}))
        except CoordinatorRequestError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()

    def nodes_reading() -> bool:
        by_listener = lab.control.stats()["by_listener"]
        return all(
            by_listener.get(node, {}).get("requests", 0) > 0 for node in ("node-1", "node-2", "node-3")
        )

    wait_until(nodes_reading, 30, "every node to read")
    for node in ("node-1", "node-2", "node-3"):
        lab.kill_node(node)
    worker.join(60)
    error = outcome[0]
    assert isinstance(error, CoordinatorRequestError), error
    assert error.status == 503
    assert error.reason == "all [3] nodes assigned external splits failed; cannot serve partial results"


def test_a_query_never_outlives_its_deadline(lab: Lab, smoke: Manifest, client: CoordinatorClient) -> None:
    lab.control.add_rule(action="hang", hang_seconds=30, prefix=f"{lab.prefix}/", operation="RANGE_GET")
    started = time.monotonic()
    with pytest.raises(CoordinatorRequestError) as caught:
        client.query(
            f"SELECT count(*) FROM {smoke.duckdb_scan('parquet')}",
            {"external_distribution": "round_robin", "query_timeout_s": 1.5, "read_timeout_s": 1.0},
        )
    assert caught.value.status == 504
    assert "deadline" in caught.value.reason
    assert time.monotonic() - started < 10


def test_cancelling_an_async_query_stops_node_work(
    lab: Lab, smoke: Manifest, client: CoordinatorClient
) -> None:
    sql = f"SELECT count(*) FROM {smoke.duckdb_scan('ndjson')}"
    pragma = {"external_distribution": "round_robin", "target_split_size": 4_000, "coalesce": False}
    lab.control.reset_stats()
    client.query(sql, pragma)
    full_run = lab.control.stats(prefix=f"{lab.prefix}/")["totals"]["requests"]
    lab.control.reset_stats()
    lab.control.add_rule(action="latency", latency_ms=100, prefix=f"{lab.prefix}/")
    query_id = client.start_async(sql, pragma)
    wait_until(
        lambda: lab.control.stats(prefix=f"{lab.prefix}/")["totals"]["requests"] > 3, 30, "reads to start"
    )
    client.cancel_async(query_id)

    def settled() -> bool:
        before: int = lab.control.stats(prefix=f"{lab.prefix}/")["totals"]["requests"]
        time.sleep(0.5)  # one observation window: no new request may arrive in it
        after: int = lab.control.stats(prefix=f"{lab.prefix}/")["totals"]["requests"]
        return after == before

    wait_until(settled, 20, "node reads to stop")
    assert lab.control.stats(prefix=f"{lab.prefix}/")["totals"]["requests"] < full_run / 2


def test_a_coordinator_attaches_to_an_existing_dask_scheduler(
    lab: Lab, smoke: Manifest, tmp_path: Path
) -> None:
    scheduler = lab.describe()["dask_scheduler"]
    settings = LabSettings(output_dir=tmp_path, readers=READERS, cluster=True, dask_scheduler=scheduler)
    with Lab(settings) as attached:
        attached.wait_for_nodes(3)
        assert "dask_scheduler" not in attached.describe()["pids"]  # it started no scheduler of its own
        # The attached coordinator reads the first lab's bucket through its own proxy listeners.
        data = attached.create_dataset(load_spec(DATASETS / "smoke.yaml"))
        answer = attached.coordinator_client().query(
            f"SELECT count(*) FROM {data.duckdb_scan('csv')}", {"external_distribution": "round_robin"}
        )
    assert answer["values"] == [[smoke.total_rows]]


def test_data_nodes_run_without_the_sampling_profiler(lab: Lab) -> None:
    # The profiler and the fast event-loop tick cost about a third of the nodes' CPU on TPC-H.
    with distributed.Client(lab.describe()["dask_scheduler"], timeout=30) as dask_client:  # type: ignore[no-untyped-call]
        enabled = dask_client.run(dask.config.get, "distributed.worker.profile.enabled")
    assert len(enabled) == len(lab.live_nodes())
    assert not any(enabled.values()), f"profiler on in: {enabled}"


def test_a_profile_names_each_split_s_source_and_each_source_is_coalesced_on_its_own(
    lab: Lab, smoke: Manifest, client: CoordinatorClient
) -> None:
    parquet, ndjson = smoke.duckdb_scan("parquet"), smoke.duckdb_scan("ndjson")
    sql = f"SELECT count(*) FROM (SELECT region FROM {parquet} UNION ALL SELECT region FROM {ndjson})"
    # Small splits and a low threshold: each source has more splits than the threshold.
    pragma = {"target_split_size": 4096, "coalesce_threshold": 2, "external_distribution": "round_robin"}
    answer = client.query(sql, pragma)
    assert answer["values"] == [[2 * smoke.total_rows]]
    formats: dict[int, set[str]] = {}
    for split in answer["profile"]["splits"]:
        formats.setdefault(split["source"], set()).add(split["format"])
    assert sorted(formats) == [0, 1]
    assert sorted(map(sorted, formats.values())) == [["ndjson"], ["parquet"]]
    violations = profile_violations(answer, lab.live_nodes(), rules=CoalescingRules.from_pragma(pragma))
    assert (violations["exact_coalescing"], violations["exact_assignment"]) == ([], [])
