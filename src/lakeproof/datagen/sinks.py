"""Where written objects go: a local directory or an S3 bucket under a prefix."""

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class Sink(Protocol):
    """Stores objects under keys relative to its base (``mixed_types/csv/part-0000.csv``)."""

    @property
    def base_uri(self) -> str:
        """The location keys are relative to, without a trailing slash."""
        ...

    def put(self, key: str, body: bytes) -> str:
        """Store `body` under `key`; return the object's URI."""
        ...


class LocalSink:
    """A directory on this machine; parents are created as needed."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    @property
    def base_uri(self) -> str:
        """The directory's absolute path."""
        return self.root.as_posix()

    def put(self, key: str, body: bytes) -> str:
        """Write `body` to ``root/key`` and return that path."""
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return path.as_posix()


class S3Sink:
    """An S3 bucket (any S3-compatible endpoint the boto3 client points at) under a key prefix."""

    def __init__(self, client: "S3Client", bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @property
    def base_uri(self) -> str:
        """``s3://bucket/prefix``."""
        return "/".join(part for part in (f"s3://{self.bucket}", self.prefix) if part)

    def put(self, key: str, body: bytes) -> str:
        """Upload `body` with one PutObject call; return its ``s3://`` URI."""
        full_key = f"{self.prefix}/{key}" if self.prefix else key
        self.client.put_object(Bucket=self.bucket, Key=full_key, Body=body)
        return f"s3://{self.bucket}/{full_key}"
