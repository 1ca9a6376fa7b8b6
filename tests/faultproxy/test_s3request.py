"""Classification of S3 requests into operation, bucket, key and range."""

from __future__ import annotations

import pytest

from lakeproof.faultproxy.s3request import S3Request, classify


@pytest.mark.parametrize(
    ("method", "raw_path", "range_header", "operation", "bucket", "key"),
    [
        ("GET", "/lake/run-1/part-0.parquet", None, "GET", "lake", "run-1/part-0.parquet"),
        ("GET", "/lake/run-1/part-0.parquet", "bytes=0-99", "RANGE_GET", "lake", "run-1/part-0.parquet"),
        ("GET", "/lake/run-1/a.csv?partNumber=1", None, "GET", "lake", "run-1/a.csv"),
        ("HEAD", "/lake/run-1/a.csv", None, "HEAD", "lake", "run-1/a.csv"),
        ("HEAD", "/lake", None, "HEAD", "lake", ""),
        ("GET", "/lake?list-type=2&prefix=run-1%2F&max-keys=2", None, "LIST", "lake", "run-1/"),
        ("GET", "/lake/?prefix=run-1/&delimiter=/", None, "LIST", "lake", "run-1/"),
        ("GET", "/lake", None, "LIST", "lake", ""),
        ("GET", "/lake?location", None, "OTHER", "lake", ""),
        ("GET", "/lake?uploads", None, "OTHER", "lake", ""),
        ("PUT", "/lake/run-1/a.csv", None, "PUT", "lake", "run-1/a.csv"),
        ("POST", "/lake/run-1/big.bin?uploads", None, "PUT", "lake", "run-1/big.bin"),
        ("PUT", "/lake/run-1/big.bin?partNumber=2&uploadId=abc", None, "PUT", "lake", "run-1/big.bin"),
        ("POST", "/lake/run-1/big.bin?uploadId=abc", None, "PUT", "lake", "run-1/big.bin"),
        ("GET", "/lake/run-1/big.bin?uploadId=abc", None, "OTHER", "lake", "run-1/big.bin"),
        ("DELETE", "/lake/run-1/a.csv", None, "DELETE", "lake", "run-1/a.csv"),
        ("DELETE", "/lake/run-1/big.bin?uploadId=abc", None, "DELETE", "lake", "run-1/big.bin"),
        ("POST", "/lake?delete", None, "DELETE", "lake", ""),
        ("DELETE", "/lake", None, "DELETE", "lake", ""),
        ("PUT", "/lake", None, "OTHER", "lake", ""),
        ("PUT", "/lake/run-1/a.csv?tagging", None, "OTHER", "lake", "run-1/a.csv"),
        ("GET", "/", None, "OTHER", "", ""),
        ("get", "/lake/k", None, "GET", "lake", "k"),
    ],
)
def test_operation_bucket_and_key_are_recognised(
    method: str, raw_path: str, range_header: str | None, operation: str, bucket: str, key: str
) -> None:
    request = classify("node-1", method, raw_path, range_header)
    assert (request.operation, request.bucket, request.key) == (operation, bucket, key)
    assert request.listener == "node-1"
    assert request.range == range_header


def test_key_is_url_decoded() -> None:
    request = classify("coordinator", "GET", "/lake/run%201/caf%C3%A9%2Bx.csv", None)
    assert request.key == "run 1/café+x.csv"


def test_identity_and_resource_name_the_logical_read() -> None:
    request = S3Request("node-2", "GET", "RANGE_GET", "lake", "a/b", "bytes=5-9")
    assert request.identity == ("lake", "a/b", "bytes=5-9")
    assert request.resource == "/lake/a/b"
    assert S3Request("node-2", "HEAD", "HEAD", "lake", "", None).resource == "/lake"
