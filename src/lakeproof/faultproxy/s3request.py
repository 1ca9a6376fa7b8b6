"""Classify an HTTP request to a path-style S3 endpoint: operation, bucket, key and range.

Only path-style addressing (``/bucket/key``) is understood, which is what every client of the
lab is configured to use; a virtual-hosted request would be seen as a bucket-level request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from lakeproof.faultproxy.names import Operation

# Query parameters of ListObjects / ListObjectsV2 / ListObjectVersions. A bucket GET carrying any
# other parameter (?location, ?uploads, ?policy, ...) reads bucket metadata, not a listing.
_LIST_PARAMETERS = frozenset(
    {
        "list-type",
        "prefix",
        "delimiter",
        "marker",
        "max-keys",
        "continuation-token",
        "start-after",
        "encoding-type",
        "fetch-owner",
        "versions",
        "key-marker",
        "version-id-marker",
    }
)

# Object sub-resources that read or change metadata rather than the object's bytes.
_OBJECT_METADATA_PARAMETERS = frozenset(
    {"acl", "tagging", "attributes", "retention", "legal-hold", "torrent", "restore", "select"}
)

# PUT and POST on an object write it: PutObject, CopyObject, multipart create / part / complete.
# DELETE covers DeleteObject and AbortMultipartUpload.
_OBJECT_METHODS: Mapping[str, Operation] = {"HEAD": "HEAD", "PUT": "PUT", "POST": "PUT", "DELETE": "DELETE"}


@dataclass(frozen=True)
class S3Request:
    """One request as the fault rules and the statistics see it.

    ``key`` is the object key, or for ``LIST`` the listing's ``prefix`` parameter, so that key
    globs and run prefixes select listings of a run as well as its objects.
    """

    listener: str
    method: str
    operation: Operation
    bucket: str
    key: str
    range: str | None

    @property
    def identity(self) -> tuple[str, str, str]:
        """The logical read this request is an attempt of: (bucket, key, range)."""
        return (self.bucket, self.key, self.range or "")

    @property
    def resource(self) -> str:
        """The resource as S3 names it in error documents: ``/bucket/key``."""
        return f"/{self.bucket}/{self.key}" if self.key else f"/{self.bucket}"


def classify(listener: str, method: str, raw_path: str, range_header: str | None) -> S3Request:
    """Classify a request from its method, raw (still percent-encoded) path and Range header."""
    path, _, query_string = raw_path.partition("?")
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    query = dict(parse_qsl(query_string, keep_blank_values=True))
    parameters = frozenset(query)
    method = method.upper()
    if not bucket:
        operation: Operation = "OTHER"  # service level: ListBuckets
    elif not key:
        operation = _bucket_operation(method, parameters)
        key = query.get("prefix", "") if operation == "LIST" else ""
    else:
        operation = _object_operation(method, parameters, range_header)
    return S3Request(listener, method, operation, bucket, key, range_header)


def _bucket_operation(method: str, names: frozenset[str]) -> Operation:
    if method == "GET":
        return "LIST" if names <= _LIST_PARAMETERS else "OTHER"
    if method == "HEAD":
        return "HEAD"
    if method == "DELETE" and not names:
        return "DELETE"  # DeleteBucket
    if method == "POST" and "delete" in names:
        return "DELETE"  # DeleteObjects: a batch of object deletions
    return "OTHER"  # CreateBucket and bucket configuration


def _object_operation(method: str, names: frozenset[str], range_header: str | None) -> Operation:
    if names & _OBJECT_METADATA_PARAMETERS or (method == "GET" and "uploadId" in names):
        return "OTHER"  # metadata sub-resources, ListParts
    if method == "GET":
        return "RANGE_GET" if range_header else "GET"
    return _OBJECT_METHODS.get(method, "OTHER")
