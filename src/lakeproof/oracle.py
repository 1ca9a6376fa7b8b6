"""The oracle: plain single-process DuckDB reading the same objects, independent of any engine."""

from __future__ import annotations

import pyarrow as pa

from lakeproof.duckdb_ext import TABLE_EXTENSIONS, s3_database
from lakeproof.objectstore import S3Endpoint


class Oracle:
    """A DuckDB connection that reads ``s3://`` URIs from ``endpoint`` (the store or a proxy listener).

    It reads files and Iceberg and Delta tables (``iceberg_scan``, ``delta_scan``). Its extensions
    come from their wheels and its configuration is locked once set up (see ``duckdb_ext``).
    ``file_cache`` off makes it re-read objects on every query, as the cluster does.
    """

    def __init__(
        self, endpoint: S3Endpoint, http_retries: int = 3, http_timeout_s: int = 30, file_cache: bool = True
    ):
        self.endpoint = endpoint
        self.connection = s3_database(endpoint, http_retries, http_timeout_s, file_cache, TABLE_EXTENSIONS)

    def query(self, sql: str) -> pa.Table:
        """Run ``sql`` and return its result as an Arrow table."""
        return self.connection.execute(sql).to_arrow_table()

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.connection.close()

    def __enter__(self) -> Oracle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
