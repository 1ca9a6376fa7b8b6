"""Table history specs: the shipped ones load, and each mistake is one line naming file:line and field."""

from pathlib import Path

import pytest

from lakeproof.errors import ConfigError
from lakeproof.tables import DEFAULT_DATASETS_DIR, load_table_spec

TABLES = Path(__file__).resolve().parents[2] / "data" / "tables"

GOOD = """\
name: t
dataset: sales
columns: [id, region, qty]
key: id
steps:
  - {step: append, rows: 100}
  - {step: delete, where: "qty > 50", mode: position, formats: [iceberg]}
"""


def _load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    load_table_spec(path, DEFAULT_DATASETS_DIR)


@pytest.mark.parametrize("path", sorted(TABLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_shipped_histories_are_valid(path: Path) -> None:
    spec, dataset = load_table_spec(path, DEFAULT_DATASETS_DIR)
    assert spec.name == path.stem
    assert dataset.name == spec.dataset


def test_shipped_histories_cover_every_step_kind() -> None:
    kinds = {
        step.step
        for path in TABLES.glob("*.yaml")
        for step in load_table_spec(path, DEFAULT_DATASETS_DIR)[0].steps
    }
    modes = {
        step.mode
        for path in TABLES.glob("*.yaml")
        for step in load_table_spec(path, DEFAULT_DATASETS_DIR)[0].steps
        if step.step == "delete"
    }
    assert kinds == {
        "append", "overwrite", "delete", "add_column", "rename_column", "drop_column",
        "widen_column", "partition_by", "compact", "expire",
    }  # fmt: skip
    assert {"position", "equality", "copy_on_write"} <= modes


def test_the_good_spec_loads(tmp_path: Path) -> None:
    _load(tmp_path, GOOD)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ("{step: append, rows: 100}", "{step: apend, rows: 100}"),
            r"^\S+t\.yaml:6: steps\[0\]: .*'apend'.*'append', 'overwrite'",
            id="unknown step",
        ),
        pytest.param(
            ("columns: [id, region, qty]", "columns: [id, regoin, qty]"),
            r"^\S+t\.yaml:3: columns\[1\]: dataset 'sales' has no column 'regoin'; columns: id, region",
            id="unknown column",
        ),
        pytest.param(
            ("dataset: sales", "dataset: sails"),
            r"^\S+t\.yaml:2: dataset: no dataset spec \S+sails\.yaml; datasets: .*sales",
            id="unknown dataset",
        ),
        pytest.param(
            ("mode: position, formats: [iceberg]", "mode: position"),
            r"^\S+t\.yaml:7: steps\[1\]\.step: step 1 \(delete\) cannot run on delta: "
            r"delta-rs 1\.6\.6 writes no position delete files .*; add formats: \[iceberg\] to the step$",
            id="position delete on delta",
        ),
        pytest.param(
            (
                '{step: delete, where: "qty > 50", mode: position, formats: [iceberg]}',
                "{step: rename_column, column: qty, to: n}",
            ),
            r"^\S+t\.yaml:7: steps\[1\]\.step: step 1 \(rename_column\) cannot run on delta: "
            r".*column mapping",
            id="rename on delta",
        ),
        pytest.param(
            ("{step: append, rows: 100}", "{step: append, rows: 5000}"),
            r"^\S+t\.yaml:6: steps\[0\]\.rows: the steps take 5000 rows so far; "
            r"dataset 'sales' has 4000; take fewer$",
            id="more rows than the dataset",
        ),
        pytest.param(
            ('qty > 50", mode: position', 'qty > 50", mode: equality'),
            None,
            id="equality with a key loads",
        ),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, change: tuple[str, str], expected: str | None) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    if expected is None:
        _load(tmp_path, text)
        return
    with pytest.raises(ConfigError, match=expected) as caught:
        _load(tmp_path, text)
    assert "\n" not in str(caught.value)


def test_equality_deletes_need_a_key(tmp_path: Path) -> None:
    text = GOOD.replace("key: id\n", "").replace("mode: position", "mode: equality")
    with pytest.raises(
        ConfigError, match=r"^\S+t\.yaml:6: steps\[1\]\.mode: equality deletes need the table's key"
    ):
        _load(tmp_path, text)


def test_widening_needs_a_narrow_column(tmp_path: Path) -> None:
    text = GOOD.replace(
        '{step: delete, where: "qty > 50", mode: position, formats: [iceberg]}',
        "{step: widen_column, column: id, to: bigint, formats: [iceberg]}",
    )
    with pytest.raises(
        ConfigError, match=r"^\S+t\.yaml:7: steps\[1\]\.to: column 'id' is bigint; bigint widens int"
    ):
        _load(tmp_path, text)


def test_a_dropped_column_is_gone_for_later_steps(tmp_path: Path) -> None:
    text = GOOD.replace(
        '  - {step: delete, where: "qty > 50", mode: position, formats: [iceberg]}\n',
        "  - {step: drop_column, column: qty, formats: [iceberg]}\n"
        "  - {step: rename_column, column: qty, to: n, formats: [iceberg]}\n",
    )
    with pytest.raises(
        ConfigError, match=r"^\S+t\.yaml:8: steps\[2\]\.column: column 'qty' is not a table column now"
    ):
        _load(tmp_path, text)


def test_a_predicate_on_a_column_the_table_lacks_is_refused_at_load(tmp_path: Path) -> None:
    expected = r"^\S+t\.yaml:7: steps\[1\]\.where: DuckDB cannot run this predicate .*qtty"
    with pytest.raises(ConfigError, match=expected):
        _load(tmp_path, GOOD.replace("qty > 50", "qtty > 50"))
