"""Run one distribution property against an engine's ``/plan`` with Hypothesis, replayably.

Each property pairs a generator of synthetic plan requests with an invariant. A run draws
``examples`` requests from a seed (a fresh one unless given), asks the engine for each plan and
checks the invariant; on a violation Hypothesis shrinks the request to a minimal one. The same
seed and example count replay the same requests, so a failure names both.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st

from lakeproof.properties.distribution import from_synthetic_plan
from lakeproof.properties.exact import exact_assignment, exact_coalescing, lpt_quality
from lakeproof.properties.generators import (
    COALESCING_SIZES,
    Request,
    adaptive_names,
    few_nodes,
    packing_sizes,
    plan_requests,
    small_instances,
    split_sizes,
    tie_heavy_sizes,
    tied_split_sizes,
    tiny_sizes,
)
from lakeproof.properties.invariants import (
    ADAPTIVE,
    COORDINATOR_ONLY,
    ROUND_ROBIN,
    WEIGHTED,
    CoalescingRules,
    adaptive_decision,
    coalescing,
    coordinator_only,
    deterministic,
    exactly_once,
    round_robin_balance,
    strategy_rules,
    weighted_bound,
)

Planner = Callable[[Request], Mapping[str, Any]]
"""Asks the engine for the plan of a synthetic request (``POST /plan``)."""

SEED_LIMIT = 2**32


@dataclass(frozen=True)
class PlanProperty:
    """An invariant checked on plans of generated requests.

    ``requests`` builds the request generator from the engine's strategy names; ``check`` gets
    the request and its plans (``plans`` of them: 2 to compare repeated planning). With
    ``planned_as`` each generated request is planned and checked once per strategy named there,
    its own ``strategy`` replaced: one draw checks several strategies on the same input.
    """

    name: str
    summary: str
    requests: Callable[[Sequence[str]], st.SearchStrategy[Request]]
    check: Callable[[Request, Sequence[Mapping[str, Any]]], list[str]]
    plans: int = 1
    planned_as: tuple[str, ...] = ()


def _on_plan(
    invariant: Callable[..., list[str]],
) -> Callable[[Request, Sequence[Mapping[str, Any]]], list[str]]:
    def check(request: Request, plans: Sequence[Mapping[str, Any]]) -> list[str]:
        return list(invariant(from_synthetic_plan(request, plans[0])))

    return check


def _with_coalescing_rules(
    invariant: Callable[..., list[str]],
) -> Callable[[Request, Sequence[Mapping[str, Any]]], list[str]]:
    """A check of ``invariant`` under the request's coalescing rules (the engine's defaults)."""

    def check(request: Request, plans: Sequence[Mapping[str, Any]]) -> list[str]:
        rules = CoalescingRules(enabled=bool(request.get("coalesce", False)))
        return list(invariant(from_synthetic_plan(request, plans[0]), rules))

    return check


_many_sizes = st.one_of(
    split_sizes(max_splits=200, sizes=tiny_sizes),
    split_sizes(max_splits=200),
    tied_split_sizes(COALESCING_SIZES, max_splits=200),
    st.lists(packing_sizes, min_size=33, max_size=80),
)
"""Split lists for coalescing: many tiny files (the file cap), any sizes, sizes around the target,
sizes that leave bins with different room."""


PROPERTIES: dict[str, PlanProperty] = {
    prop.name: prop
    for prop in (
        PlanProperty(
            "exactly_once",
            "every split is in exactly one group, read once by one valid reader, under every strategy",
            lambda names: plan_requests([*names, ""]),
            _on_plan(exactly_once),
        ),
        PlanProperty(
            "round_robin_balance",
            "round_robin: no node above ceil(groups/nodes), counts differ by at most 1",
            lambda _names: plan_requests([ROUND_ROBIN]),
            _on_plan(round_robin_balance),
        ),
        PlanProperty(
            "weighted_bound",
            "weighted_round_robin: max load <= total/nodes + largest group; unknown size -> round robin",
            lambda _names: plan_requests([WEIGHTED]),
            _on_plan(weighted_bound),
        ),
        PlanProperty(
            "coordinator_only",
            "coordinator_only never distributes",
            lambda _names: plan_requests([COORDINATOR_ONLY]),
            _on_plan(coordinator_only),
        ),
        PlanProperty(
            "adaptive_decision",
            "adaptive, '' and unknown values (with their warning) follow the adaptive decision table",
            lambda names: plan_requests(adaptive_names(names)),
            _on_plan(adaptive_decision),
        ),
        PlanProperty(
            "coalescing",
            "coalescing conserves files and bytes, <= 32 files and 128 MiB a group, big splits stay alone",
            lambda names: plan_requests([*names, ""], sizes=_many_sizes),
            _with_coalescing_rules(coalescing),
        ),
        PlanProperty(
            "exact_assignment",
            "each group is exactly where the documented rule puts it: round robin from the offset, "
            "LPT with its tie rules, and adaptive's pick, all three on every drawn input",
            lambda _names: plan_requests([ADAPTIVE], sizes=tie_heavy_sizes()),
            _on_plan(exact_assignment),
            # coordinator_only's one rule (all local) is its own property, "" adaptive's alias.
            planned_as=(ROUND_ROBIN, WEIGHTED, ADAPTIVE),
        ),
        PlanProperty(
            "coalescing_exact",
            "coalescing is best-fit decreasing with its tie rules and 32-file cap, or ceil(n/8) chunks",
            lambda names: plan_requests([*names, ""], sizes=_many_sizes, coalesce=st.just(True)),
            _with_coalescing_rules(exact_coalescing),
        ),
        PlanProperty(
            "lpt_quality",
            "weighted_round_robin: makespan <= (4/3 - 1/(3n)) x the optimum, brute-forced on small instances",
            lambda _names: plan_requests(
                [WEIGHTED], sizes=small_instances, coalesce=st.just(False), nodes=few_nodes
            ),
            _on_plan(lpt_quality),
        ),
        PlanProperty(
            "deterministic",
            "the same request always gives the same plan",
            lambda names: plan_requests([*names, ""]),
            lambda _request, plans: deterministic(plans[0], plans[1]),
            plans=2,
        ),
    )
}


@dataclass(frozen=True)
class Falsified:
    """The minimal request that broke the property, and how."""

    request: Request
    violations: list[str]


@dataclass
class PropertyRun:
    """What one run of a property did: its seed, counts, and the falsifying request if any."""

    name: str
    summary: str
    seed: int
    examples: int
    requests_checked: int = 0
    seconds: float = 0.0
    strategies_used: Counter[str] = field(default_factory=Counter)
    split_counts: Counter[str] = field(default_factory=Counter)
    falsified: Falsified | None = None

    def split_histogram(self) -> dict[str, int]:
        """Requests checked per split-count range, smallest range first."""
        return {label: self.split_counts[label] for label in BUCKET_LABELS if self.split_counts[label]}

    @property
    def holds(self) -> bool:
        """Whether no request broke the property."""
        return self.falsified is None


class _Violated(Exception):
    """Raised inside the Hypothesis test so that it shrinks the request."""


def new_seed() -> int:
    """A fresh seed for a run that was given none."""
    return secrets.randbelow(SEED_LIMIT)


_BUCKETS = ((0, "0"), (1, "1"), (8, "2-8"), (32, "9-32"), (100, "33-100"))
BUCKET_LABELS = (*(label for _, label in _BUCKETS), "more than 100")
"""Split-count ranges the requests of a run are tallied in, smallest first."""


def _bucket(count: int) -> str:
    return next((label for upper, label in _BUCKETS if count <= upper), BUCKET_LABELS[-1])


def check_plan_property(
    name: str, planner: Planner, strategies: Sequence[str], examples: int, seed: int | None = None
) -> PropertyRun:
    """Check property ``name`` on ``examples`` generated requests (replayable with ``seed``)."""
    prop = PROPERTIES.get(name)
    if prop is None:
        raise ValueError(f"unknown plan property {name!r}; known properties: {', '.join(PROPERTIES)}")
    if examples < 1:
        raise ValueError(f"examples must be at least 1, got {examples}")
    run = PropertyRun(name, prop.summary, seed if seed is not None else new_seed(), examples)
    last_failure: list[Falsified] = []

    @hypothesis.seed(run.seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(prop.requests(strategies))
    def examine(drawn: Request) -> None:
        run.requests_checked += 1
        run.split_counts[_bucket(len(drawn["split_sizes"]))] += 1
        names = prop.planned_as or (drawn["strategy"],)
        for request in ({**drawn, "strategy": name} for name in names):
            plans = []
            try:
                for _ in range(prop.plans):
                    plans.append(planner(request))
            except Exception as exc:  # any refusal is a finding about this request
                violations = [f"the engine could not plan this request: {exc}"]
            else:
                run.strategies_used[str(plans[0].get("strategy", {}).get("used"))] += 1
                violations = prop.check(request, plans)
            if violations:
                last_failure.append(Falsified(request, violations))
                raise _Violated(violations[0])

    started = time.monotonic()
    try:
        examine()
    except _Violated:
        # Hypothesis replays the minimal failing request last: that is the one to report.
        run.falsified = last_failure[-1]
    finally:
        run.seconds = time.monotonic() - started
    return run


def check_plan_request(planner: Planner, request: Request) -> tuple[Mapping[str, Any], dict[str, list[str]]]:
    """Plan ``request`` twice; return the plan and every invariant's violations by name."""
    first, second = planner(request), planner(request)
    plan = from_synthetic_plan(request, first)
    rules = CoalescingRules(enabled=bool(request.get("coalesce", False)))
    return first, {
        "exactly_once": exactly_once(plan),
        "strategy_rules": strategy_rules(plan),
        "coalescing": coalescing(plan, rules),
        "exact_coalescing": exact_coalescing(plan, rules),
        "exact_assignment": exact_assignment(plan),
        "lpt_quality": lpt_quality(plan),
        "deterministic": deterministic(first, second),
    }
