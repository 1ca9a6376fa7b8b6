"""All 22 TPC-H queries on the cluster, under every strategy, against DuckDB's official answers."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from lakeproof.datagen import tpch_answer, tpch_query_over
from lakeproof.jsonvalue import json_value
from lakeproof.lab import Lab, LabSettings
from lakeproof.refcluster.client import CoordinatorClient
from lakeproof.refcluster.model import STRATEGIES

pytestmark = pytest.mark.component

SCALE = 0.01


@pytest.fixture(scope="module")
def tpch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CoordinatorClient, dict[str, str]]]:
    settings = LabSettings(output_dir=tmp_path_factory.mktemp("tpch"), cluster=True)
    with Lab(settings) as lab:
        # Several files per table, so the scans really spread over the nodes.
        manifests = lab.create_tpch(SCALE, formats=("parquet",), files=3)
        yield lab.coordinator_client(), {name: m.duckdb_scan("parquet") for name, m in manifests.items()}


def _same(expected: Any, actual: Any) -> bool:
    """Official answer value vs the engine's JSON value (decimals as text, dates in ISO 8601)."""
    if isinstance(expected, float):
        return isinstance(actual, int | float) and math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, Decimal):
        # Arrow has no 128-bit integer: the answers carry DuckDB's HUGEINT sums as DECIMAL(38,0).
        return Decimal(str(actual)) == expected
    return bool(json_value(expected) == actual)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("number", range(1, 23))
def test_tpch_query_matches_the_official_answer(
    tpch: tuple[CoordinatorClient, dict[str, str]], number: int, strategy: str
) -> None:
    client, scans = tpch
    answer = client.query(tpch_query_over(number, scans), {"external_distribution": strategy})
    expected = tpch_answer(number, SCALE)
    assert [column["name"] for column in answer["columns"]] == expected.schema.names
    rows = [list(row.values()) for row in expected.to_pylist()]
    assert len(answer["values"]) == len(rows)
    for got, want in zip(answer["values"], rows, strict=True):
        assert all(_same(w, g) for w, g in zip(want, got, strict=True)), (got, want)
    if strategy != "coordinator_only":
        nodes = {split["node"] for split in answer["profile"]["splits"]}
        assert nodes - {"coordinator"}, f"{strategy} read every split on the coordinator"
