"""The ``lakeproof`` command on bad input: one line on stderr, exit code 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lakeproof import cli
from lakeproof.datagen.tpch import TPCH_TABLES
from lakeproof.lab import Lab, LabSettings

ROOT = Path(__file__).resolve().parents[2]
SMOKE = str(ROOT / "data" / "datasets" / "smoke.yaml")


def lakeproof(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lakeproof.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single line on stderr of a failed command."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def binary_spec(tmp_path: Path) -> Path:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1\x15\x04\x15\xc8\x01\x00\xff")
    return path


def test_datagen_on_a_binary_file(binary_spec: Path, tmp_path: Path) -> None:
    assert one_line_error(lakeproof("datagen", str(binary_spec), "--out", str(tmp_path))) == (
        f"lakeproof: error: {binary_spec}: not a text file (byte 0xc8 at offset 7 is not UTF-8); "
        "a dataset spec is a YAML file"
    )


def test_datagen_on_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert one_line_error(lakeproof("datagen", str(missing), "--out", str(tmp_path))) == (
        f"lakeproof: error: cannot read dataset spec {missing}: No such file or directory; check the path"
    )


def test_datagen_on_a_directory(tmp_path: Path) -> None:
    assert one_line_error(lakeproof("datagen", str(tmp_path), "--out", str(tmp_path))) == (
        f"lakeproof: error: cannot read dataset spec {tmp_path}: Is a directory; check the path"
    )


def test_datagen_into_a_file_instead_of_a_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = one_line_error(lakeproof("datagen", SMOKE, "--out", str(blocker)))
    assert line == (
        f"lakeproof: error: cannot use {blocker}/smoke/parquet: Not a directory; "
        "check the path and its permissions"
    )


def test_datagen_with_an_endpoint_that_is_not_a_url(tmp_path: Path) -> None:
    assert one_line_error(lakeproof("datagen", SMOKE, "--s3-endpoint", "localhost")) == (
        "lakeproof datagen: error: argument --s3-endpoint: expected an S3 endpoint URL such as "
        "http://127.0.0.1:PORT (the object_store 'lab up' printed), got 'localhost'; "
        "see 'lakeproof datagen --help'"
    )


@pytest.mark.parametrize("scale_factor", ["inf", "nan", "-1", "1e9"])
def test_datagen_with_an_impossible_scale_factor(scale_factor: str, tmp_path: Path) -> None:
    line = one_line_error(lakeproof("datagen", "--tpch", scale_factor, "--out", str(tmp_path)))
    assert line.startswith(
        f"lakeproof: error: TPC-H scale factor {float(scale_factor)} must be from 0 to 100"
    )


def test_datagen_tpch_refuses_a_row_count(tmp_path: Path) -> None:
    assert one_line_error(lakeproof("datagen", "--tpch", "0.01", "--rows", "5", "--out", str(tmp_path))) == (
        "lakeproof: error: --rows and --seed apply to a spec; size TPC-H by its scale factor (--tpch SF)"
    )


def test_a_bad_option_is_one_line_naming_the_help() -> None:
    assert one_line_error(lakeproof("lab", "up", "--nodes", "two")) == (
        "lakeproof lab up: error: argument --nodes: invalid int value: 'two'; see 'lakeproof lab up --help'"
    )


@pytest.mark.parametrize("timeout", ["0", "-3", "soon"])
def test_lab_up_refuses_a_start_timeout_that_is_not_positive(timeout: str) -> None:
    line = one_line_error(lakeproof("lab", "up", "--start-timeout", timeout))
    assert line.startswith(
        "lakeproof lab up: error: argument --start-timeout: "
        f"expected a number of seconds above 0, got '{timeout}'"
    )


def test_lab_up_refuses_a_ready_file_in_a_missing_directory(tmp_path: Path) -> None:
    ready = tmp_path / "missing" / "lab.json"
    assert one_line_error(lakeproof("lab", "up", "--ready-file", str(ready))) == (
        f"lakeproof: error: --ready-file {ready}: there is no directory {ready.parent}"
    )


def test_help_lists_every_commands_options() -> None:
    result = lakeproof("--help")
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())
    for option in ("--nodes", "--no-cluster", "--ready-file", "--start-timeout", "--tpch", "--s3-endpoint"):
        assert option in help_text
    assert "lakeproof lab up [-h]" in help_text
    assert "lakeproof datagen [-h]" in help_text


def test_datagen_tpch_prints_one_json_value(tmp_path: Path) -> None:
    result = lakeproof("datagen", "--tpch", "0.001", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    manifests = json.loads(result.stdout)  # one document, or json.loads fails ("Extra data")
    assert sorted(manifests) == sorted(TPCH_TABLES)
    assert manifests["nation"]["total_rows"] == 25
    assert (tmp_path / "nation" / "manifest.json").is_file()


def test_datagen_of_a_spec_prints_its_manifest(tmp_path: Path) -> None:
    result = lakeproof("datagen", SMOKE, "--out", str(tmp_path), "--rows", "10")
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    assert manifest["dataset"] == "smoke"
    assert manifest["total_rows"] == 10


def test_a_fault_of_the_kit_is_one_line_with_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise KeyError("manifest")

    monkeypatch.setattr(cli, "_datagen", broken)
    monkeypatch.delenv("LAKEPROOF_TRACEBACK", raising=False)
    assert cli.main(["datagen", SMOKE, "--out", "x"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "lakeproof: error: internal error (KeyError: 'manifest'); this is a bug in lakeproof, please "
        "report it (LAKEPROOF_TRACEBACK=1 shows the traceback)"
    ]


@pytest.mark.component
def test_datagen_uploads_to_a_labs_object_store_as_the_readme_shows(tmp_path: Path) -> None:
    # The lab makes credentials of its own; datagen, given only the URL, must still reach it.
    with Lab(LabSettings(output_dir=tmp_path / "out", readers=("coordinator",))) as lab:
        url = lab.describe()["object_store"]
        result = lakeproof("datagen", SMOKE, "--rows", "10", "--s3-endpoint", url, "--prefix", "by-hand")
        assert result.returncode == 0, result.stderr
        listed = lab.s3.client().list_objects_v2(Bucket=lab.bucket, Prefix="by-hand/smoke/")
        assert json.loads(result.stdout)["total_rows"] == 10
        assert any(item["Key"].endswith("manifest.json") for item in listed.get("Contents", []))
