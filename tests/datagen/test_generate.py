"""Generation: deterministic bytes, file layout, NULL ratios, edge values, unique sequences."""

import math
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakeproof.datagen import (
    DatasetSpec,
    LocalSink,
    Manifest,
    file_row_counts,
    generate_table,
    generate_tables,
    load_spec,
    write_dataset,
)
from lakeproof.datagen.edges import edge_array
from lakeproof.datagen.generate import split_rows

from .helpers import DATASETS, SMALL_SPEC


@pytest.fixture(scope="module")
def mixed() -> DatasetSpec:
    return load_spec(DATASETS / "mixed_types.yaml").with_changes(rows=20_000)


def _hashes(manifest: Manifest) -> dict[str, str]:
    return {obj.key: obj.sha256 for obj in manifest.objects}


def test_same_spec_and_seed_give_identical_bytes(mixed: DatasetSpec, tmp_path: Path) -> None:
    first = write_dataset(mixed, LocalSink(tmp_path / "a"))
    second = write_dataset(mixed, LocalSink(tmp_path / "b"))
    assert _hashes(first) == _hashes(second)
    for obj in first.objects:
        assert (tmp_path / "a" / obj.key).read_bytes() == (tmp_path / "b" / obj.key).read_bytes()
    assert len(first.objects) == 3 * 5


def test_another_seed_gives_other_bytes(mixed: DatasetSpec, tmp_path: Path) -> None:
    first = _hashes(write_dataset(mixed, LocalSink(tmp_path / "a")))
    other = _hashes(write_dataset(mixed.with_changes(seed=mixed.seed + 1), LocalSink(tmp_path / "b")))
    data_files = [key for key in first if "part-0004" not in key]  # empty files have nothing to differ
    assert all(first[key] != other[key] for key in data_files)


def test_adding_or_reordering_columns_leaves_the_others_unchanged(write_spec: Callable[..., Path]) -> None:
    base = generate_table(load_spec(write_spec(SMALL_SPEC)))
    extended_text = SMALL_SPEC.replace(
        "  - {name: id,", "  - {name: extra, type: double, nulls: 0.5}\n  - {name: id,"
    )
    extended = generate_table(load_spec(write_spec(extended_text, "extended.yaml")))
    assert extended.column_names == ["extra", "id", "qty", "label"]
    assert extended.select(base.column_names).equals(base)


def test_rows_are_split_over_files_with_skew_and_empty_files(mixed: DatasetSpec) -> None:
    counts = file_row_counts(mixed)
    assert len(counts) == mixed.files + mixed.empty_files == 5
    assert sum(counts) == mixed.rows
    assert counts[4] == 0
    assert counts[0] / counts[1] == pytest.approx(100, rel=0.01)
    assert [table.num_rows for table in generate_tables(mixed)] == counts


@given(total=st.integers(0, 10**9), weights=st.lists(st.floats(0.01, 1000), min_size=1, max_size=50))
def test_split_rows_conserves_rows(total: int, weights: list[float]) -> None:
    counts = split_rows(total, weights)
    assert sum(counts) == total
    assert len(counts) == len(weights)
    assert min(counts) >= 0


def test_sequence_is_unique_over_all_files(mixed: DatasetSpec) -> None:
    ids = pa.concat_arrays([table.column("id").combine_chunks() for table in generate_tables(mixed)])
    assert ids.to_pylist() == list(range(mixed.rows))


def test_null_ratios_are_close_to_the_spec(mixed: DatasetSpec) -> None:
    table = generate_table(mixed)
    for column in mixed.columns:
        observed = table.column(column.name).null_count / table.num_rows
        # Edge rows are never NULL, so the expected share shrinks by the share of edge rows.
        expected = column.nulls * (1 - column.effective_edge_ratio)
        tolerance = 4 * math.sqrt(max(expected * (1 - expected), 1e-9) / table.num_rows) + 0.001
        assert observed == pytest.approx(expected, abs=tolerance), column.name


def test_every_edge_value_is_present(mixed: DatasetSpec) -> None:
    table = generate_table(mixed)
    for column in mixed.columns:
        if not column.edge_values:
            continue
        values = table.column(column.name).combine_chunks()
        edges = edge_array(column.arrow_type)
        # Compare as text: NaN != NaN and -0.0 == 0.0 would hide or fake matches.
        present = {repr(value) for value in values.to_pylist()}
        missing = [value for value in edges.to_pylist() if repr(value) not in present]
        assert not missing, f"{column.name} lacks edge values {missing}"


def test_edge_rows_take_the_edge_ratio(write_spec: Callable[..., Path]) -> None:
    text = SMALL_SPEC.replace("rows: 1000", "rows: 10000").replace("max: 9}", "max: 9, edge_values: true}")
    table = generate_table(load_spec(write_spec(text)))
    qty = table.column("qty")
    outside = pc.sum(pc.or_(pc.less(qty, 0), pc.greater(qty, 9))).as_py()
    # int edges: min, max, 0, -1, 1 -> min, max and -1 are outside 0..9: 3/5 of 1% of the rows.
    assert outside == 60


def test_values_respect_min_max_and_choices(mixed: DatasetSpec) -> None:
    table = generate_table(mixed)
    qty = table.column("qty")
    assert pc.min(qty).as_py() >= 0
    assert pc.max(qty).as_py() <= 1000
    assert set(table.column("region").to_pylist()) == {"north", "south", "east", "west"}
    tags = pc.list_flatten(table.column("tags"))
    assert set(tags.to_pylist()) <= {"red", "green", "blue", "with,comma", None}
    assert max(len(tag) for tag in table.column("tags").to_pylist() if tag is not None) <= 3


def test_cardinality_bounds_distinct_strings(mixed: DatasetSpec) -> None:
    table = generate_table(mixed)
    name = mixed.columns[[c.name for c in mixed.columns].index("name")]
    distinct = pc.count_distinct(table.column("name")).as_py()
    assert name.cardinality is not None
    assert distinct <= name.cardinality + len(edge_array(pa.string()))
    assert distinct > name.cardinality * 0.9


def test_zero_rows(write_spec: Callable[..., Path]) -> None:
    spec = load_spec(write_spec(SMALL_SPEC.replace("rows: 1000", "rows: 0")))
    assert [table.num_rows for table in generate_tables(spec)] == [0, 0]
