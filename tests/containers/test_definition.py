"""Engine definition files: the example in the repository loads, and each mistake is one line
naming file, line, field and the fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lakeproof.containers import load_definition
from lakeproof.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "engines" / "examples" / "acme-engine.yaml"
GOOD = """\
name: acme
driver: reference
image: acme/engine:1
roles:
  - name: coordinator
    ports: [{name: http, container: 8080}]
  - name: node
    count: 2
"""


def test_the_example_definition_loads_with_its_nodes_and_listeners() -> None:
    engine = load_definition(EXAMPLE).engine
    assert engine.node_names == ("coordinator", "node-1", "node-2", "node-3")
    assert [engine.listener_of(node) for node in engine.node_names] == list(engine.node_names)
    assert engine.roles[0].health is not None
    assert engine.roles[0].health.command[0] == "CMD"


def test_without_per_node_endpoints_every_node_reads_through_the_shared_listener(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text(GOOD + "storage: {per_node_endpoints: false, shared_listener: node-1}\n")
    engine = load_definition(path).engine
    assert {engine.listener_of(node) for node in engine.node_names} == {"node-1"}


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (
            ("image: acme/engine:1", "imgae: acme/engine:1"),
            3,
            "imgae: unknown field 'imgae' (did you mean 'image'?)",
        ),
        (("    count: 2", "    count: 17"), 8, "roles[1].count: Input should be less than or equal to 16"),
        (
            ("    count: 2", "    count: 2\n    environment: {S3: '{s3_url}'}"),
            9,
            "roles[1].environment.S3: unknown placeholder {s3_url}; placeholders are: s3_endpoint, bucket",
        ),
        (
            (
                "    ports: [{name: http, container: 8080}]",
                "    count: 2\n    ports: [{name: http, container: 8080, host: 9000}]",
            ),
            7,
            "roles[0].ports[0].host: host port 9000 is fixed but the role has 2 nodes; use 0 (free port)",
        ),
        (
            ("  - name: node\n", "  - name: node\n    health: {command: [curl, localhost]}\n"),
            8,
            "roles[1].health.command: a health command starts with CMD (then the program and its",
        ),
        (
            ("  - name: node\n    count: 2", "  - name: coordinator"),
            7,
            "roles[1].name: duplicate role name 'coordinator' (also roles[0]); rename one",
        ),
        (
            ("name: acme", "name: Acme_Engine"),
            1,
            "name: engine name 'Acme_Engine' must be 2-32 lowercase letters",
        ),
        (("driver: reference\n", ""), 1, "driver: required field 'driver' is missing; add it"),
        (
            ("driver: reference", "driver: acme"),
            2,
            "driver: unknown engine 'acme'; the drivers are: reference, spark",
        ),
        (("roles:", "host_gateway: not a host\nroles:"), 4, "host_gateway: String should match pattern"),
    ],
)
def test_a_bad_field_is_one_line_naming_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    old, new = change
    assert old in GOOD
    path = tmp_path / "engine.yaml"
    path.write_text(GOOD.replace(old, new))
    with pytest.raises(ConfigError) as raised:
        load_definition(path)
    text = str(raised.value)
    assert text.startswith(f"{path}:{line}: "), text
    assert message in text
    assert "\n" not in text


def test_two_roles_whose_nodes_share_a_name_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text(GOOD + "  - name: node-2\n")
    with pytest.raises(
        ConfigError, match=r"engine.yaml:9: roles\[2\].name: node name 'node-2' is also a node of "
    ):
        load_definition(path)


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeproof.cli", "engine", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_lakeproof_engine_check_prints_each_node_with_its_listener_and_ports(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text(GOOD)
    result = _check(path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "name": "acme",
        "image": "acme/engine:1",
        "driver": "reference",
        "nodes": {
            "coordinator": {"role": "coordinator", "listener": "coordinator", "ports": {"http": 8080}},
            "node-1": {"role": "node", "listener": "node-1", "ports": {}},
            "node-2": {"role": "node", "listener": "node-2", "ports": {}},
        },
    }


def test_lakeproof_engine_check_of_a_bad_definition_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text(GOOD.replace("image:", "imgae:"))
    result = _check(path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"lakeproof: error: {path}:3: imgae: unknown field 'imgae' (did you mean 'image'?); allowed fields: "
        "name, driver, image, pull, start_timeout_s, stop_timeout_s, host_gateway, storage, roles "
        "(+1 more problems)"  # the other: 'image' is then missing
    ]
