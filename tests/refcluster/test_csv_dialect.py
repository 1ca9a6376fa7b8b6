"""The CSV dialect a query declares, and the options nodes get for what it leaves to sniffing."""

from __future__ import annotations

from lakeproof.refcluster.schema import CsvDialect, declared_dialect, fixed_dialect, needs_dialect
from lakeproof.refcluster.sql import analyse
from lakeproof.refcluster.sql_sources import Source


def _source(call: str) -> Source:
    return analyse(f"SELECT count(*) FROM {call}").sources[0]


def test_declared_options_are_read_from_the_query() -> None:
    source = _source("read_csv('s3://l/*.csv', sep = '|', quote = '''', escape = '\\', header = false)")
    assert declared_dialect(source) == {"delim": "|", "quote": "'", "escape": "\\", "header": False}
    assert not needs_dialect(source)


def test_anything_left_out_is_sniffed_unless_auto_detect_is_off() -> None:
    assert needs_dialect(_source("read_csv('s3://l/*.csv')"))
    assert needs_dialect(_source("read_csv('s3://l/*.csv', delim = ';', quote = '\"', escape = '\"')"))
    fixed = _source("read_csv('s3://l/*.csv', auto_detect = false, delim = ';')")
    assert not needs_dialect(fixed)
    assert fixed_dialect(fixed) == CsvDialect(";", '"', '"')
    assert not needs_dialect(_source("read_json('s3://l/*.ndjson')"))


def test_nodes_get_only_what_the_query_left_to_sniffing() -> None:
    dialect = CsvDialect("\t", "'", "\\", True, ("quote", "escape", "header"))
    assert dialect.node_options() == ["quote = ''''", "escape = '\\'", "header = true"]
    assert CsvDialect(",", "", "", False, ("quote", "escape")).node_options() == ["quote = ''", "escape = ''"]
