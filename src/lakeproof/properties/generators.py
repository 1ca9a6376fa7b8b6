"""Hypothesis strategies that generate synthetic ``/plan`` requests.

A request is ``{"split_sizes", "nodes", "strategy", "shape", "coalesce", "offset"}``
(docs/architecture.md: Coordinator API). Sizes mix the interesting regions: tiny splits,
ordinary ones, splits around the 128 MiB coalescing target, zero (a known size) and -1
(unknown). Split counts cross the coalescing threshold of 32, and node counts run from none to
more nodes than splits. For the exact-algorithm properties, sizes also come from a few values
only, so equal sizes and equal node loads (where tie rules decide) are the rule rather than the
exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

from hypothesis import strategies as st

from lakeproof.properties.distribution import UNKNOWN_SIZE
from lakeproof.properties.invariants import ADAPTIVE, DESIGN_STRATEGIES, MIB

Request = dict[str, Any]

known_sizes = st.integers(0, 300 * MIB)
"""Known sizes up to 300 MiB; Hypothesis draws small ones often, so tiny, ordinary and large
(above the 128 MiB coalescing target) all appear; one plain integer per split keeps it fast."""


@st.composite
def split_sizes(
    draw: st.DrawFn,
    max_splits: int = 80,
    unknown: bool | None = None,
    sizes: st.SearchStrategy[int] = known_sizes,
) -> list[int]:
    """Up to ``max_splits`` split sizes drawn from ``sizes``, some unknown (-1) if ``unknown``
    (None: sometimes)."""
    # Half the lists are short (up to 12 splits: the adaptive table's edge cases), half long
    # (often above the coalescing threshold). Hypothesis shrinks towards the first, short kind.
    drawn = draw(
        st.one_of(
            st.lists(sizes, max_size=12),
            st.lists(sizes, min_size=28, max_size=max(28, max_splits)),
        )
    )
    with_unknown = draw(st.booleans()) if unknown is None else unknown
    if with_unknown and drawn:
        positions = draw(st.sets(st.integers(0, len(drawn) - 1), min_size=1, max_size=3))
        for position in positions:
            drawn[position] = UNKNOWN_SIZE
    return drawn


tiny_sizes = st.integers(0, 4 * MIB)
"""Sizes of many small files, which coalescing packs together."""

packing_sizes = st.integers(1, 127).map(lambda mib: mib * MIB)
"""Whole MiB below the 128 MiB coalescing target: many bins with different room left, where best
fit and first fit part ways."""

TIED_SIZES = (0, MIB, 2 * MIB, 3 * MIB, 4 * MIB)
"""A few small sizes: lists drawn from them are full of equal sizes and equal node loads."""

COALESCING_SIZES = (0, MIB, 16 * MIB, 32 * MIB, 48 * MIB, 64 * MIB, 96 * MIB, 127 * MIB, 128 * MIB, 200 * MIB)
"""A few sizes around the 128 MiB coalescing target: bins with equal room, exact fits, splits alone."""


@st.composite
def tied_split_sizes(
    draw: st.DrawFn, palette: Sequence[int] = TIED_SIZES, max_splits: int = 80, unknown: bool | None = None
) -> list[int]:
    """Split sizes that take one to three values of ``palette``: many equal sizes, all equal when
    one value is drawn, all zero when that value is 0 (see `split_sizes` for lengths and unknowns)."""
    values = draw(st.lists(st.sampled_from(palette), min_size=1, max_size=3, unique=True))
    drawn: list[int] = draw(split_sizes(max_splits, unknown, st.sampled_from(values)))
    return drawn


def tie_heavy_sizes(max_splits: int = 80) -> st.SearchStrategy[list[int]]:
    """Split sizes of either kind: few distinct values (ties everywhere) or any sizes."""
    return st.one_of(tied_split_sizes(max_splits=max_splits), split_sizes(max_splits=max_splits))


small_instances = st.lists(st.integers(0, 12), min_size=1, max_size=8)
"""Up to 8 small sizes (many equal): instances whose optimal assignment is found by brute force."""

few_nodes = st.integers(1, 4)
"""One to four nodes, for brute-forced optima."""

shapes = st.fixed_dictionaries(
    {},
    optional={
        "aggregation": st.booleans(),
        "topn": st.booleans(),
        "filter": st.booleans(),
        "limit": st.one_of(st.none(), st.integers(0, 1000)),
    },
)

node_counts = st.one_of(st.sampled_from([*range(1, 9), 0]), st.sampled_from(range(9, 65)))
"""A handful of nodes, none, or many (more nodes than splits). Sampled rather than drawn as
integers, whose bias towards 0 would spend a fifth of the examples on plans without nodes."""

unknown_strategy_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ROBIN", min_size=1, max_size=16)


def plan_requests(
    strategies: Sequence[str] | st.SearchStrategy[str],
    sizes: st.SearchStrategy[list[int]] | None = None,
    coalesce: st.SearchStrategy[bool] | None = None,
    nodes: st.SearchStrategy[int] = node_counts,
) -> st.SearchStrategy[Request]:
    """Requests for any of ``strategies`` (a list of names or a strategy of names)."""
    names = st.sampled_from(list(strategies)) if isinstance(strategies, Sequence) else strategies
    return st.fixed_dictionaries(
        {
            "split_sizes": sizes if sizes is not None else split_sizes(),
            "nodes": nodes,
            "strategy": names,
            "shape": shapes,
            "coalesce": coalesce if coalesce is not None else st.booleans(),
            "offset": st.integers(0, 20),
        }
    )


def adaptive_names(strategies: Sequence[str]) -> st.SearchStrategy[str]:
    """``adaptive``, ``""`` or a value the engine does not know (which must fall back to adaptive)."""
    unknown = unknown_strategy_names.filter(lambda name: name not in (*strategies, *DESIGN_STRATEGIES))
    return st.one_of(st.sampled_from([ADAPTIVE, ""]), unknown)


SizeLayout = Literal["varied", "equal", "tied", "tiny", "unknown"]
SIZE_LAYOUTS: tuple[SizeLayout, ...] = get_args(SizeLayout)

ShapeName = Literal["scan", "aggregation", "topn", "limit", "filter"]
SHAPES: dict[ShapeName, dict[str, Any]] = {
    "scan": {},
    "aggregation": {"aggregation": True},
    "topn": {"topn": True, "limit": 10},
    "limit": {"limit": 10},
    "filter": {"filter": True},
}
"""Query shapes by name, for requests written by hand (boundary cases)."""


def fixed_sizes(count: int, layout: SizeLayout = "varied") -> list[int]:
    """``count`` split sizes laid out deterministically, for boundary cases written by hand.

    ``varied``: spread from 0 to 200 MiB (a multiplicative hash of the index); ``equal``: 1 MiB
    each; ``tied``: 1, 2, 3 MiB in turn (equal sizes and equal node loads all the way); ``tiny``:
    0-4 KiB each (many small files); ``unknown``: varied with the middle one -1.
    """
    if count < 0:
        raise ValueError(f"a plan has 0 or more splits, got {count}")
    if layout == "equal":
        return [MIB] * count
    if layout == "tied":
        return [(1 + index % 3) * MIB for index in range(count)]
    if layout == "tiny":
        return [(index * 7919) % 4097 for index in range(count)]
    sizes = [(index * 2_654_435_761) % (200 * MIB + 1) for index in range(count)]
    if layout == "unknown" and sizes:
        sizes[count // 2] = UNKNOWN_SIZE
    return sizes


def fixed_request(
    splits: int,
    nodes: int,
    strategy: str,
    layout: SizeLayout,
    shape: ShapeName,
    coalesce: bool,
    offset: int = 0,
) -> Request:
    """A synthetic plan request written by hand (see `fixed_sizes` and `SHAPES`)."""
    return {
        "split_sizes": fixed_sizes(splits, layout),
        "nodes": nodes,
        "strategy": strategy,
        "shape": SHAPES[shape],
        "coalesce": coalesce,
        "offset": offset,
    }
