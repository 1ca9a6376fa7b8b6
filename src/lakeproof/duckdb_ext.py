"""DuckDB in this process: one shared in-memory database, and extensions loaded from their
PyPI wheels (the build machines cannot download them, and the engine must never try).

Every database the engine and the oracle open is locked down (``locked_down``): DuckDB neither
installs nor loads an extension by itself (an unknown setting or a ``https://`` path would make
it download one), community extensions are off, a plain ``INSTALL`` looks in a repository that
does not exist instead of on the internet, and once set up the configuration is locked, so no
statement can change a setting back.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from pathlib import Path

import duckdb

from lakeproof.errors import ConfigError
from lakeproof.objectstore import S3Endpoint

NO_EXTENSION_REPOSITORY = "/nonexistent/lakeproof-extensions-come-from-wheels"
"""Where ``INSTALL`` would look: nowhere, so it fails at once instead of reaching the internet."""

LOCKED_DOWN_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "custom_extension_repository": NO_EXTENSION_REPOSITORY,
    "autoinstall_extension_repository": NO_EXTENSION_REPOSITORY,
}


# httpfs reads s3://; avro is what iceberg reads manifests with; delta reads Delta tables.
TABLE_EXTENSIONS = ("httpfs", "avro", "iceberg", "delta")


def locked_down(extensions: Sequence[str] = (), setup: Sequence[str] = ()) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB database with ``extensions`` loaded from their wheels and the
    ``setup`` statements run (settings, secrets), then its configuration locked."""
    connection = duckdb.connect(config=LOCKED_DOWN_CONFIG)
    for name in extensions:
        load_extension(connection, name)
    for statement in setup:
        connection.execute(statement)
    connection.execute("SET lock_configuration = true")
    return connection


def s3_database(
    endpoint: S3Endpoint,
    http_retries: int = 3,
    http_timeout_s: int = 30,
    file_cache: bool = True,
    extensions: Sequence[str] = ("httpfs",),
) -> duckdb.DuckDBPyConnection:
    """A locked-down database whose httpfs reads ``s3://`` URIs from ``endpoint`` with its credentials.

    With ``extensions`` ``TABLE_EXTENSIONS`` it reads tables there too (``iceberg_scan``,
    ``delta_scan``: the delta extension reads through the same S3 secret).

    ``file_cache`` off makes it re-read objects on every query.
    """
    # Literal values: DuckDB does not take prepared parameters in CREATE SECRET.
    secret = f"""CREATE SECRET lab (TYPE s3, KEY_ID '{endpoint.access_key}',
        SECRET '{endpoint.secret_key}', ENDPOINT '{endpoint.host_port}', URL_STYLE 'path',
        USE_SSL false, REGION '{endpoint.region}')"""
    return locked_down(
        extensions,
        [
            secret,
            f"SET http_retries = {int(http_retries)}",
            f"SET http_timeout = {int(http_timeout_s)}",
            # Backoff matters only when faults are injected; keep waits short.
            "SET http_retry_wait_ms = 50",
            f"SET enable_external_file_cache = {str(file_cache).lower()}",
        ],
    )


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    return locked_down()


def duckdb_session() -> duckdb.DuckDBPyConnection:
    """A new connection to this process's one in-memory DuckDB database; close it after use.

    Opening a database costs 10-40 ms, a cursor on an open one nothing. Registered tables and
    temporary views belong to the connection, so concurrent sessions do not see each other's.
    """
    return _database().cursor()


def extension_path(name: str) -> Path:
    """Path of extension ``name`` (``tpch``, ``httpfs``) inside its ``duckdb-extension-<name>`` wheel."""
    module_name = f"duckdb_extension_{name}"
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(
            f"DuckDB extension {name!r} is not installed; install the wheel "
            f"duckdb-extension-{name}=={duckdb.__version__} (make venv does)"
        ) from None
    package_dir = Path(module.__file__ or "").parent
    path = package_dir / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise ConfigError(
            f"no {name} extension for DuckDB {duckdb.__version__} in {package_dir}; "
            f"pin duckdb-extension-{name} to the same version as duckdb"
        )
    return path


def load_extension(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load extension ``name`` into ``connection`` from its wheel."""
    connection.execute(f"LOAD '{extension_path(name)}'")
