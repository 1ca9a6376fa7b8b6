"""Writing through S3Sink to a real S3 endpoint (the session's moto server)."""

import hashlib

import pytest

from lakeproof.datagen import S3Sink, load_spec, write_dataset
from lakeproof.objectstore import S3Endpoint

from .helpers import DATASETS

pytestmark = pytest.mark.component

BUCKET = "lake"  # created by the session fixture in tests/conftest.py


def test_dataset_is_uploaded_under_the_prefix(moto_endpoint: S3Endpoint, test_prefix: str) -> None:
    client = moto_endpoint.client()
    manifest = write_dataset(load_spec(DATASETS / "smoke.yaml"), S3Sink(client, BUCKET, f"/{test_prefix}/"))

    assert manifest.base_uri == f"s3://{BUCKET}/{test_prefix}"
    assert manifest.glob("parquet") == f"s3://{BUCKET}/{test_prefix}/smoke/parquet/*.parquet"
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{test_prefix}/")["Contents"]
    expected_keys = sorted(f"{test_prefix}/{obj.key}" for obj in manifest.objects)
    assert sorted(item["Key"] for item in listed) == expected_keys
    for obj in manifest.objects:
        assert obj.uri == f"s3://{BUCKET}/{test_prefix}/{obj.key}"
        body = client.get_object(Bucket=BUCKET, Key=f"{test_prefix}/{obj.key}")["Body"].read()
        assert len(body) == obj.size
        assert hashlib.sha256(body).hexdigest() == obj.sha256
