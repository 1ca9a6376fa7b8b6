"""The objects under a table's root in S3: listed to check what survives, deleted to start afresh."""

from __future__ import annotations

from lakeproof.objectstore import S3Endpoint


def _split(root: str) -> tuple[str, str]:
    bucket, _, key = root.removeprefix("s3://").partition("/")
    return bucket, key.rstrip("/") + "/"


def objects_under(endpoint: S3Endpoint, root: str) -> set[str]:
    """URIs of every object under ``root`` (``s3://bucket/.../table``) now."""
    bucket, prefix = _split(root)
    pages = endpoint.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {f"s3://{bucket}/{item['Key']}" for page in pages for item in page.get("Contents", [])}


def remove_objects_under(endpoint: S3Endpoint, root: str) -> None:
    """Delete every object under ``root``: a history is always written afresh."""
    bucket, _ = _split(root)
    client = endpoint.client()
    for uri in objects_under(endpoint, root):
        client.delete_object(Bucket=bucket, Key=uri.removeprefix(f"s3://{bucket}/"))
