"""Constants and helpers shared by the datagen tests."""

from pathlib import Path

import duckdb

from lakeproof.datagen import Format, Manifest

DATASETS = Path(__file__).resolve().parents[2] / "data" / "datasets"

SMALL_SPEC = """\
name: small
seed: 3
rows: 1000
files: 2
columns:
  - {name: id, type: bigint, generator: sequence}
  - {name: qty, type: int, min: 0, max: 9}
  - {name: label, type: string, choices: [a, b]}
"""


def read_back(manifest: Manifest, fmt: Format, source: str | None = None) -> list[dict[str, object]]:
    """All rows of one format (or one object of it) read with plain DuckDB, ordered by id if present."""
    with duckdb.connect() as con:
        relation = con.sql(f"SELECT * FROM {manifest.duckdb_scan(fmt, source)}")
        names = relation.columns
        rows = relation.order("id").fetchall() if "id" in names else relation.fetchall()
    return [dict(zip(names, row, strict=True)) for row in rows]
