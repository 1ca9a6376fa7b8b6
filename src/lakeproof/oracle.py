"""The oracle: plain single-process DuckDB reading the same objects, independent of any engine."""

from __future__ import annotations

import pyarrow as pa

from lakeproof.duckdb_ext import locked_down
from lakeproof.objectstore import S3Endpoint


class Oracle:
    """A DuckDB connection that reads ``s3://`` URIs from ``endpoint`` (the store or a proxy listener).

    Its httpfs extension comes from its wheel and its configuration is locked once set up (see
    ``duckdb_ext``). ``file_cache`` off makes it re-read objects on every query, as the cluster does.
    """

    def __init__(
        self, endpoint: S3Endpoint, http_retries: int = 3, http_timeout_s: int = 30, file_cache: bool = True
    ):
        self.endpoint = endpoint
        # Literal values: DuckDB does not take prepared parameters in CREATE SECRET.
        secret = f"""CREATE SECRET lab (TYPE s3, KEY_ID '{endpoint.access_key}',
            SECRET '{endpoint.secret_key}', ENDPOINT '{endpoint.host_port}', URL_STYLE 'path',
            USE_SSL false, REGION '{endpoint.region}')"""
        self.connection = locked_down(
            ["httpfs"],
            [
                secret,
                f"SET http_retries = {int(http_retries)}",
                f"SET http_timeout = {int(http_timeout_s)}",
                # Backoff is the oracle's business only when faults are injected; keep waits short.
                "SET http_retry_wait_ms = 50",
                f"SET enable_external_file_cache = {str(file_cache).lower()}",
            ],
        )

    def query(self, sql: str) -> pa.Table:
        """Run ``sql`` and return its result as an Arrow table."""
        return self.connection.execute(sql).to_arrow_table()

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.connection.close()
