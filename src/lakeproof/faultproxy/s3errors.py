"""S3 error documents the proxy answers with instead of the object store.

They have the shape real S3 sends (``<Error><Code>...``), so clients classify them as they
would in production: SlowDown and InternalError as retryable, NoSuchKey and AccessDenied not.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import NamedTuple
from xml.sax.saxutils import escape

from aiohttp import web

from lakeproof.faultproxy.names import Action


class ErrorDocument(NamedTuple):
    """Default HTTP status, S3 error code and message of an error action."""

    status: int
    code: str
    message: str


ERROR_DOCUMENTS: Mapping[Action, ErrorDocument] = {
    "slowdown_503": ErrorDocument(503, "SlowDown", "Please reduce your request rate."),
    "internal_error_500": ErrorDocument(
        500, "InternalError", "We encountered an internal error. Please try again."
    ),
    "not_found_404": ErrorDocument(404, "NoSuchKey", "The specified key does not exist."),
    "forbidden_403": ErrorDocument(403, "AccessDenied", "Access Denied"),
}

BAD_GATEWAY = ErrorDocument(502, "BadGateway", "The fault proxy could not reach the object store.")


def error_response(document: ErrorDocument, resource: str) -> web.Response:
    """An S3 error response for ``resource`` (``/bucket/key``)."""
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(document.code)}</Code><Message>{escape(document.message)}</Message>"
        f"<Resource>{escape(resource)}</Resource><RequestId>{request_id}</RequestId></Error>"
    )
    return web.Response(
        status=document.status,
        body=body.encode(),
        headers={"Content-Type": "application/xml", "x-amz-request-id": request_id},
    )
