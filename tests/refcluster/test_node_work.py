"""What the engine reports about work on its nodes, and what it answers when every node is lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakeproof.datagen import Manifest, load_spec
from lakeproof.lab import Lab, LabSettings
from lakeproof.net import wait_until
from lakeproof.refcluster.client import CoordinatorClient, CoordinatorRequestError

pytestmark = pytest.mark.component

DATASETS = Path(__file__).resolve().parents[2] / "data" / "datasets"
NODES = ("node-1", "node-2")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Manifest]]:
    settings = LabSettings(
        output_dir=tmp_path_factory.mktemp("node-work"), readers=("coordinator", *NODES), cluster=True
    )
    with Lab(settings) as running:
        yield running, running.create_dataset(load_spec(DATASETS / "smoke.yaml"))


def _data_nodes_working(client: CoordinatorClient) -> bool:
    return any(count for name, count in client.running_tasks().items() if name in NODES)


def _finished(client: CoordinatorClient, query_id: str) -> dict[str, Any] | CoordinatorRequestError:
    outcome: list[dict[str, Any] | CoordinatorRequestError] = []

    def done() -> bool:
        try:
            state = client.get_async(query_id)
        except CoordinatorRequestError as exc:
            outcome.append(exc)
            return True
        if state["is_running"]:
            return False
        outcome.append(state)
        return True

    wait_until(done, 60, f"async query {query_id} to finish", interval=0.05)
    return outcome[0]


def test_running_tasks_shows_node_work_while_it_runs_and_none_after(lab: tuple[Lab, Manifest]) -> None:
    running, smoke = lab
    client = running.coordinator_client()
    assert client.running_tasks() == {"coordinator": 0, "node-1": 0, "node-2": 0}
    rule = running.control.add_rule(action="latency", latency_ms=300, prefix=f"{running.prefix}/")
    query_id = client.start_async(
        f"SELECT sum(qty) FROM {smoke.duckdb_scan('parquet')}", {"external_distribution": "round_robin"}
    )
    wait_until(lambda: _data_nodes_working(client), 30, "a data node to run its task")
    answer = _finished(client, query_id)
    running.control.remove_rule(rule["id"])
    assert not isinstance(answer, CoordinatorRequestError), answer
    assert set(client.running_tasks().values()) == {0}


def test_every_node_lost_with_partial_results_allowed_is_a_clear_error(lab: tuple[Lab, Manifest]) -> None:
    running, smoke = lab
    client = running.coordinator_client()
    running.control.add_rule(
        action="latency", latency_ms=1000, prefix=f"{running.prefix}/", operation="RANGE_GET"
    )
    query_id = client.start_async(
        f"SELECT region, sum(qty) FROM {smoke.duckdb_scan('parquet')} GROUP BY region",
        {"external_distribution": "round_robin", "allow_partial_results": True},
    )
    wait_until(lambda: _data_nodes_working(client), 30, "a data node to run its task")
    killers = [threading.Thread(target=running.kill_node, args=(node,)) for node in NODES]
    for killer in killers:
        killer.start()
    for killer in killers:
        killer.join(60)
    error = _finished(client, query_id)
    # Nothing was read, so there is no partial answer to serve: the error says so (before the fix,
    # merging zero node results failed with an internal ArrowInvalid error).
    assert isinstance(error, CoordinatorRequestError), error
    assert error.status == 503
    assert error.reason == "all [2] nodes assigned external splits failed; cannot serve partial results"
