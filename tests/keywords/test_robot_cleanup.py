"""A Robot Framework run leaves no lab behind: not after a failed test, not after Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakeproof.net import wait_until

pytestmark = pytest.mark.component

LIBRARY = Path(__file__).resolve().parents[2] / "keywords" / "Lakeproof"

# The suite forgets Stop Lab on purpose: the library's listener must stop the lab itself.
SUITE = """\
*** Settings ***
Library    {library}/
Library    OperatingSystem

*** Test Cases ***
Start a lab and fail
    ${{lab}}=    Start Lab    nodes=1
    ${{text}}=    Evaluate    json.dumps($lab)    modules=json
    Create File    {lab_file}    ${{text}}
    {then}
"""


def _write_suite(tmp_path: Path, then: str) -> tuple[Path, Path]:
    lab_file = tmp_path / "lab.json"
    suite = tmp_path / "leak.robot"
    suite.write_text(SUITE.format(library=LIBRARY, lab_file=lab_file, then=then), encoding="utf-8")
    return suite, lab_file


def _robot(tmp_path: Path, suite: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "results"), str(suite)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _written_json(path: Path) -> bool:
    try:
        json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return True


def test_failed_test_without_teardown_leaves_nothing_running(
    tmp_path: Path, assert_lab_gone: Callable[[dict[str, Any]], None]
) -> None:
    suite, lab_file = _write_suite(tmp_path, "Fail    the engine gave a wrong answer")
    process = _robot(tmp_path, suite)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 1, output.decode()
    assert b"the engine gave a wrong answer" in output
    assert_lab_gone(json.loads(lab_file.read_text()))


def test_ctrl_c_in_the_middle_of_a_test_leaves_nothing_running(
    tmp_path: Path, assert_lab_gone: Callable[[dict[str, Any]], None]
) -> None:
    # The test waits on a file that never appears; only Ctrl-C ends it.
    suite, lab_file = _write_suite(
        tmp_path, "Wait Until Created    ${TEMPDIR}/never-created-by-lakeproof    120 s"
    )
    process = _robot(tmp_path, suite)
    wait_until(
        lambda: _written_json(lab_file),  # Create File makes the file before it writes the text
        60,
        "the suite to start its lab",
        abort=lambda: None if process.poll() is None else "robot exited",
    )
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert b"Execution terminated by signal" in output
    assert_lab_gone(json.loads(lab_file.read_text()))
