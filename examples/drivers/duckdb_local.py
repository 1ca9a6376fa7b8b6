"""A minimal engine driver: plain in-process DuckDB, one variant, no capabilities.

It shows what every driver does, and the contract tests (``tests/engines/``) prove it works:

- ``launch(lab, settings)`` connects to the engine and points it at the lab's object store,
  through the fault proxy (so faults and byte counts reach it) with the lab's own credentials;
- ``query`` maps each of the catalogue's scans to the engine's own source text, translates the
  rest with sqlglot, runs it and answers with a typed :class:`Answer`;
- an engine failure becomes an :class:`EngineError` (status, type, reason);
- what it cannot show it does not claim: ``capabilities`` is empty, so checks that need split
  profiles, node lifecycle, async queries or a plan API are skipped, never passed.

Run the suites against it:
``robot --pythonpath . --variable ENGINE:examples.drivers.duckdb_local suites/smoke``
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import duckdb

from lakeproof.compare import answer_from_duckdb
from lakeproof.duckdb_ext import locked_down
from lakeproof.engines.base import Answer, Capability, Driver, EngineError, QueryOptions
from lakeproof.engines.settings import EngineSettings
from lakeproof.engines.sql import Scan, SqlTranslationError, translate
from lakeproof.errors import ConfigError
from lakeproof.lab import Lab

VARIANT = "single_process"
DIALECT = "duckdb"


def source_text(scan: Scan) -> str:
    """The engine's own text for one scan. DuckDB reads the lab's scans as they are; an engine
    with another syntax builds it from ``scan.format``, ``scan.uris`` and ``scan.options``."""
    return scan.sql


class DuckDBLocalDriver(Driver):
    """One DuckDB connection in this process: one variant, nothing distributed."""

    name: ClassVar[str] = "duckdb_local"
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # One process reads everything, as the reference engine's coordinator_only does.
    variant_aliases: ClassVar[Mapping[str, str]] = {"coordinator_only": VARIANT}

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self._connection: duckdb.DuckDBPyConnection | None = connection

    def variants(self) -> tuple[str, ...]:
        """One way to run a query."""
        return (VARIANT,)

    def query(self, sql: str, variant: str, options: QueryOptions) -> Answer:
        """Translate ``sql``, run it, and answer with its columns and rows."""
        if variant != VARIANT:
            raise EngineError(
                400, "unknown_variant", f"unknown variant {variant!r}; the only one is {VARIANT}"
            )
        # options.pragma holds the reference engine's tuning (split sizes): DuckDB has no use for it.
        if self._connection is None:
            raise EngineError(503, "closed", "the driver is closed")
        try:
            engine_sql = translate(sql, DIALECT, source_text)
        except SqlTranslationError as exc:
            raise EngineError(400, "translation_error", str(exc)) from None
        cursor = self._connection.cursor()  # one per query: checks send queries from threads
        try:
            return Answer(table=answer_from_duckdb(cursor.sql(engine_sql)))
        except duckdb.Error as exc:
            raise EngineError(400, type(exc).__name__, str(exc).splitlines()[0]) from None
        finally:
            cursor.close()

    def close(self) -> None:
        """Close the connection; a second call does nothing."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def launch(lab: Lab, settings: EngineSettings) -> DuckDBLocalDriver:
    """Connect DuckDB to the lab's object store through the fault proxy's ``coordinator`` listener."""
    if settings.endpoints or settings.credentials:
        raise ConfigError("the duckdb_local engine runs in this process: give it no endpoints or credentials")
    endpoint = lab.reader_endpoint("coordinator")
    secret = f"""CREATE SECRET lab (TYPE s3, KEY_ID '{endpoint.access_key}',
        SECRET '{endpoint.secret_key}', ENDPOINT '{endpoint.host_port}', URL_STYLE 'path',
        USE_SSL false, REGION '{endpoint.region}')"""
    return DuckDBLocalDriver(locked_down(["httpfs"], [secret, "SET enable_external_file_cache = false"]))
