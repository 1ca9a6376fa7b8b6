"""Table histories written once per module into the session's moto server, and an oracle on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lakeproof.objectstore import S3Endpoint
from lakeproof.oracle import Oracle
from lakeproof.tables import TableManifest, write_history

BUCKET = "lake"
TABLES = Path(__file__).resolve().parents[2] / "data" / "tables"


@pytest.fixture(scope="module")
def write_table(
    moto_endpoint: S3Endpoint, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Callable[..., TableManifest]:
    """Writes a shipped history under a prefix of its own: ``write_table("orders", "run-a")``."""
    catalog = tmp_path_factory.mktemp("catalog") / "catalog.db"
    module = request.module.__name__.rsplit(".", 1)[-1]

    def write(name: str, run: str = "a") -> TableManifest:
        return write_history(
            TABLES / f"{name}.yaml", moto_endpoint, BUCKET, catalog, prefix=f"tests/{module}/{run}"
        )

    write.catalog = catalog  # type: ignore[attr-defined]
    return write


@pytest.fixture(scope="module")
def oracle(moto_endpoint: S3Endpoint) -> Iterator[Oracle]:
    """The kit's oracle (plain DuckDB with iceberg and delta) reading the moto server."""
    with Oracle(moto_endpoint) as connection:
        yield connection
