"""``lakeproof datagen --table``: a table history written into S3, its manifest printed and stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakeproof import cli
from lakeproof.objectstore import S3Endpoint
from lakeproof.oracle import Oracle

from .conftest import BUCKET, TABLES


def test_datagen_writes_a_table_history(
    moto_endpoint: S3Endpoint, oracle: Oracle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["datagen", "--table", str(TABLES / "readings.yaml"), "--s3-endpoint", moto_endpoint.url]
    args += ["--prefix", "tests/cli", "--catalog", str(tmp_path / "catalog.db")]
    assert cli.main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    stored = moto_endpoint.client().get_object(Bucket=BUCKET, Key="tests/cli/tables/manifests/readings.json")
    assert json.loads(stored["Body"].read()) == printed
    roots = [table["root"] for table in printed["tables"]]
    assert roots == [
        f"s3://{BUCKET}/tests/cli/tables/iceberg/readings",
        f"s3://{BUCKET}/tests/cli/tables/delta/readings",
    ]
    for root, scan in zip(roots, ["iceberg_scan", "delta_scan"], strict=True):
        rows = oracle.query(f"SELECT count(*) FROM {scan}('{root}')").column(0)[0].as_py()
        assert rows == printed["tables"][0]["snapshots"][-1]["rows"] > 0


def test_datagen_table_needs_s3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["datagen", "--table", str(TABLES / "readings.yaml"), "--out", str(tmp_path)]) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith("--table writes Iceberg and Delta tables into S3; give --s3-endpoint, not --out")
    )


def test_datagen_help_documents_tables(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["datagen", "--help"])
    assert "--table TABLE_SPEC" in capsys.readouterr().out
