"""Generated /plan requests: a correct planner passes, a defective one is caught, a seed replays."""

from __future__ import annotations

from typing import Any

import pytest

from lakeproof.properties.generators import SIZE_LAYOUTS, fixed_request, fixed_sizes
from lakeproof.properties.runner import PROPERTIES, check_plan_property, check_plan_request
from lakeproof.refcluster.defects import Defects
from lakeproof.refcluster.model import STRATEGIES
from lakeproof.refcluster.synthetic import plan_synthetic

STRATEGY_NAMES = list(STRATEGIES)


def defective(*names: str) -> Any:
    defects = Defects.parse(names)
    return lambda request: plan_synthetic(request, defects)


@pytest.mark.parametrize("name", PROPERTIES)
def test_every_property_holds_for_the_reference_planner(name: str) -> None:
    run = check_plan_property(name, plan_synthetic, STRATEGY_NAMES, examples=150, seed=7)
    assert run.holds, run.falsified
    assert run.requests_checked >= 150


@pytest.mark.parametrize(
    ("name", "defect", "violation"),
    [
        ("exactly_once", "drop_split", "splits are in no group, so nobody reads them"),
        ("exactly_once", "duplicate_split", "splits are assigned more than once"),
        ("round_robin_balance", "unbalanced_round_robin", "round robin counts may differ by at most 1"),
        ("coalescing", "drop_split", "files are in no group"),
        ("exact_assignment", "weighted_in_file_order", "but longest processing time first"),
        ("exact_assignment", "weighted_ties_to_highest_node", "equal loads to the lowest index) puts it on"),
        ("exact_assignment", "round_robin_ignores_offset", "but round robin from offset"),
    ],
)
def test_a_defective_planner_is_caught_with_a_minimal_request(name: str, defect: str, violation: str) -> None:
    run = check_plan_property(name, defective(defect), STRATEGY_NAMES, examples=300, seed=7)
    assert run.falsified is not None
    assert violation in run.falsified.violations[0]
    # Hypothesis shrinks the request: a couple of splits at most, no noise.
    assert len(run.falsified.request["split_sizes"]) <= 2


def test_exact_assignment_plans_each_draw_under_each_distributing_strategy() -> None:
    planned: list[str] = []

    def recording(request: dict[str, Any]) -> dict[str, Any]:
        planned.append(request["strategy"])
        return plan_synthetic(request)

    run = check_plan_property("exact_assignment", recording, STRATEGY_NAMES, examples=3, seed=1)
    assert planned == ["round_robin", "weighted_round_robin", "adaptive"] * run.requests_checked


def test_the_same_seed_replays_the_same_failure() -> None:
    first = check_plan_property(
        "round_robin_balance", defective("unbalanced_round_robin"), STRATEGY_NAMES, 200, 99
    )
    again = check_plan_property(
        "round_robin_balance", defective("unbalanced_round_robin"), STRATEGY_NAMES, 200, 99
    )
    assert first.falsified == again.falsified
    assert first.requests_checked == again.requests_checked
    assert first.seed == again.seed == 99


def test_without_a_seed_a_fresh_one_is_drawn_and_reported() -> None:
    run = check_plan_property("coordinator_only", plan_synthetic, STRATEGY_NAMES, examples=5)
    assert 0 <= run.seed < 2**32


def test_an_engine_refusal_is_a_finding_about_the_request() -> None:
    def refuses(request: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("nodes must be <= 1024")

    run = check_plan_property("deterministic", refuses, STRATEGY_NAMES, examples=5, seed=1)
    assert run.falsified is not None
    assert run.falsified.violations == ["the engine could not plan this request: nodes must be <= 1024"]


def test_unknown_property_and_bad_example_counts_are_refused() -> None:
    with pytest.raises(
        ValueError, match=r"^unknown plan property 'balance'; known properties: exactly_once, "
    ):
        check_plan_property("balance", plan_synthetic, STRATEGY_NAMES, 10)
    with pytest.raises(ValueError, match=r"^examples must be at least 1, got 0$"):
        check_plan_property("exactly_once", plan_synthetic, STRATEGY_NAMES, 0)


@pytest.mark.parametrize("layout", SIZE_LAYOUTS)
def test_fixed_layouts_are_deterministic(layout: str) -> None:
    sizes = fixed_sizes(1000, layout)  # type: ignore[arg-type]
    assert sizes == fixed_sizes(1000, layout)  # type: ignore[arg-type]
    assert len(sizes) == 1000
    assert (-1 in sizes) == (layout == "unknown")


def test_boundary_requests_hold_for_the_reference_planner_and_fail_for_a_defective_one() -> None:
    request = fixed_request(10_000, 7, "round_robin", "varied", "aggregation", coalesce=True)
    _, violations = check_plan_request(plan_synthetic, request)
    assert violations == {
        "exactly_once": [],
        "strategy_rules": [],
        "coalescing": [],
        "exact_coalescing": [],
        "exact_assignment": [],
        "lpt_quality": [],
        "deterministic": [],
    }
    _, broken = check_plan_request(defective("unbalanced_round_robin"), request)
    assert broken["strategy_rules"][0].startswith("round_robin: node 0 reads")
