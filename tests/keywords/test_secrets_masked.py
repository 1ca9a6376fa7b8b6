"""A real Robot Framework run on a lab never writes the lab's credentials to log.html or output.xml.

log.html keeps its texts zlib-compressed and base64-encoded, so searching the raw file would find
nothing even if a credential were there: the texts are decoded first, and a marker logged on
purpose proves the search would find one.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.component

ROOT = Path(__file__).resolve().parents[2]
MARKER = "visible-marker-" + "x" * 200  # long enough for log.html to compress it

SUITE = """\
*** Settings ***
Library    {library}/
Library    OperatingSystem

*** Test Cases ***
Run a query and look at the lab
    ${{lab}}=    Start Lab    nodes=1
    Log    ${{lab}}
    ${{creds}}=    Get Lab Credentials
    Log    ${{creds}}
    Create File    {handed_over}    ${{creds['secret_key'].value}}
    Create Dataset    smoke
    ${{scan}}=    Get Dataset Scan    smoke    parquet
    Query Should Match Oracle    SELECT count(*) AS n FROM ${{scan}}
    Log    {marker}
    [Teardown]    Stop Lab
"""

# One statement a line: window.output["strings"] = window.output["strings"].concat([...]);
_STRINGS = re.compile(
    r'^window\.output\["strings"\] = (?:window\.output\["strings"\]\.concat\()?(\[.*\])\)?;$', re.MULTILINE
)


def log_html_texts(log_html: str) -> list[str]:
    """Every text log.html holds, decoded ("*" marks a raw text, others are base64 zlib data)."""
    texts = []
    for chunk in _STRINGS.findall(log_html):
        # Robot Framework writes "</" as the JavaScript escape "\x3c/", which JSON does not know.
        for item in json.loads(chunk.replace("\\x3c/", "</")):
            raw = item.startswith("*")
            texts.append(item[1:] if raw else zlib.decompress(base64.b64decode(item)).decode())
    return texts


def test_the_lab_credentials_appear_in_no_log_or_report(tmp_path: Path) -> None:
    suite = tmp_path / "credentials.robot"
    handed_over = tmp_path / "handed-over-secret"  # what an engine under test would be given
    library = ROOT / "keywords" / "Lakeproof"
    suite.write_text(SUITE.format(library=library, marker=MARKER, handed_over=handed_over), encoding="utf-8")
    results = tmp_path / "results"
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--outputdir", str(results), str(suite)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout.decode()
    (config,) = results.glob("lab-logs/*/coordinator.json")  # the lab's own file, the owner's only
    credentials = json.loads(config.read_text())["readers"]["coordinator"]
    secrets = [credentials["secret_key"], credentials["access_key"]]
    assert handed_over.read_text() == credentials["secret_key"]  # Get Lab Credentials gave the real one

    output_xml = (results / "output.xml").read_text(encoding="utf-8")
    texts = "\n".join(log_html_texts((results / "log.html").read_text(encoding="utf-8")))
    report = (results / "report.html").read_text(encoding="utf-8")
    assert MARKER in output_xml
    assert MARKER in texts  # the decoding works: a credential would be found the same way
    assert "Lab endpoints" in texts
    for secret in secrets:
        assert secret not in output_xml
        assert secret not in texts
        assert secret not in report
