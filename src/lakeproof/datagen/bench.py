"""The generation benchmark: how long 1 million rows of ``mixed_types`` take to become Parquet."""

import time
from pathlib import Path

from lakeproof.datagen.encode import encode
from lakeproof.datagen.generate import generate_tables
from lakeproof.datagen.loader import load_spec

# The kit runs from its repository: src/lakeproof/datagen/ -> repository root.
MIXED_TYPES = Path(__file__).resolve().parents[3] / "data" / "datasets" / "mixed_types.yaml"


def bench_parquet_rows(rows: int = 1_000_000, spec_path: str | Path = MIXED_TYPES) -> float:
    """Seconds to generate `rows` rows of the spec and encode every file as Parquet, in memory.

    Loading the spec is not timed; generation and encoding are (no disk or network involved).
    """
    spec = load_spec(spec_path).with_changes(rows=rows)
    start = time.perf_counter()
    for table in generate_tables(spec):
        encode(table, "parquet", parquet=spec.parquet)
    return time.perf_counter() - start
