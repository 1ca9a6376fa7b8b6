"""Small Iceberg and Delta tables for the engine's tests, written with pyiceberg and deltalake
straight into a test's object store (the table writer of ``lakeproof.tables`` builds the suites'
histories; these stay small so each test says what its table holds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from deltalake import write_deltalake
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.table import Table

from lakeproof.duckdb_ext import locked_down
from lakeproof.objectstore import S3Endpoint


def iceberg_catalog(endpoint: S3Endpoint, folder: Path) -> SqlCatalog:
    """A SQLite catalog whose tables keep data and metadata in ``endpoint``'s store."""
    return SqlCatalog(
        "tests",
        uri=f"sqlite:///{folder / 'catalog.db'}",
        warehouse=f"file://{folder}",
        **{
            "s3.endpoint": endpoint.url,
            "s3.access-key-id": endpoint.access_key,
            "s3.secret-access-key": endpoint.secret_key,
            "s3.region": endpoint.region,
            "s3.force-virtual-addressing": "false",
        },
    )


def write_version_hint(table: Table, endpoint: S3Endpoint) -> None:
    """``metadata/version-hint.text`` naming the table's current metadata file, as the writer does."""
    stem = table.metadata_location.rsplit("/", 1)[-1].removesuffix(".metadata.json")
    bucket, _, key = table.location().removeprefix("s3://").partition("/")
    endpoint.client().put_object(Bucket=bucket, Key=f"{key}/metadata/version-hint.text", Body=stem.encode())


def delta_storage(endpoint: S3Endpoint) -> dict[str, Any]:
    """deltalake's storage options for ``endpoint``."""
    return {
        "AWS_ENDPOINT_URL": endpoint.url,
        "AWS_ACCESS_KEY_ID": endpoint.access_key,
        "AWS_SECRET_ACCESS_KEY": endpoint.secret_key,
        "AWS_REGION": endpoint.region,
        "AWS_ALLOW_HTTP": "true",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }


def write_delta(uri: str, endpoint: S3Endpoint, data: pa.Table, **options: Any) -> None:
    """One Delta commit of ``data`` (``mode``, ``partition_by``, ``schema_mode`` as deltalake takes them)."""
    write_deltalake(uri, data, storage_options=delta_storage(endpoint), **options)


def table_oracle(endpoint: S3Endpoint) -> duckdb.DuckDBPyConnection:
    """Plain DuckDB with its iceberg and delta extensions reading ``endpoint``: the independent answer."""
    secret = f"""CREATE SECRET lab (TYPE s3, KEY_ID '{endpoint.access_key}',
        SECRET '{endpoint.secret_key}', ENDPOINT '{endpoint.host_port}', URL_STYLE 'path',
        USE_SSL false, REGION '{endpoint.region}')"""
    return locked_down(["httpfs", "avro", "iceberg", "delta"], [secret])
