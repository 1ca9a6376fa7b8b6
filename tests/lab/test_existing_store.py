"""The lab in front of an S3 endpoint the user already runs: a second moto server, started here
with authentication on (so wrong credentials are refused, as MinIO would), plays that store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import psutil
import pytest

from lakeproof.datagen import load_spec
from lakeproof.errors import ComponentStartError, ConfigError
from lakeproof.lab import Lab, LabSettings
from lakeproof.lab.lab import MASK
from lakeproof.net import LOOPBACK, free_port, wait_until
from lakeproof.objectstore import ExistingStore, MotoServer, list_keys
from lakeproof.objectstore.client import REGION
from lakeproof.objectstore.existing import ENV_ACCESS_KEY, ENV_SECRET_KEY

pytestmark = pytest.mark.component

DATASETS = Path(__file__).resolve().parents[2] / "data" / "datasets"
BUCKET = "team-lake"
# moto checks no credentials until it has served this many requests: the set-up below (a user, its
# policy, its key) takes them, and every request after it is authenticated.
_SETUP_REQUESTS = 3
_S3_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExistingStore]:
    """A user's store: moto with authentication, a user allowed s3:*, and its bucket."""
    server = MotoServer(
        tmp_path_factory.mktemp("existing") / "moto.log",
        env={"INITIAL_NO_AUTH_ACTION_COUNT": str(_SETUP_REQUESTS)},
    )
    url = server.start().url
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        iam.create_user(UserName="team")
        iam.put_user_policy(UserName="team", PolicyName="s3", PolicyDocument=json.dumps(_S3_EVERYTHING))
        key = iam.create_access_key(UserName="team")["AccessKey"]
        found = ExistingStore(url, key["AccessKeyId"], key["SecretAccessKey"])
        found.endpoint.client().create_bucket(Bucket=BUCKET)
        yield found
    finally:
        server.stop()


def _children() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True)}


def test_the_lab_reads_through_its_proxy_from_the_existing_store_and_removes_only_its_prefix(
    store: ExistingStore, output_dir: Path
) -> None:
    client = store.endpoint.client()
    client.put_object(Bucket=BUCKET, Key="team-data/keep.csv", Body=b"a\n1\n")
    settings = LabSettings(
        output_dir=output_dir,
        readers=("coordinator", "node-1"),
        bucket=BUCKET,
        cluster=True,
        existing_store=store,
    )
    rows = load_spec(DATASETS / "smoke.yaml").rows
    with Lab(settings) as lab:
        manifest = lab.create_dataset(load_spec(DATASETS / "smoke.yaml"))
        assert list_keys(client, BUCKET, f"{lab.prefix}/"), "the dataset is in the user's store"
        answer = lab.coordinator_client().query(
            f"SELECT count(*), count(DISTINCT id) FROM {manifest.duckdb_scan('parquet')}",
            {"external_distribution": "round_robin"},
        )
        assert answer["values"] == [[rows, rows]]
        stats = lab.control.stats(prefix=lab.prefix)
        assert stats["by_listener"]["node-1"]["requests"] > 0, "node-1 read through its proxy listener"
        description = lab.describe()
        assert description["object_store"] == store.url
        assert description["access_key"] == description["secret_key"] == MASK
        assert store.secret_key not in repr(settings) + json.dumps(description)
        prefix = lab.prefix
    assert list_keys(client, BUCKET, f"{prefix}/") == {}, "the run's prefix is removed at stop"
    assert "team-data/keep.csv" in list_keys(client, BUCKET), "what the lab did not write stays"
    client.head_bucket(Bucket=BUCKET)  # and so does the bucket


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"secret_key": "wrong"},
            "refused the credentials for bucket 'team-lake' (403); check the access key",
        ),
        ({"bucket": "no-such-bucket"}, "bucket 'no-such-bucket' does not exist at object store http://"),
        (
            {"url": "unreachable"},
            "does not answer; start it, or fix the endpoint URL (LAKEPROOF_S3_ENDPOINT)",
        ),
    ],
)
def test_a_store_the_lab_cannot_use_is_one_line_and_leaves_nothing_running(
    store: ExistingStore, output_dir: Path, change: dict[str, str], message: str
) -> None:
    url = f"http://{LOOPBACK}:{free_port()}" if change.get("url") else store.url
    existing = ExistingStore(url, store.access_key, change.get("secret_key", store.secret_key))
    before = _children()
    lab = Lab(
        LabSettings(
            output_dir=output_dir,
            readers=("coordinator", "node-1"),
            bucket=change.get("bucket", BUCKET),
            cluster=True,
            existing_store=existing,
        )
    )
    with pytest.raises(ComponentStartError) as raised:
        lab.start()
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    # The data node and scheduler started before the store was checked are stopped again.
    wait_until(lambda: _children() <= before, 15, "the lab's processes to exit")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "127.0.0.1:9000"}, "object store endpoint '127.0.0.1:9000' must be an http(s) URL"),
        ({"url": "http://127.0.0.1:9000/lake"}, "(no bucket or path)"),
        (
            {"access_key": ""},
            f"needs an access key and a secret key: set {ENV_ACCESS_KEY} and {ENV_SECRET_KEY}",
        ),
    ],
)
def test_bad_store_settings_are_one_line_errors(fields: dict[str, str], message: str) -> None:
    values = {"url": "http://127.0.0.1:9000", "access_key": "key", "secret_key": "secret", **fields}
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ExistingStore(**values)


def test_a_fixed_store_port_with_an_existing_store_is_refused() -> None:
    existing = ExistingStore("http://127.0.0.1:9000", "key", "secret")
    with pytest.raises(ConfigError, match="object store port 9001 given with the existing store"):
        LabSettings(s3_port=9001, existing_store=existing)


def test_cli_lab_up_uses_the_store_from_the_environment(store: ExistingStore, tmp_path: Path) -> None:
    ready = tmp_path / "lab.json"
    env = {
        **os.environ,
        "LAKEPROOF_S3_ENDPOINT": store.url,
        "LAKEPROOF_S3_BUCKET": BUCKET,
        ENV_ACCESS_KEY: store.access_key,
        ENV_SECRET_KEY: store.secret_key,
    }
    command = [
        sys.executable,
        "-m",
        "lakeproof.cli",
        "lab",
        "up",
        "--no-cluster",
        "--nodes",
        "1",
        "--output-dir",
        str(tmp_path),
        "--ready-file",
        str(ready),
    ]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as lab_up:
        try:
            wait_until(ready.exists, 60, "lab up's ready file", abort=lambda: _exited(lab_up))
            description = json.loads(ready.read_text())
            assert description["object_store"] == store.url
            assert description["bucket"] == BUCKET
            prefix = description["prefix"]
            store.endpoint.client().put_object(Bucket=BUCKET, Key=f"{prefix}/mine.txt", Body=b"x")
        finally:
            lab_up.send_signal(signal.SIGTERM)
            _, errors = lab_up.communicate(timeout=30)
    assert lab_up.returncode == 0, errors
    assert list_keys(store.endpoint.client(), BUCKET, f"{prefix}/") == {}


def test_cli_lab_up_with_a_store_but_no_credentials_is_one_line(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAKEPROOF_S3_")}
    result = subprocess.run(
        [sys.executable, "-m", "lakeproof.cli", "lab", "up", "--store-endpoint", "http://127.0.0.1:9000"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"lakeproof: error: object store http://127.0.0.1:9000 needs an access key and a secret key: set "
        f"{ENV_ACCESS_KEY} and {ENV_SECRET_KEY} (or pass them to the lab)"
    ]


def _exited(process: subprocess.Popen[bytes]) -> str | None:
    return None if process.poll() is None else f"lab up exited with {process.returncode}"


ROBOT_SUITE = """\
*** Settings ***
Library    {library}/

*** Test Cases ***
Start a lab on the team's store
    VAR    ${{access: Secret}}    %{{TEAM_ACCESS_KEY}}
    VAR    ${{secret: Secret}}    %{{TEAM_SECRET_KEY}}
    ${{lab}}=    Start Lab    nodes=1    cluster=False    bucket={bucket}    store_endpoint=%{{TEAM_ENDPOINT}}
    ...    store_access_key=${{access}}    store_secret_key=${{secret}}
    Should Be Equal    ${{lab}}[object_store]    %{{TEAM_ENDPOINT}}
    Lab Should Be Running
    Stop Lab
"""


def test_start_lab_takes_the_stores_keys_as_secrets_and_no_log_shows_them(
    store: ExistingStore, tmp_path: Path
) -> None:
    library = Path(__file__).resolve().parents[2] / "keywords" / "Lakeproof"
    suite = tmp_path / "team_store.robot"
    suite.write_text(ROBOT_SUITE.format(library=library, bucket=BUCKET), encoding="utf-8")
    env = {
        **os.environ,
        "TEAM_ENDPOINT": store.url,
        "TEAM_ACCESS_KEY": store.access_key,
        "TEAM_SECRET_KEY": store.secret_key,
    }
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "robot", "--loglevel", "TRACE", "--outputdir", str(out), str(suite)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for written in [*out.glob("*.html"), out / "output.xml", *out.glob("lab-logs/**/*.log")]:
        text = written.read_text(encoding="utf-8", errors="replace")
        assert store.secret_key not in text, f"{written} shows the secret key"
        assert store.access_key not in text, f"{written} shows the access key"
