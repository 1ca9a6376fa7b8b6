"""Benchmark figures of the table writer: how long one Iceberg snapshot commit of many files takes."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import pyarrow as pa
from pyiceberg.table.snapshots import Operation

from lakeproof.datagen.sql import sql_string
from lakeproof.objectstore import MotoServer, create_bucket
from lakeproof.oracle import Oracle
from lakeproof.tables import iceberg

BUCKET = "bench"


def iceberg_commit_seconds(files: int, repeats: int) -> tuple[float, float, int]:
    """(median seconds of one append snapshot committing ``files`` data files, seconds to write
    the files, rows the oracle reads back from the last table).

    The files (one row each) are written once and committed to ``repeats`` fresh tables through
    the SQLite catalog on a local moto server: a commit writes one manifest, the manifest list,
    the metadata file and the version hint, and swaps the catalog's pointer.
    """
    rows = pa.table({"id": pa.array(range(files), pa.int64())})
    with tempfile.TemporaryDirectory(prefix="lakeproof-bench-tables-") as scratch:
        server = MotoServer(Path(scratch) / "moto.log")
        endpoint = server.start()
        try:
            create_bucket(endpoint.client(), BUCKET)
            catalog = iceberg.lab_catalog(
                Path(scratch) / "catalog.db", endpoint, f"s3://{BUCKET}/tables/iceberg"
            )
            tables = [
                catalog.create_table(
                    (iceberg.NAMESPACE, f"commit_{index}"),
                    schema=rows.schema,
                    location=f"s3://{BUCKET}/tables/iceberg/commit_{index}",
                    properties={"format-version": "2"},
                )
                for index in range(repeats)
            ]
            began = time.perf_counter()
            data_files = iceberg.data_files_of(tables[0], rows, files)
            written = time.perf_counter() - began
            samples = []
            for table in tables:
                began = time.perf_counter()
                iceberg.commit(table, Operation.APPEND, data_files)
                samples.append(time.perf_counter() - began)
            with Oracle(endpoint) as oracle:
                scan = f"iceberg_scan({sql_string(tables[-1].location())})"
                read_back = oracle.query(f"SELECT count(*) FROM {scan}")  # noqa: S608
            return statistics.median(samples), written, int(read_back.column(0)[0].as_py())
        finally:
            server.stop()
