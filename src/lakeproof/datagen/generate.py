"""Generate a dataset spec's rows as Arrow tables, one per file, before any format encoding."""

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

import pyarrow as pa

from lakeproof.datagen.columns import generate_column
from lakeproof.datagen.spec import DatasetSpec


def generate_table(spec: DatasetSpec) -> pa.Table:
    """All rows of the dataset in one table, columns in spec order."""
    return pa.table({column.name: generate_column(column, spec.rows, spec.seed) for column in spec.columns})


def split_rows(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` rows in proportion to `weights`; the counts add up to `total` exactly."""
    # Exact fractions, so float rounding can never lose or duplicate a row at a file boundary.
    cumulative = list(itertools.accumulate(Fraction(weight) for weight in weights))
    bounds = [0] + [math.floor(total * share / cumulative[-1]) for share in cumulative]
    return [end - start for start, end in itertools.pairwise(bounds)]


def file_row_counts(spec: DatasetSpec) -> list[int]:
    """Rows in each file: data files share the rows by weight (one skewed if asked), then the empty files.

    ``file_weights`` repeat over the data files in order (weights [1, 4] over five files are
    1, 4, 1, 4, 1); without them every data file weighs 1.
    """
    cycle = spec.file_weights or (1.0,)
    weights = [float(cycle[index % len(cycle)]) for index in range(spec.files)]
    if spec.size_skew is not None:
        weights[spec.size_skew.file] = spec.size_skew.factor
    return split_rows(spec.rows, weights) + [0] * spec.empty_files


def generate_tables(spec: DatasetSpec) -> list[pa.Table]:
    """The dataset split into one table per file (zero-copy slices of `generate_table`)."""
    table = generate_table(spec)
    offsets = itertools.accumulate(file_row_counts(spec), initial=0)
    return [table.slice(start, end - start) for start, end in itertools.pairwise(offsets)]
