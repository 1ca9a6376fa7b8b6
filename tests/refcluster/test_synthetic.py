"""Synthetic plans (``POST /plan`` with split sizes): validation, JSON shape, speed."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakeproof.errors import ConfigError
from lakeproof.properties.distribution import from_synthetic_plan
from lakeproof.properties.invariants import CoalescingRules, coalescing, exactly_once
from lakeproof.refcluster.synthetic import plan_synthetic


def test_plan_json_shape() -> None:
    plan = plan_synthetic(
        {"split_sizes": [5, 3, 9, 7], "nodes": 2, "strategy": "adaptive", "shape": {"aggregation": True}}
    )
    assert plan == {
        "strategy": {
            "requested": "adaptive",
            "used": "weighted_round_robin",
            "reason": "adaptive: aggregation over 4 splits and 2 nodes"
            " -> weighted_round_robin (all sizes known)",
        },
        "warnings": [],
        "groups": [
            {"id": 0, "splits": [0], "size": 5, "node": 1},
            {"id": 1, "splits": [1], "size": 3, "node": 0},
            {"id": 2, "splits": [2], "size": 9, "node": 0},
            {"id": 3, "splits": [3], "size": 7, "node": 1},
        ],
        "node_loads": [12, 12],
        "coordinator_load": 0,
    }
    assert json.loads(json.dumps(plan)) == plan


def test_defaults_are_adaptive_plain_scan_without_coalescing() -> None:
    plan = plan_synthetic({"split_sizes": [1] * 40, "nodes": 0})
    assert plan["strategy"]["requested"] == "adaptive"
    assert plan["strategy"]["used"] == "coordinator_only"
    assert len(plan["groups"]) == 40
    assert plan["node_loads"] == []
    assert plan["coordinator_load"] == 40


def test_unknown_strategy_warns_and_falls_back() -> None:
    plan = plan_synthetic({"split_sizes": [1, 2, 3], "nodes": 2, "strategy": "roundrobin"})
    assert plan["warnings"] == [
        "unknown external_distribution pragma value [roundrobin]; falling back to adaptive"
    ]
    assert plan["strategy"]["requested"] == "roundrobin"
    assert plan["strategy"]["used"] == "weighted_round_robin"


def test_coalesce_groups_many_small_splits() -> None:
    plan = plan_synthetic(
        {"split_sizes": [10] * 100, "nodes": 3, "strategy": "round_robin", "coalesce": True}
    )
    # 32 distinct files (each synthetic split is its own file) per group at most.
    assert [len(g["splits"]) for g in plan["groups"]] == [32, 32, 32, 4]
    assert sorted(i for g in plan["groups"] for i in g["splits"]) == list(range(100))
    assert [g["node"] for g in plan["groups"]] == [0, 1, 2, 0]
    assert plan["node_loads"] == [360, 320, 320]


def test_unknown_sizes_are_reported_and_not_counted_as_load() -> None:
    plan = plan_synthetic({"split_sizes": [5, -1, 7], "nodes": 2, "strategy": "weighted_round_robin"})
    assert plan["strategy"]["used"] == "round_robin"
    assert plan["groups"][1]["size"] == -1
    assert plan["node_loads"] == [12, 0]


@given(
    sizes=st.lists(st.one_of(st.integers(0, 10**6), st.just(-1)), max_size=100),
    nodes=st.integers(0, 20),
    strategy=st.sampled_from(
        ["coordinator_only", "round_robin", "weighted_round_robin", "adaptive", "", "x"]
    ),
    do_coalesce=st.booleans(),
    aggregation=st.booleans(),
)
def test_bytes_are_conserved_between_nodes_and_coordinator(
    sizes: list[int], nodes: int, strategy: str, do_coalesce: bool, aggregation: bool
) -> None:
    request = {
        "split_sizes": sizes,
        "nodes": nodes,
        "strategy": strategy,
        "coalesce": do_coalesce,
        "shape": {"aggregation": aggregation},
    }
    plan = plan_synthetic(request)
    # The invariants themselves are defined once, in lakeproof.properties (the property suites
    # check the same ones over HTTP): every split once, loads adding up to the known bytes.
    distribution = from_synthetic_plan(request, plan)
    assert exactly_once(distribution) == []
    assert coalescing(distribution, CoalescingRules(enabled=do_coalesce)) == []
    assert [g["id"] for g in plan["groups"]] == list(range(len(plan["groups"])))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"nodes": 2}, "split_sizes is required: a list of split sizes in bytes (-1 = unknown)"),
        ({"split_sizes": [1]}, "nodes is required: the number of data nodes (0 = coordinator only)"),
        ({"split_sizes": [1], "nodes": -1}, "nodes must be >= 0, got -1"),
        ({"split_sizes": [1], "nodes": 1025}, "nodes must be <= 1024, got 1025"),
        ({"split_sizes": [1], "nodes": 2.0}, "nodes must be an integer, got 2.0"),
        ({"split_sizes": [1], "nodes": True}, "nodes must be an integer, got True"),
        ({"split_sizes": "1,2", "nodes": 1}, "split_sizes must be a list of integers, got '1,2'"),
        ({"split_sizes": [1, 2.5], "nodes": 1}, "split_sizes[1] must be an integer, got 2.5"),
        ({"split_sizes": [1, "2"], "nodes": 1}, "split_sizes[1] must be an integer, got '2'"),
        ({"split_sizes": [1, -2], "nodes": 1}, "split_sizes[1] must be >= -1 (-1 = unknown), got -2"),
        ({"split_sizes": [1], "nodes": 1, "strategy": 3}, "strategy must be a string, got 3"),
        ({"split_sizes": [1], "nodes": 1, "coalesce": "yes"}, "coalesce must be true or false, got 'yes'"),
        ({"split_sizes": [1], "nodes": 1, "offset": None}, "offset must be an integer, got None"),
        ({"split_sizes": [1], "nodes": 1, "shape": []}, "shape must be an object, got []"),
        (
            {"split_sizes": [1], "nodes": 1, "shape": {"agg": True}},
            "unknown shape field 'agg'; expected one of ['aggregation', 'filter', 'limit', 'topn']",
        ),
        ({"split_sizes": [1], "nodes": 1, "shape": {"topn": 1}}, "shape.topn must be true or false, got 1"),
        (
            {"split_sizes": [1], "nodes": 1, "shape": {"limit": -3}},
            "shape.limit must be a non-negative integer or null, got -3",
        ),
        (
            {"split_sizes": [1], "nodes": 1, "node": 2},
            "unknown plan field 'node'; expected one of"
            " ['coalesce', 'nodes', 'offset', 'shape', 'split_sizes', 'strategy']",
        ),
    ],
)
def test_bad_bodies_raise_one_line_config_errors(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        plan_synthetic(body)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_more_than_a_million_splits_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^split_sizes has 1000001 entries; at most 1000000 are allowed$"):
        plan_synthetic({"split_sizes": [0] * 1_000_001, "nodes": 1})


def test_small_plans_run_at_more_than_500_per_second() -> None:
    body = {"split_sizes": [5, 3, 9, 7, 1, 2, 3, 4], "nodes": 3, "shape": {"aggregation": True}}
    started = time.perf_counter()
    for _ in range(500):
        plan_synthetic(body)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("do_coalesce", [False, True])
def test_ten_thousand_splits_plan_well_under_a_second(do_coalesce: bool) -> None:
    sizes = [(i * 7919) % 100_003 for i in range(10_000)]
    started = time.perf_counter()
    plan = plan_synthetic(
        {"split_sizes": sizes, "nodes": 7, "coalesce": do_coalesce, "shape": {"topn": True}}
    )
    assert time.perf_counter() - started < 0.5
    assert sum(len(g["splits"]) for g in plan["groups"]) == 10_000
