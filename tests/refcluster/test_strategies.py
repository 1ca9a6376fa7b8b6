"""Distribution strategies: the design table row by row, plus the provable bounds as properties."""

from __future__ import annotations

import dataclasses
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakeproof.errors import ConfigError
from lakeproof.properties.distribution import Distribution, from_synthetic_plan
from lakeproof.properties.invariants import (
    coordinator_only,
    exactly_once,
    round_robin_balance,
    weighted_bound,
)
from lakeproof.refcluster.model import STRATEGIES, UNKNOWN_SIZE, QueryShape
from lakeproof.refcluster.strategies import assign, node_loads
from lakeproof.refcluster.synthetic import plan_synthetic

SCAN = QueryShape()
AGGREGATION = QueryShape(aggregation=True)
TOPN = QueryShape(topn=True, limit=10)
LIMIT_ONLY = QueryShape(limit=10)
FILTER_LIMIT = QueryShape(limit=10, filter=True)

known_sizes = st.lists(st.integers(0, 10**9), max_size=200)
any_sizes = st.lists(st.one_of(st.integers(0, 10**9), st.just(UNKNOWN_SIZE)), max_size=200)
node_counts = st.integers(0, 40)
shapes = st.builds(
    QueryShape,
    aggregation=st.booleans(),
    topn=st.booleans(),
    limit=st.one_of(st.none(), st.integers(0, 1000)),
    filter=st.booleans(),
)
requested = st.one_of(st.sampled_from([*STRATEGIES, ""]), st.text(max_size=20))


def distribution(
    sizes: list[int], nodes: int, strategy: str, shape: QueryShape = SCAN, offset: int = 0
) -> Distribution:
    """The synthetic plan of these groups, as the property checkers (lakeproof.properties) read it."""
    request = {
        "split_sizes": sizes,
        "nodes": nodes,
        "strategy": strategy,
        "shape": dataclasses.asdict(shape),
        "offset": offset,
    }
    return from_synthetic_plan(request, plan_synthetic(request))


@given(sizes=any_sizes, nodes=node_counts, strategy=requested, shape=shapes, offset=st.integers(-5, 50))
def test_every_group_is_assigned_exactly_once_to_a_valid_node_deterministically(
    sizes: list[int], nodes: int, strategy: str, shape: QueryShape, offset: int
) -> None:
    result = assign(sizes, nodes, strategy, shape, offset)
    assert exactly_once(distribution(sizes, nodes, strategy, shape, offset)) == []
    assert result.used in ("coordinator_only", "round_robin", "weighted_round_robin")
    assert result.requested == strategy
    assert result.reason
    assert assign(list(sizes), nodes, strategy, shape, offset) == result


@given(sizes=any_sizes, nodes=st.integers(1, 40), offset=st.integers(0, 100))
def test_round_robin_counts_differ_by_at_most_one(sizes: list[int], nodes: int, offset: int) -> None:
    assert round_robin_balance(distribution(sizes, nodes, "round_robin", SCAN, offset)) == []
    result = assign(sizes, nodes, "round_robin", SCAN, offset)
    if sizes:
        assert result.nodes == tuple((i + offset) % nodes for i in range(len(sizes)))


@given(sizes=known_sizes, nodes=st.integers(1, 40))
def test_weighted_max_load_is_bounded(sizes: list[int], nodes: int) -> None:
    assert weighted_bound(distribution(sizes, nodes, "weighted_round_robin")) == []
    result = assign(sizes, nodes, "weighted_round_robin", SCAN)
    assert sum(node_loads(sizes, result.nodes, nodes)) == sum(sizes)


def test_weighted_is_longest_processing_time_with_ties_to_the_lowest_node() -> None:
    result = assign([5, 9, 5, 1, 0], 2, "weighted_round_robin", SCAN)
    # 9 -> n0; 5 (id 0) -> n1; 5 (id 2) -> n1 (5 < 9); 1 -> n0 (9 < 10); 0 -> n1 (10 = 10: lowest is n0).
    assert result.nodes == (1, 0, 1, 0, 0)
    assert result.reason.endswith("(all sizes known)")


def test_weighted_with_zero_sizes_stays_weighted() -> None:
    result = assign([0, 0, 0], 2, "weighted_round_robin", SCAN)
    assert result.used == "weighted_round_robin"
    # Size 0 is known; loads never grow, so the tie rule sends every group to node 0.
    assert result.nodes == (0, 0, 0)


def test_weighted_with_an_unknown_size_falls_back_to_round_robin() -> None:
    result = assign([5, UNKNOWN_SIZE, 7], 2, "weighted_round_robin", SCAN, offset=1)
    assert result.used == "round_robin"
    assert result.nodes == (1, 0, 1)
    assert "round_robin (1 sizes unknown)" in result.reason


@given(sizes=any_sizes, nodes=node_counts, shape=shapes)
def test_coordinator_only_never_distributes(sizes: list[int], nodes: int, shape: QueryShape) -> None:
    assert coordinator_only(distribution(sizes, nodes, "coordinator_only", shape)) == []
    result = assign(sizes, nodes, "coordinator_only", shape)
    assert node_loads(sizes, result.nodes, nodes) == [0] * nodes


@pytest.mark.parametrize("strategy", ["round_robin", "weighted_round_robin", "adaptive", ""])
def test_no_nodes_means_local(strategy: str) -> None:
    result = assign([1, 2, 3], 0, strategy, AGGREGATION)
    assert result.used == "coordinator_only"
    assert result.nodes == (None, None, None)


@pytest.mark.parametrize("strategy", [*STRATEGIES, ""])
def test_no_splits_means_an_empty_local_plan(strategy: str) -> None:
    result = assign([], 3, strategy, AGGREGATION)
    assert result.nodes == ()
    assert result.used == "coordinator_only"


def test_more_nodes_than_splits() -> None:
    assert assign([4, 5], 10, "round_robin", SCAN, offset=9).nodes == (9, 0)
    assert assign([4, 5], 10, "weighted_round_robin", SCAN).nodes == (1, 0)
    assert assign([4, 5], 10, "adaptive", AGGREGATION).nodes == (1, 0)


@pytest.mark.parametrize(
    ("sizes", "nodes", "shape", "used", "reason"),
    [
        ([7], 3, AGGREGATION, "coordinator_only", "adaptive: at most one split (1 splits and 3 nodes)"),
        ([], 3, AGGREGATION, "coordinator_only", "adaptive: at most one split (0 splits and 3 nodes)"),
        (
            [1] * 12,
            3,
            LIMIT_ONLY,
            "coordinator_only",
            "adaptive: LIMIT 10 without filter, aggregation or TopN over 12 splits and 3 nodes",
        ),
        ([1] * 12, 0, AGGREGATION, "coordinator_only", "adaptive: no eligible nodes (12 splits and 0 nodes)"),
        (
            [1] * 12,
            3,
            AGGREGATION,
            "weighted_round_robin",
            "adaptive: aggregation over 12 splits and 3 nodes -> weighted_round_robin (all sizes known)",
        ),
        ([1, 2], 3, TOPN, "weighted_round_robin", "adaptive: TopN over 2 splits and 3 nodes"),
        ([1, 2, 3, 4], 3, SCAN, "weighted_round_robin", "adaptive: more splits than nodes over 4 splits"),
        ([1, 2, 3, 4], 3, FILTER_LIMIT, "weighted_round_robin", "adaptive: more splits than nodes"),
        ([1, UNKNOWN_SIZE, 3, 4], 3, SCAN, "round_robin", "-> round_robin (1 sizes unknown)"),
        ([1, UNKNOWN_SIZE], 3, AGGREGATION, "round_robin", "adaptive: aggregation over 2 splits"),
        (
            [1, 2, 3],
            3,
            FILTER_LIMIT,
            "coordinator_only",
            "adaptive: no aggregation or TopN and no more splits than nodes",
        ),
        ([1, 2], 3, SCAN, "coordinator_only", "-> coordinator_only"),
    ],
)
def test_adaptive_decision_table(
    sizes: list[int], nodes: int, shape: QueryShape, used: str, reason: str
) -> None:
    for strategy in ("adaptive", ""):
        result = assign(sizes, nodes, strategy, shape)
        assert result.used == used
        assert reason in result.reason
        assert result.warnings == ()
        if used == "coordinator_only":
            assert set(result.nodes) <= {None}
        else:
            assert None not in result.nodes


@given(sizes=any_sizes, nodes=node_counts, shape=shapes, value=st.text(max_size=20))
def test_unknown_pragma_warns_and_behaves_as_adaptive(
    sizes: list[int], nodes: int, shape: QueryShape, value: str
) -> None:
    result = assign(sizes, nodes, value, shape)
    adaptive = assign(sizes, nodes, "adaptive", shape)
    if value in (*STRATEGIES, ""):
        assert result.warnings == ()
        return
    assert result.warnings == (
        f"unknown external_distribution pragma value [{value}]; falling back to adaptive",
    )
    assert (result.nodes, result.used, result.reason) == (adaptive.nodes, adaptive.used, adaptive.reason)
    assert result.requested == value


def test_unknown_pragma_message_is_exactly_as_in_es() -> None:
    result = assign([1, 2], 2, "roundrobin", AGGREGATION)
    assert result.warnings == (
        "unknown external_distribution pragma value [roundrobin]; falling back to adaptive",
    )


def test_pragma_values_are_case_sensitive() -> None:
    result = assign([1, 2], 2, "ROUND_ROBIN", SCAN)
    assert result.warnings == (
        "unknown external_distribution pragma value [ROUND_ROBIN]; falling back to adaptive",
    )
    assert result.used == "coordinator_only"


def test_negative_node_count_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^node count must be >= 0, got -1$"):
        assign([1], -1, "round_robin", SCAN)


def test_node_loads_ignore_unknown_sizes_and_local_groups() -> None:
    result = assign([5, UNKNOWN_SIZE, 7], 2, "round_robin", SCAN)
    assert node_loads([5, UNKNOWN_SIZE, 7], result.nodes, 2) == [12, 0]


@pytest.mark.parametrize("strategy", [*STRATEGIES, "bogus"])
def test_ten_thousand_splits_are_assigned_fast(strategy: str) -> None:
    sizes = [(i * 7919) % 100_003 for i in range(10_000)]
    started = time.perf_counter()
    result = assign(sizes, 7, strategy, AGGREGATION)
    assert time.perf_counter() - started < 0.5
    assert len(result.nodes) == 10_000
