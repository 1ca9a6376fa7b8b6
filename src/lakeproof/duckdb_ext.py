"""DuckDB in this process: one shared in-memory database, and extensions loaded from their
PyPI wheels (the build machines cannot download them)."""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

import duckdb

from lakeproof.errors import ConfigError


@functools.cache
def _database() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


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
