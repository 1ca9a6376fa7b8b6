"""Known-differences files (validated, one line per problem) and the capability matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakeproof.cli import main
from lakeproof.engines.base import Capability
from lakeproof.engines.known_differences import ENGINES_DATA_DIR, FILE_NAME, load_known_differences
from lakeproof.engines.matrix import CapabilityMatrix, matrix_from_output
from lakeproof.errors import ConfigError

ENTRY = "  - case: aggregates/Average\n    reason: sums doubles in another order\n    evidence: bug 12\n"


def test_listed_cases_load_with_where_they_are_written(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_text(f"differences:\n{ENTRY}", encoding="utf-8")
    (difference,) = load_known_differences(path).values()
    assert (difference.case, difference.reason, difference.evidence) == (
        "aggregates/Average",
        "sums doubles in another order",
        "bug 12",
    )
    assert difference.source == f"{path}:2"
    assert difference.skip_message("spark") == (
        "known difference of engine 'spark': sums doubles in another order "
        f"(evidence: bug 12; listed in {path}:2)"
    )


def test_an_entry_with_types_carries_the_engines_column_types(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_text(
        f"differences:\n{ENTRY}    types: {{total: BIGINT, mean: 'DECIMAL(14,6)'}}\n", encoding="utf-8"
    )
    (difference,) = load_known_differences(path).values()
    assert difference.types == {"total": "BIGINT", "mean": "DECIMAL(14,6)"}
    assert difference.types_message("spark") == (
        "known difference of engine 'spark', compared with it: total as BIGINT, mean as DECIMAL(14,6); "
        f"sums doubles in another order (listed in {path}:2)"
    )


def test_an_engine_without_a_file_has_no_differences(tmp_path: Path) -> None:
    assert load_known_differences(tmp_path / FILE_NAME) == {}


def test_every_shipped_file_is_valid() -> None:
    for path in ENGINES_DATA_DIR.glob(f"*/{FILE_NAME}"):
        load_known_differences(path)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (f"{ENTRY}{ENTRY}", ":5: differences[1].case: case 'aggregates/Average' is listed twice"),
        ("  - case: x\n    reason: y\n", ":2: differences[0].evidence: "),
        ("  - case: x\n    reason: ''\n    evidence: z\n", ":3: differences[0].reason: "),
        ("  - case: x\n    reason: y\n    evidence: z\n    types: {}\n", ":5: differences[0].types: "),
    ],
)
def test_a_bad_entry_names_the_file_line_and_field(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / FILE_NAME
    path.write_text(f"differences:\n{body}", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_known_differences(path)
    assert str(caught.value).startswith(f"{path}{problem}")


def test_a_suite_capability_fails_over_passes_over_skips() -> None:
    matrix = CapabilityMatrix("x")
    matrix.record("S", [Capability.SPLIT_PROFILE], "SKIP")
    matrix.record("S", [Capability.SPLIT_PROFILE, Capability.PLAN_API], "PASS")
    assert matrix.suites["S"] == {Capability.SPLIT_PROFILE: "proven", Capability.PLAN_API: "proven"}
    matrix.record("S", [Capability.PLAN_API], "FAIL")
    matrix.record("S", [Capability.PLAN_API], "PASS")
    assert matrix.suites["S"][Capability.PLAN_API] == "failed"


OUTPUT = """<?xml version="1.0" encoding="UTF-8"?>
<robot generator="Rebot 7.3">
<suite name="Suites">
<suite name="Smoke">
<test name="a"><tag>capability:node_lifecycle</tag><tag>smoke</tag><status status="SKIP"/></test>
<test name="b"><tag>capability:distribution_variants</tag><status status="PASS"/></test>
<test name="c"><status status="FAIL"/></test>
<meta name="Engine">duckdb_local</meta>
</suite>
<suite name="Faults">
<test name="d"><tag>capability:split_profile</tag><status status="FAIL"/></test>
</suite>
</suite>
</robot>
"""


def test_the_matrix_is_read_back_from_an_output_xml(tmp_path: Path) -> None:
    (tmp_path / "output.xml").write_text(OUTPUT, encoding="utf-8")
    matrix = matrix_from_output(tmp_path)
    assert matrix.engine == "duckdb_local"
    assert matrix.to_json()["suites"] == {
        "Suites.Faults": {"split_profile": "failed"},
        "Suites.Smoke": {"distribution_variants": "proven", "node_lifecycle": "skipped"},
    }
    table = matrix.markdown().splitlines()
    assert table[0].startswith("| suite | distribution_variants | split_profile |")
    assert table[3] == "| Suites.Smoke | proven | - | - | skipped | - | - | - | - | - |"


def test_a_file_that_is_not_an_output_xml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "output.xml"
    path.write_text("not xml", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^cannot read Robot Framework output .*; give an output.xml$"):
        matrix_from_output(path)


def test_lakeproof_matrix_writes_the_json_and_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "output.xml").write_text(OUTPUT, encoding="utf-8")
    assert main(["matrix", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "| Suites.Faults | - | failed | - | - | - | - | - | - |" in printed
    written_to = tmp_path / "capability-matrix.json"
    assert printed.rstrip().endswith(f"1 proven, 1 skipped, 1 failed; written to {written_to}")
    written = json.loads(written_to.read_text(encoding="utf-8"))
    assert written["engine"] == "duckdb_local"


def test_lakeproof_matrix_without_an_output_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["matrix", str(tmp_path / "nothing.xml")]) == 2  # usage errors exit 2
    error = capsys.readouterr().err
    assert error.startswith(
        f"lakeproof: error: cannot read Robot Framework output {tmp_path / 'nothing.xml'}"
    )
    assert error.count("\n") == 1
