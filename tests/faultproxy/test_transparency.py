"""Without rules the proxy is invisible: boto3, pyarrow and DuckDB get what moto would give them."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import uuid

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from mypy_boto3_s3 import S3Client
from mypy_boto3_s3.type_defs import CompletedPartTypeDef
from pyarrow import fs

from lakeproof.duckdb_ext import extension_path
from lakeproof.faultproxy import FaultProxy, ProxyControl

from .conftest import BUCKET, CREDENTIALS, S3ClientFactory

pytestmark = pytest.mark.component

MIB = 1024 * 1024
# Headers that differ between any two answers, proxied or not.
_PER_ANSWER_HEADERS = {
    "date",
    "x-amz-request-id",
    "x-amzn-requestid",
    "x-amz-id-2",
    "connection",
    "keep-alive",
}


def test_range_get_head_and_listing_match_the_object_store(
    control: ProxyControl, s3: S3ClientFactory, direct: S3Client, prefix: str
) -> None:
    body = os.urandom(4096)
    for name in ("a", "b", "c"):
        direct.put_object(Bucket=BUCKET, Key=f"{prefix}{name}", Body=body)
    client = s3()

    ranged = client.get_object(Bucket=BUCKET, Key=f"{prefix}b", Range="bytes=100-199")
    assert ranged["Body"].read() == body[100:200]
    assert ranged["ContentRange"] == "bytes 100-199/4096"
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206

    head = client.head_object(Bucket=BUCKET, Key=f"{prefix}c")
    assert (head["ContentLength"], head["ETag"]) == (
        4096,
        direct.head_object(Bucket=BUCKET, Key=f"{prefix}c")["ETag"],
    )

    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=prefix, PaginationConfig={"PageSize": 2}
    )
    assert [item["Key"] for page in pages for item in page["Contents"]] == [f"{prefix}{n}" for n in "abc"]

    by_operation = control.stats(prefix=prefix)["by_operation"]
    assert {op: line["requests"] for op, line in by_operation.items()} == {
        "RANGE_GET": 1,
        "HEAD": 1,
        "LIST": 2,
    }
    assert by_operation["RANGE_GET"]["bytes"] == 100


def test_response_headers_are_those_of_the_object_store(
    proxy: FaultProxy, moto_url: str, direct: S3Client, prefix: str
) -> None:
    key = f"{prefix}public.bin"
    direct.put_object(
        Bucket=BUCKET, Key=key, Body=b"x" * 1000, ACL="public-read", Metadata={"origin": "test"}
    )
    for method, headers in (("GET", {"Range": "bytes=10-19"}), ("HEAD", {}), ("GET", {})):
        proxied = requests.request(
            method, f"{proxy.endpoint('node-1')}/{BUCKET}/{key}", headers=headers, timeout=5
        )
        original = requests.request(method, f"{moto_url}/{BUCKET}/{key}", headers=headers, timeout=5)
        assert proxied.status_code == original.status_code
        assert proxied.content == original.content

        def comparable(response: requests.Response) -> dict[str, str]:
            return {k.lower(): v for k, v in response.headers.items() if k.lower() not in _PER_ANSWER_HEADERS}

        assert comparable(proxied) == comparable(original)


def test_put_delete_and_bucket_creation_pass_through(
    control: ProxyControl, s3: S3ClientFactory, direct: S3Client, prefix: str
) -> None:
    client = s3("node-2")
    bucket = f"lake-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    body = b"hello through the proxy"
    content_md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    client.put_object(Bucket=bucket, Key=f"{prefix}k", Body=body, ContentMD5=content_md5, Metadata={"a": "1"})
    stored = direct.get_object(Bucket=bucket, Key=f"{prefix}k")
    assert (stored["Body"].read(), stored["Metadata"]) == (body, {"a": "1"})

    client.delete_object(Bucket=bucket, Key=f"{prefix}k")
    assert direct.list_objects_v2(Bucket=bucket).get("KeyCount") == 0

    operations = {op: line["requests"] for op, line in control.stats()["by_operation"].items()}
    assert operations == {"OTHER": 1, "PUT": 1, "DELETE": 1}


def test_a_multipart_upload_of_more_than_5_mib_and_its_read_back_are_intact(
    control: ProxyControl, s3: S3ClientFactory, direct: S3Client, prefix: str
) -> None:
    parts = [os.urandom(5 * MIB), os.urandom(1 * MIB + 17)]
    key = f"{prefix}big.bin"
    client = s3("node-1", read_timeout=30)
    upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    completed: list[CompletedPartTypeDef] = []
    for number, part in enumerate(parts, start=1):
        uploaded = client.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=part
        )
        completed.append({"PartNumber": number, "ETag": uploaded["ETag"]})
    client.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": completed}
    )
    whole = b"".join(parts)
    assert direct.get_object(Bucket=BUCKET, Key=key)["Body"].read() == whole
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == whole

    counted = control.stats(prefix=prefix)
    assert counted["by_operation"]["PUT"]["requests"] == 4  # create, two parts, complete
    assert counted["by_operation"]["GET"]["bytes"] == len(whole)


@pytest.fixture
def table() -> pa.Table:
    return pa.table({"id": list(range(1000)), "city": [f"city-{i % 7}" for i in range(1000)]})


def test_pyarrow_writes_and_reads_parquet_through_the_proxy(
    proxy: FaultProxy, control: ProxyControl, prefix: str, table: pa.Table
) -> None:
    filesystem = fs.S3FileSystem(
        access_key=CREDENTIALS["aws_access_key_id"],
        secret_key=CREDENTIALS["aws_secret_access_key"],
        region=CREDENTIALS["region_name"],
        scheme="http",
        endpoint_override=proxy.endpoint("node-1").removeprefix("http://"),
    )
    path = f"{BUCKET}/{prefix}table.parquet"
    pq.write_table(table, path, filesystem=filesystem, row_group_size=250)
    # A SlowDown on the first read of every range is retried by pyarrow's own retry strategy.
    control.add_rule(action="slowdown_503", operation="RANGE_GET", prefix=prefix, per_request=1)
    assert pq.read_table(path, filesystem=filesystem).equals(table)

    counted = control.stats(prefix=prefix)
    assert counted["by_listener"].keys() == {"node-1"}
    assert counted["by_operation"]["RANGE_GET"]["faults_by_action"]["slowdown_503"] >= 1
    assert counted["by_operation"]["RANGE_GET"]["requests"] > counted["by_operation"]["RANGE_GET"]["faults"]


def test_duckdb_httpfs_reads_parquet_through_the_proxy(
    proxy: FaultProxy, control: ProxyControl, direct: S3Client, prefix: str, table: pa.Table
) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    key = f"{prefix}table.parquet"
    direct.put_object(Bucket=BUCKET, Key=key, Body=buffer.getvalue())

    connection = duckdb.connect()
    connection.execute(f"LOAD '{extension_path('httpfs')}'")
    endpoint = proxy.endpoint("node-2").removeprefix("http://")
    connection.execute(
        f"CREATE SECRET (TYPE s3, KEY_ID 'testing', SECRET 'testing', ENDPOINT '{endpoint}', "
        "URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')"
    )
    result = connection.execute(
        f"SELECT count(*), sum(id), count(DISTINCT city) FROM read_parquet('s3://{BUCKET}/{key}')"
    ).fetchone()
    assert result == (1000, sum(range(1000)), 7)

    counted = control.stats(prefix=prefix)
    assert counted["by_listener"].keys() == {"node-2"}
    assert counted["by_key"][key]["bytes"] > 0
