"""Errors the engine answers with, each mapped to an HTTP status and an ES|QL-style error type."""

from __future__ import annotations

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
