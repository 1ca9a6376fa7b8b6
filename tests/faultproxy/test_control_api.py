"""The control API and its client: rules in and out, readable refusals, statistics per run."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from mypy_boto3_s3 import S3Client

from lakeproof.errors import ConfigError, LakeproofError
from lakeproof.faultproxy import FaultProxy, ProxyControl
from lakeproof.net import free_port

from .conftest import BUCKET, LISTENERS, S3ClientFactory

pytestmark = pytest.mark.component


def test_health_and_listeners_name_every_listener(proxy: FaultProxy, control: ProxyControl) -> None:
    assert control.listeners() == proxy.listener_ports
    assert list(control.listeners()) == list(LISTENERS)
    assert control.health() == {"status": "ok", "upstream": proxy.upstream, "listeners": proxy.listener_ports}


def test_a_rule_is_added_listed_counted_and_removed(
    control: ProxyControl, s3: S3ClientFactory, direct: S3Client, prefix: str
) -> None:
    direct.put_object(Bucket=BUCKET, Key=f"{prefix}a", Body=b"a")
    rule = control.add_rule(action="forbidden_403", key=f"{prefix}*", operation=["GET", "HEAD"])
    assert rule["operation"] == ["GET", "HEAD"]
    assert rule["hits"] == 0

    with pytest.raises(ClientError):
        s3().get_object(Bucket=BUCKET, Key=f"{prefix}a")
    assert control.rule(rule["id"])["hits"] == 1
    assert [listed["id"] for listed in control.rules()] == [rule["id"]]

    assert control.remove_rule(rule["id"])["id"] == rule["id"]
    assert control.rules() == []
    assert s3().get_object(Bucket=BUCKET, Key=f"{prefix}a")["Body"].read() == b"a"


def test_a_rule_used_up_by_times_is_gone_but_its_hits_stay_in_the_stats(
    control: ProxyControl, s3: S3ClientFactory, direct: S3Client, prefix: str
) -> None:
    direct.put_object(Bucket=BUCKET, Key=f"{prefix}a", Body=b"a")
    rule = control.add_rule(action="internal_error_500", prefix=prefix, times=1)
    with pytest.raises(ClientError):
        s3().get_object(Bucket=BUCKET, Key=f"{prefix}a")
    assert control.rules() == []
    with pytest.raises(ConfigError, match=f"no fault rule with id '{rule['id']}'"):
        control.rule(rule["id"])
    assert control.stats()["by_rule"][rule["id"]]["faults_by_action"] == {"internal_error_500": 1}


def test_unknown_rule_ids_are_404_with_a_json_reason(proxy: FaultProxy, control: ProxyControl) -> None:
    kept = control.add_rule(action="hang")
    for method in ("GET", "DELETE"):
        response = requests.request(method, f"{proxy.control_url}/rules/r999", timeout=5)
        assert response.status_code == 404
        assert response.json() == {
            "error": {
                "type": "rule_not_found",
                "reason": "no fault rule with id 'r999' (it may have been used up by 'times'); "
                f"active rules: {kept['id']}",
            }
        }
    with pytest.raises(ConfigError, match="no fault rule with id 'r999'"):
        control.remove_rule("r999")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"action": "slowdown"},
            "unknown fault action 'slowdown'; use one of: slowdown_503, internal_error_500",
        ),
        ({"action": "hang", "operation": "LS"}, "unknown S3 operation 'LS'; use one of: GET, RANGE_GET"),
        (
            {"action": "hang", "listener": "node-9"},
            "unknown listener 'node-9'; this proxy has: coordinator, node-1, node-2",
        ),
        (
            {"action": "hang", "times": -1},
            "invalid value -1 for rule field 'times'; use a whole number of at least 1",
        ),
        (
            {"action": "hang", "skip": -1},
            "invalid value -1 for rule field 'skip'; use a whole number of at least 0",
        ),
        (
            {"action": "hang", "probability": 2},
            "invalid value 2 for rule field 'probability'; use a number between 0 and 1",
        ),
        ({"action": "truncated_body"}, "action 'truncated_body' needs rule field 'bytes'"),
        (
            {"action": "hang", "node": "node-1"},
            "unknown rule field 'node'; use one of: action, operation, bucket",
        ),
    ],
)
def test_a_bad_rule_is_a_400_naming_the_bad_value_and_the_allowed_ones(
    proxy: FaultProxy, control: ProxyControl, fields: dict[str, Any], reason: str
) -> None:
    response = requests.post(f"{proxy.control_url}/rules", json=fields, timeout=5)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_rule"
    assert error["reason"].startswith(reason)
    with pytest.raises(ConfigError) as caught:
        control.add_rule(**fields)
    assert str(caught.value) == error["reason"]
    assert control.rules() == []


def test_a_body_that_is_not_json_is_a_400(proxy: FaultProxy) -> None:
    response = requests.post(f"{proxy.control_url}/rules", data="action=hang", timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["reason"].startswith("the rule is not valid JSON")


def test_an_unreachable_control_api_is_one_line_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LakeproofError) as caught:
        ProxyControl(url, timeout=2).rules()
    assert str(caught.value).startswith(f"the fault proxy control API at {url} did not answer GET /rules")
    assert "\n" not in str(caught.value)


def test_a_rule_for_one_listener_faults_only_that_reader(
    control: ProxyControl, s3: S3ClientFactory, direct: S3Client, prefix: str
) -> None:
    direct.put_object(Bucket=BUCKET, Key=f"{prefix}a", Body=b"a")
    control.add_rule(action="slowdown_503", listener="node-1", prefix=prefix)
    assert s3("coordinator").get_object(Bucket=BUCKET, Key=f"{prefix}a")["Body"].read() == b"a"
    assert s3("node-2").get_object(Bucket=BUCKET, Key=f"{prefix}a")["Body"].read() == b"a"
    with pytest.raises(ClientError, match="SlowDown"):
        s3("node-1").get_object(Bucket=BUCKET, Key=f"{prefix}a")


def test_stats_break_down_by_operation_key_listener_and_rule_under_a_run_prefix(
    control: ProxyControl, s3: S3ClientFactory, direct: S3Client, prefix: str
) -> None:
    other_run = f"other-{prefix}"
    for key in (f"{prefix}a", f"{prefix}b", f"{other_run}a"):
        direct.put_object(Bucket=BUCKET, Key=key, Body=b"0123456789")
    rule = control.add_rule(action="slowdown_503", listener="node-2", key=f"{prefix}b", times=1)

    s3("node-1").get_object(Bucket=BUCKET, Key=f"{prefix}a", Range="bytes=0-3")["Body"].read()
    s3("node-1").get_object(Bucket=BUCKET, Key=f"{prefix}a")["Body"].read()
    with pytest.raises(ClientError):
        s3("node-2").get_object(Bucket=BUCKET, Key=f"{prefix}b")
    s3("node-2").get_object(Bucket=BUCKET, Key=f"{prefix}b")["Body"].read()
    s3("coordinator").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    s3("coordinator").get_object(Bucket=BUCKET, Key=f"{other_run}a")["Body"].read()

    run = control.stats(prefix=prefix)
    assert run["totals"]["requests"] == 5
    assert run["totals"]["faults_by_action"] == {"slowdown_503": 1}
    assert {op: line["requests"] for op, line in run["by_operation"].items()} == {
        "RANGE_GET": 1,
        "GET": 3,
        "LIST": 1,
    }
    assert run["by_operation"]["RANGE_GET"]["bytes"] == 4
    assert run["by_key"][f"{prefix}a"] == {"requests": 2, "bytes": 14, "faults": 0, "faults_by_action": {}}
    assert run["by_key"][f"{prefix}b"]["requests"] == 2
    assert run["by_key"][f"{prefix}b"]["faults"] == 1
    assert {name: line["requests"] for name, line in run["by_listener"].items()} == {
        "node-1": 2,
        "node-2": 2,
        "coordinator": 1,
    }
    assert run["by_rule"][rule["id"]]["faults"] == 1
    assert f"{other_run}a" not in run["by_key"]

    everything = control.stats()
    assert everything["totals"]["requests"] == 6
    control.reset_stats()
    assert control.stats()["totals"] == {"requests": 0, "bytes": 0, "faults": 0, "faults_by_action": {}}


def test_a_body_that_is_not_utf8_is_a_400_not_a_crash(proxy: FaultProxy) -> None:
    response = requests.post(f"{proxy.control_url}/rules", data=b'{"action": "\xff"}', timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_rule",
        "reason": "the rule is not UTF-8: byte 0xff at position 12; send JSON encoded as UTF-8",
    }
