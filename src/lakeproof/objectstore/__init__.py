"""S3-compatible object store for the lab: a moto server and boto3 helpers."""

from lakeproof.objectstore.client import (
    S3Endpoint,
    create_bucket,
    delete_key,
    delete_prefix,
    list_keys,
    new_run_prefix,
    upload,
    validate_bucket_name,
)
from lakeproof.objectstore.existing import ExistingObjectStore, ExistingStore
from lakeproof.objectstore.server import MotoServer

__all__ = [
    "ExistingObjectStore",
    "ExistingStore",
    "MotoServer",
    "S3Endpoint",
    "create_bucket",
    "delete_key",
    "delete_prefix",
    "list_keys",
    "new_run_prefix",
    "upload",
    "validate_bucket_name",
]
