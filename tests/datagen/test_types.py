"""Type strings: parsing, canonical spelling, DuckDB spelling, and helpful errors."""

import re

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakeproof.datagen.types import duckdb_type, is_nested, leaf_type, parse_type, type_name

SCALARS = ["int", "bigint", "double", "string", "bool", "date", "timestamp", "decimal(12,2)"]


@st.composite
def type_strings(draw: st.DrawFn, depth: int = 0) -> str:
    """Random (nested) type strings in canonical spelling."""
    if depth >= 2 or draw(st.booleans()):
        return draw(st.sampled_from(SCALARS))
    if draw(st.booleans()):
        return f"list<{draw(type_strings(depth + 1))}>"
    names = draw(
        st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True), min_size=1, max_size=3, unique=True)
    )
    return "struct<" + ",".join(f"{name}:{draw(type_strings(depth + 1))}" for name in names) + ">"


@given(type_strings())
def test_canonical_spelling_round_trips(text: str) -> None:
    assert type_name(parse_type(text)) == text


@given(type_strings())
def test_every_type_has_a_duckdb_spelling_duckdb_accepts(text: str) -> None:
    with duckdb.connect() as con:
        con.execute(f"SELECT CAST(NULL AS {duckdb_type(parse_type(text))})")


def test_spelling_is_forgiving_about_case_and_spaces() -> None:
    assert type_name(parse_type(" STRUCT< a : INT , b : List<Decimal(5, 1)> > ")) == (
        "struct<a:int,b:list<decimal(5,1)>>"
    )


def test_arrow_types() -> None:
    assert parse_type("bigint") == pa.int64()
    assert parse_type("timestamp") == pa.timestamp("us")
    assert parse_type("list<date>") == pa.list_(pa.date32())
    assert duckdb_type(parse_type("struct<a:int,b:string>")) == 'STRUCT("a" INTEGER, "b" VARCHAR)'


def test_nested_and_leaf() -> None:
    assert is_nested(parse_type("list<int>"))
    assert not is_nested(parse_type("decimal(3,1)"))
    assert leaf_type(parse_type("list<list<string>>")) == pa.string()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("strng", "unknown type 'strng'"),
        ("list<int", "unexpected end"),
        ("list<int>>", "unexpected '>'"),
        ("decimal(40,2)", "precision must be 1..38"),
        ("decimal(4,5)", "scale 0..precision"),
        ("struct<a:int,a:int>", "duplicate struct field 'a'"),
        ("struct<1:int>", "expected a field name"),
    ],
)
def test_errors_name_the_problem_and_the_valid_types(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)) as caught:
        parse_type(text)
    if "precision" not in problem:
        assert "use one of int, bigint" in str(caught.value)
