"""Errors the engine answers with, each mapped to an HTTP status and an ES|QL-style error type."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import duckdb

from lakeproof.errors import LakeproofError


class EngineError(LakeproofError):
    """Base: ``status`` and ``error_type`` shape the JSON error answer."""

    status = 500
    error_type = "internal_exception"


class BadRequestError(EngineError):
    """The caller's mistake: bad SQL, unknown table, malformed pragma, a glob matching nothing."""

    status = 400
    error_type = "verification_exception"


class NodeFailureError(EngineError):
    """Data nodes were lost and the answer cannot be completed (and partial results were not allowed)."""

    status = 503
    error_type = "node_failure_exception"


class QueryTimeoutError(EngineError):
    """The query's deadline passed."""

    status = 504
    error_type = "timeout_exception"


class QueryCancelledError(EngineError):
    """The query was cancelled by its caller."""

    status = 499
    error_type = "task_cancelled_exception"


class NotFoundError(EngineError):
    """An unknown async query id."""

    status = 404
    error_type = "resource_not_found_exception"


# DuckDB errors a query's own text causes (a type that does not convert, a function that does
# not bind): the caller's mistake, answered with DuckDB's first line. Others (I/O, out of memory,
# DuckDB internals) stay failures of the engine.
_CALLER_DUCKDB_ERRORS: tuple[type[duckdb.Error], ...] = (
    duckdb.BinderException,
    duckdb.CatalogException,
    duckdb.ConversionException,
    duckdb.InvalidInputException,
    duckdb.InvalidTypeException,
    duckdb.NotImplementedException,
    duckdb.OutOfRangeException,
    duckdb.ParserException,
    duckdb.TypeMismatchException,
)
# Names only the engine uses: a local split copy, and the relations nodes and merges read.
_INTERNAL_NAMES = (
    (re.compile(r"""["']?[^\s'"]*lakeproof-node-[^/\s'"]*/split-(\d+)\.\w+["']?"""), r"split \1"),
    (re.compile(r'"?(__splits|__source_\d+)"?\.'), ""),
)


@contextmanager
def caller_errors(local_files: Mapping[str, str] | None = None) -> Iterator[None]:
    """DuckDB errors the query's text or the data causes, raised as the caller's one-line BadRequestError.

    ``local_files`` maps a node's local copies of splits to the objects they came from: an I/O
    error DuckDB raises on one (not a gzip stream, not Parquet) is a problem of that object's
    bytes, and every message names the object rather than the copy.
    """
    try:
        yield
    except duckdb.Error as error:
        if (mistake := caller_error(error, local_files or {})) is not None:
            raise mistake from None
        raise


def caller_error(error: duckdb.Error, local_files: Mapping[str, str] | None = None) -> BadRequestError | None:
    """A DuckDB error caused by the query's text (or by a local copy's bytes, see ``caller_errors``)
    as a one-line 400, without engine internals; else None."""
    line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    names_copy = any(path in line for path in local_files or {})
    if not isinstance(error, _CALLER_DUCKDB_ERRORS) and not (
        isinstance(error, duckdb.IOException) and names_copy
    ):
        return None
    for path, uri in (local_files or {}).items():
        line = line.replace(path, uri)
    for pattern, replacement in _INTERNAL_NAMES:
        line = pattern.sub(replacement, line)
    return BadRequestError(line)
