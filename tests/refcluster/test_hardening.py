"""Hardening on a real cluster: bad bodies are one-line 400s, every path stops at its deadline
(and leaves no node work), a client that disconnects cancels its query, and a clean Parquet
split shows one attempt however many range requests it made."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest
import requests

from lakeproof.datagen import Manifest
from lakeproof.lab import Lab
from lakeproof.net import wait_until
from lakeproof.refcluster.client import CoordinatorClient, CoordinatorRequestError

pytestmark = pytest.mark.component

TIMEOUT_S = 2
# NDJSON in 4 kB splits, not coalesced: about seventy splits, so the work lasts under slowed reads.
MANY_SPLITS = {"target_split_size": 4000, "coalesce": False}


def _post(lab: Lab, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
    response = requests.post(f"{lab.coordinator_url}{path}", data=raw, timeout=30)
    return response.status_code, response.json()


def _no_node_work(client: CoordinatorClient) -> bool:
    return not any(client.running_tasks().values())


@pytest.mark.parametrize(
    ("path", "raw", "reason"),
    [
        (
            "/query",
            b"\xff{}",
            "request body is not UTF-8: byte 0xff at position 0; send JSON encoded as UTF-8",
        ),
        ("/query", b"[]", "request body must be a JSON object, got an array"),
        ("/query/async", b"", "request body is empty; send a JSON object"),
        (
            "/plan",
            b'{"query": NaN}',
            "request body holds NaN, which is not a JSON number; send a finite number",
        ),
    ],
)
def test_a_body_that_is_no_json_object_is_a_400_on_every_endpoint(
    lab: Lab, client: CoordinatorClient, path: str, raw: bytes, reason: str
) -> None:
    assert _post(lab, path, raw) == (400, {"error": {"type": "illegal_argument_exception", "reason": reason}})
    assert client.health()["status"] == "green"


def test_fields_and_duckdb_mistakes_are_one_line_400s(lab: Lab, smoke: Manifest) -> None:
    scan = smoke.duckdb_scan("parquet")
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"query": f"SELECT 1 FROM {scan}", "pragm": {}},
            "unknown request field [pragm]; known fields: query, pragma, profile",
        ),
        (
            {"query": f"SELECT 1 FROM {scan}", "profile": "yes"},
            'request field [profile] must be true or false, got "yes"',
        ),
        (
            {"query": f"SELECT id + 'abc' FROM {scan}"},
            "Conversion Error: Could not convert string 'abc' to INT64",
        ),
        (
            {"query": f"SELECT getenv('HOME') FROM {scan}"},
            "function 'getenv' is refused: it reveals the engine's host "
            "(environment, files, memory, platform); "
            "read files with read_parquet('s3://...'), read_csv(...) or read_json(...), "
            "tables with iceberg_scan('s3://...') or delta_scan('s3://...')",
        ),
    ]
    for body, reason in cases:
        status, answer = _post(lab, "/query", json.dumps(body).encode())
        assert (status, answer["error"]["reason"]) == (400, reason), body


def test_a_column_text_files_lack_is_a_400_and_names_match_as_duckdb_binds(
    smoke: Manifest, client: CoordinatorClient
) -> None:
    parquet, ndjson = smoke.duckdb_scan("parquet"), smoke.duckdb_scan("ndjson")
    with pytest.raises(CoordinatorRequestError) as caught:
        client.query(f"SELECT a.id FROM {parquet} a JOIN {ndjson} b ON a.id = b.nope")
    assert caught.value.status == 400
    assert caught.value.reason.startswith(
        'Binder Error: Referenced column "nope" not found in read_json; its columns are: id, region, qty'
    )
    upper = client.query(f"SELECT sum(QTY) AS q FROM {ndjson}")
    lower = client.query(f"SELECT sum(qty) AS q FROM {ndjson}")
    assert upper["values"] == lower["values"]


def test_answers_of_any_duckdb_type_are_json(smoke: Manifest, client: CoordinatorClient) -> None:
    uuid = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    answer = client.query(f"SELECT '{uuid}'::UUID AS u FROM {smoke.duckdb_scan('parquet')} LIMIT 1")
    assert answer["values"] == [[uuid]]


def test_a_clean_parquet_split_is_one_attempt_however_many_requests(
    smoke: Manifest, client: CoordinatorClient
) -> None:
    # Two columns far apart in the file: each split reads them with separate range requests.
    answer = client.query(
        f"SELECT min(id), max(day) FROM {smoke.duckdb_scan('parquet')}",
        {"external_distribution": "round_robin", "parquet_target_size": 1024},
    )
    splits = answer["profile"]["splits"]
    assert [split["attempts"] for split in splits] == [1] * len(splits)
    assert max(split["requests"] for split in splits) >= 2, splits


@pytest.mark.parametrize(
    ("rule", "pragma", "doing"),
    [
        (
            {"action": "slow_body", "rate": 2000, "listener": "coordinator", "operation": "RANGE_GET"},
            {"external_distribution": "coordinator_only", **MANY_SPLITS},
            "reading splits on coordinator (s3://",
        ),
        (
            {"action": "slow_body", "rate": 2000, "operation": "RANGE_GET"},
            {"external_distribution": "round_robin", **MANY_SPLITS},
            "reading splits on ",
        ),
        (
            {"action": "hang", "hang_seconds": 30, "operation": "LIST"},
            {},
            "listing objects on the coordinator: failed to read s3://",
        ),
    ],
)
def test_every_path_ends_at_its_deadline_and_leaves_no_work(
    lab: Lab,
    smoke: Manifest,
    client: CoordinatorClient,
    rule: dict[str, Any],
    pragma: dict[str, Any],
    doing: str,
) -> None:
    lab.control.add_rule(prefix=f"{lab.prefix}/", **rule)
    started = time.monotonic()
    with pytest.raises(CoordinatorRequestError) as caught:
        client.query(
            f"SELECT count(*), sum(qty) FROM {smoke.duckdb_scan('ndjson')}",
            {"query_timeout_s": TIMEOUT_S, **pragma},
        )
    assert time.monotonic() - started < TIMEOUT_S + 1
    assert (caught.value.status, caught.value.error_type) == (504, "timeout_exception")
    assert caught.value.reason.startswith(
        f"query exceeded its deadline of {TIMEOUT_S} s (pragma query_timeout_s) while {doing}"
    )
    # Node threads stop at their next body chunk or request: on a loaded 2-core machine up to a second or two.
    wait_until(lambda: _no_node_work(client), 2.0, "node work to stop after the timeout", interval=0.05)


def test_a_parquet_footer_that_hangs_ends_at_the_deadline(
    lab: Lab, smoke: Manifest, client: CoordinatorClient
) -> None:
    lab.control.add_rule(
        action="hang", hang_seconds=30, listener="coordinator", operation="RANGE_GET", prefix=f"{lab.prefix}/"
    )
    started = time.monotonic()
    with pytest.raises(CoordinatorRequestError) as caught:
        client.query(f"SELECT count(*) FROM {smoke.duckdb_scan('parquet')}", {"query_timeout_s": TIMEOUT_S})
    assert time.monotonic() - started < TIMEOUT_S + 1
    assert caught.value.reason.startswith(
        f"query exceeded its deadline of {TIMEOUT_S} s (pragma query_timeout_s) "
        "while reading file footers and headers on the coordinator: failed to read s3://"
    )


def test_a_client_that_disconnects_cancels_its_query(
    lab: Lab, smoke: Manifest, client: CoordinatorClient
) -> None:
    lab.control.add_rule(action="latency", latency_ms=200, operation="RANGE_GET", prefix=f"{lab.prefix}/")
    body = json.dumps(
        {
            "query": f"SELECT count(*), sum(qty) FROM {smoke.duckdb_scan('ndjson')}",
            "pragma": {"external_distribution": "round_robin", **MANY_SPLITS},
        }
    ).encode()
    host, port = lab.coordinator_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /query HTTP/1.1\r\nHost: lab\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        wait_until(lambda: not _no_node_work(client), 30, "the nodes to work on the query", interval=0.05)
    # The client is gone: its query must stop, nodes included, long before it could finish.
    wait_until(lambda: _no_node_work(client), 3.0, "node work to stop after the client left", interval=0.05)
    assert client.health()["status"] == "green"
