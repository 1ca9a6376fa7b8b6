"""One column of a dataset: random or sequence values, with edge values and NULLs mixed in."""

import numpy as np
import pyarrow as pa

from lakeproof.datagen.edges import edge_array
from lakeproof.datagen.spec import ColumnSpec
from lakeproof.datagen.streams import Streams
from lakeproof.datagen.values import random_array


def generate_column(column: ColumnSpec, rows: int, seed: int) -> pa.Array:
    """All `rows` values of `column` for a dataset with `seed` (before splitting into files).

    Edge values take ``ceil(edge_ratio * rows)`` random rows, at least one row per edge value
    (when the dataset has that many rows), cycling through the type's edge set. NULLs then take
    each remaining row with probability `nulls`; edge rows are never NULL, so every edge value
    stays present.
    """
    dtype = column.arrow_type
    if column.generator == "sequence":
        return pa.array(np.arange(rows), type=dtype)
    streams = Streams(seed, column.name)
    values = random_array(dtype, column, rows, streams)
    if not column.edge_values and not column.nulls:
        return values
    indices = np.arange(rows, dtype=np.int64)
    is_null = streams.rng("nulls").random(rows) < column.nulls
    if column.edge_values:
        edges = edge_array(dtype)
        count = min(rows, max(len(edges), int(np.ceil(column.effective_edge_ratio * rows))))
        positions = streams.rng("edges").choice(rows, size=count, replace=False)
        # Indices past the end of `values` select from the edge set appended after them.
        indices[positions] = rows + np.arange(count) % len(edges)
        is_null[positions] = False
        values = pa.concat_arrays([values, edges])
    # A NULL index makes `take` emit NULL, whatever the (possibly nested) type.
    return values.take(pa.array(indices, mask=is_null))
