"""boto3 helpers for the lab's object store: endpoint description, buckets, upload, list, delete."""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from lakeproof.errors import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# moto accepts any credentials; these are the defaults of a bare endpoint (each lab makes its own).
ACCESS_KEY = "lakeproof"
SECRET_KEY = "lakeproof-secret"  # noqa: S105 - a placeholder the local moto server accepts
REGION = "us-east-1"

# The S3 naming rules (3-63 chars, lowercase letters, digits, dots and hyphens, no IP form).
_BUCKET_RE = re.compile(r"^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys per call


@dataclass(frozen=True)
class S3Endpoint:
    """Where and how to reach an S3-compatible endpoint (the object store or a proxy listener)."""

    url: str
    # Out of repr: an endpoint inside a task or an error message must not print its credentials.
    access_key: str = field(default=ACCESS_KEY, repr=False)
    secret_key: str = field(default=SECRET_KEY, repr=False)
    region: str = REGION

    @property
    def host_port(self) -> str:
        """``host:port`` without the scheme, as DuckDB's ENDPOINT setting wants it."""
        return self.url.split("://", 1)[-1].rstrip("/")

    def client(self, max_attempts: int = 3, timeout: float = 30.0) -> S3Client:
        """A boto3 S3 client with path-style addressing (what moto and the proxy expect)."""
        config = Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=timeout,
            read_timeout=timeout,
        )
        client: S3Client = boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=config,
        )
        return client


def validate_bucket_name(name: str) -> str:
    """Return ``name`` if it is a valid S3 bucket name, else raise ConfigError saying why."""
    if not _BUCKET_RE.match(name) or ".." in name:
        raise ConfigError(
            f"invalid bucket name {name!r}: use 3-63 lowercase letters, digits, '.' or '-', "
            "starting and ending with a letter or digit (for example 'lake')"
        )
    return name


def new_run_prefix(label: str = "run") -> str:
    """A unique key prefix for one run, so parallel and repeated runs never share listings."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    safe_label = re.sub(r"[^a-z0-9-]+", "-", label.lower()).strip("-") or "run"
    return f"{safe_label}-{stamp}-{os.getpid()}-{secrets.token_hex(3)}"


def create_bucket(client: S3Client, name: str) -> None:
    """Create bucket ``name`` if it does not exist yet."""
    validate_bucket_name(name)
    existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
    if name not in existing:
        client.create_bucket(Bucket=name)


def upload(client: S3Client, bucket: str, key: str, data: bytes) -> None:
    """Write ``data`` to ``s3://bucket/key``."""
    client.put_object(Bucket=bucket, Key=key, Body=data)


def delete_key(client: S3Client, bucket: str, key: str) -> None:
    """Delete ``s3://bucket/key`` (nothing happens if it does not exist, as S3 does)."""
    client.delete_object(Bucket=bucket, Key=key)


def list_keys(client: S3Client, bucket: str, prefix: str = "") -> dict[str, int]:
    """Every key under ``prefix`` with its size in bytes (all pages of ListObjectsV2)."""
    sizes: dict[str, int] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            sizes[entry["Key"]] = entry["Size"]
    return sizes


def delete_prefix(client: S3Client, bucket: str, prefix: str) -> int:
    """Delete every object under ``prefix``; return how many were deleted."""
    if not prefix:
        raise ConfigError("refusing to delete with an empty prefix: name the run prefix to delete")
    keys = sorted(list_keys(client, bucket, prefix))
    for start in range(0, len(keys), _DELETE_BATCH):
        batch = keys[start : start + _DELETE_BATCH]
        client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch]})
    return len(keys)
