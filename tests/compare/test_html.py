"""The HTML fragment for Robot Framework's log."""

from __future__ import annotations

from lakeproof.compare import CompareOptions, answer_from_json, compare, comparison_html


def test_cells_and_names_are_escaped() -> None:
    columns = [{"name": "<b>name</b>", "type": "VARCHAR"}]
    expected = answer_from_json({"columns": columns, "values": [["<script>alert(1)</script>"]]})
    actual = answer_from_json({"columns": columns, "values": [["a & b"]]})

    html = comparison_html(compare(expected, actual, CompareOptions(ordered=True)))
    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;name&lt;/b&gt; (VARCHAR)" in html
    assert "a &amp; b" in html
    assert "First differing cells" in html


def test_tables_are_head_limited() -> None:
    columns = [{"name": "id", "type": "INTEGER"}]
    expected = answer_from_json({"columns": columns, "values": [[n] for n in range(57)]})
    actual = answer_from_json({"columns": columns, "values": [[n] for n in range(100, 103)]})

    html = comparison_html(compare(expected, actual), limit=20)
    assert html.startswith("<div><p")
    assert "results differ: expected 57 rows, got 3; 57 rows missing, 3 extra rows" in html
    assert "Missing rows (expected, not returned): 57" in html
    assert "... and 37 more" in html
    assert "Extra rows (returned, not expected): 3" in html
    assert html.count("<tr>") == 1 + 20 + 1 + 3  # header and rows of each table
    assert ">19</td>" in html
    assert ">20</td>" not in html


def test_equal_answers_show_only_the_verdict() -> None:
    answer = answer_from_json({"columns": [{"name": "id", "type": "INTEGER"}], "values": [[1]]})
    html = comparison_html(compare(answer, answer))
    assert "results match: 1 row, 1 column" in html
    assert "<table" not in html


def test_schema_problems_are_listed() -> None:
    expected = answer_from_json({"columns": [{"name": "a", "type": "INTEGER"}], "values": []})
    actual = answer_from_json({"columns": [{"name": "a", "type": "BIGINT"}], "values": []})
    assert "<li>column &#x27;a&#x27; is BIGINT, expected INTEGER</li>" in comparison_html(
        compare(expected, actual)
    )
