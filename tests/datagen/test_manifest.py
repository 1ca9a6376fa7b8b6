"""The manifest describes exactly the objects written: keys, sizes, checksums, rows, columns."""

import glob
import hashlib
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from lakeproof.datagen import LocalSink, Manifest, load_spec, write_dataset

from .helpers import DATASETS


def test_objects_match_their_bytes(edge_manifest: Manifest) -> None:
    for obj in edge_manifest.objects:
        body = Path(obj.uri).read_bytes()
        assert obj.size == len(body)
        assert obj.sha256 == hashlib.sha256(body).hexdigest()
        assert obj.uri == f"{edge_manifest.base_uri}/{obj.key}"


def test_keys_follow_dataset_format_part(edge_manifest: Manifest) -> None:
    assert [obj.key for obj in edge_manifest.objects_of("csv")] == [
        "edge_values/csv/part-0000.csv",
        "edge_values/csv/part-0001.csv",
        "edge_values/csv/part-0002.csv",
    ]


def test_rows_per_object_and_in_total(edge_manifest: Manifest) -> None:
    assert edge_manifest.total_rows == 2000
    for fmt in edge_manifest.formats:
        assert sum(obj.rows for obj in edge_manifest.objects_of(fmt)) == edge_manifest.total_rows
    for obj in edge_manifest.objects_of("parquet"):
        assert pq.ParquetFile(obj.uri).metadata.num_rows == obj.rows


def test_glob_matches_exactly_the_objects_of_a_format(edge_manifest: Manifest) -> None:
    for fmt in edge_manifest.formats:
        matched = sorted(glob.glob(edge_manifest.glob(fmt)))
        assert matched == [obj.uri for obj in edge_manifest.objects_of(fmt)]
        with duckdb.connect() as con:
            total = con.sql(f"SELECT count(*) FROM {edge_manifest.duckdb_scan(fmt)}").fetchone()
        assert total == (edge_manifest.total_rows,)


def test_columns_and_conventions_per_format(edge_manifest: Manifest) -> None:
    ndjson = {column.name: column for column in edge_manifest.columns["ndjson"]}
    assert ndjson["wide_dec"].type == "decimal(38,6)"
    assert ndjson["wide_dec"].duckdb_type == "DECIMAL(38,6)"
    assert ndjson["rec"].duckdb_type == 'STRUCT("n" INTEGER, "s" VARCHAR, "d" DOUBLE)'
    assert "NULL = empty unquoted field" in edge_manifest.conventions["csv"]
    assert "NaN/Infinity/-Infinity as strings" in edge_manifest.conventions["ndjson"]


def test_json_round_trip(edge_manifest: Manifest) -> None:
    assert Manifest.from_json(edge_manifest.to_json()) == edge_manifest


def test_manifest_of_a_subset_of_formats(tmp_path: Path) -> None:
    spec = load_spec(DATASETS / "smoke.yaml")
    spec = spec.model_copy(update={"formats": ("ndjson",)})
    manifest = write_dataset(spec, LocalSink(tmp_path))
    assert manifest.formats == ("ndjson",)
    assert {obj.format for obj in manifest.objects} == {"ndjson"}
    assert manifest.glob("ndjson") == f"{tmp_path.resolve()}/smoke/ndjson/*.ndjson"
