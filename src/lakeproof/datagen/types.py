"""The column type vocabulary of dataset specs, mapped to Arrow and DuckDB types.

A spec spells types the way testers know them from Hive and Spark
(``int``, ``decimal(12,2)``, ``list<string>``, ``struct<a:int,b:string>``); generation works on
Arrow types, and readers that need explicit column types (CSV, NDJSON) get DuckDB's spelling.
Keeping the three spellings in one module means a new type is added in one place.
"""

import contextlib
import decimal
import re

import pyarrow as pa

TYPE_HINT = (
    "use one of int, bigint, double, decimal(p,s), string, bool, date, timestamp, list<T>, struct<name:T,...>"
)

# Timestamps are time-zone naive with microsecond precision: what DuckDB's TIMESTAMP holds, and
# wide enough (int64 microseconds) for the far dates 0001-01-01 .. 9999-12-31.
TIMESTAMP = pa.timestamp("us")

_SCALARS: dict[str, pa.DataType] = {
    "int": pa.int32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": TIMESTAMP,
}

_DUCKDB_SCALARS: dict[str, str] = {
    "int": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "string": "VARCHAR",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*|\d+)|(\S))")
MAX_DECIMAL_PRECISION = 38


def exact_decimals() -> contextlib.AbstractContextManager[decimal.Context]:
    """A decimal context wide enough that arithmetic on decimal(38,s) values never rounds."""
    return decimal.localcontext(prec=2 * MAX_DECIMAL_PRECISION)


class _Parser:
    """Recursive-descent parser over the tokens of one type string."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[str] = [word or sym for word, sym in _TOKEN.findall(text)]
        self.pos = 0

    def fail(self, problem: str) -> ValueError:
        return ValueError(f"{problem} in type {self.text!r}; {TYPE_HINT}")

    def next(self) -> str:
        if self.pos >= len(self.tokens):
            raise self.fail("unexpected end")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, symbol: str) -> None:
        token = self.next()
        if token != symbol:
            raise self.fail(f"expected {symbol!r} but found {token!r}")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def number(self) -> int:
        token = self.next()
        if not token.isdigit():
            raise self.fail(f"expected a number but found {token!r}")
        return int(token)

    def parse_type(self) -> pa.DataType:
        word = self.next()
        name = word.lower()
        if name in _SCALARS:
            return _SCALARS[name]
        if name == "decimal":
            return self.decimal()
        if name == "list":
            self.expect("<")
            item = self.parse_type()
            self.expect(">")
            return pa.list_(item)
        if name == "struct":
            return self.struct()
        raise ValueError(f"unknown type {self.text!r}; {TYPE_HINT}")

    def decimal(self) -> pa.DataType:
        self.expect("(")
        precision = self.number()
        self.expect(",")
        scale = self.number()
        self.expect(")")
        if not 1 <= precision <= MAX_DECIMAL_PRECISION or scale > precision:
            raise ValueError(
                f"decimal({precision},{scale}) is out of range in type {self.text!r}; "
                f"precision must be 1..{MAX_DECIMAL_PRECISION} and scale 0..precision"
            )
        return pa.decimal128(precision, scale)

    def struct(self) -> pa.DataType:
        self.expect("<")
        fields: list[pa.Field] = []
        while True:
            name = self.next()
            if not IDENTIFIER.fullmatch(name):
                raise self.fail(f"expected a field name but found {name!r}")
            if name in {field.name for field in fields}:
                raise self.fail(f"duplicate struct field {name!r}")
            self.expect(":")
            fields.append(pa.field(name, self.parse_type()))
            if self.next() == ">":
                return pa.struct(fields)
            self.pos -= 1
            self.expect(",")


def parse_type(text: str) -> pa.DataType:
    """Parse a spec type string such as ``list<decimal(12,2)>`` into an Arrow type.

    Raises ValueError with a message that names the problem and lists the valid types.
    """
    parser = _Parser(text)
    dtype = parser.parse_type()
    if parser.peek() is not None:
        raise parser.fail(f"unexpected {parser.peek()!r}")
    return dtype


def _scalar_name(dtype: pa.DataType) -> str | None:
    return next((name for name, scalar in _SCALARS.items() if scalar == dtype), None)


def type_name(dtype: pa.DataType) -> str:
    """The canonical spec spelling of an Arrow type (the inverse of `parse_type`)."""
    scalar = _scalar_name(dtype)
    if scalar is not None:
        return scalar
    if pa.types.is_decimal(dtype):
        return f"decimal({dtype.precision},{dtype.scale})"
    if pa.types.is_list(dtype):
        return f"list<{type_name(dtype.value_type)}>"
    if pa.types.is_struct(dtype):
        return "struct<" + ",".join(f"{f.name}:{type_name(f.type)}" for f in dtype) + ">"
    raise ValueError(f"Arrow type {dtype} has no spec spelling; {TYPE_HINT}")


def duckdb_type(dtype: pa.DataType) -> str:
    """DuckDB's spelling of an Arrow type, for explicit column lists of CSV and NDJSON readers."""
    scalar = _scalar_name(dtype)
    if scalar is not None:
        return _DUCKDB_SCALARS[scalar]
    if pa.types.is_decimal(dtype):
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    if pa.types.is_list(dtype):
        return f"{duckdb_type(dtype.value_type)}[]"
    if pa.types.is_struct(dtype):
        return "STRUCT(" + ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in dtype) + ")"
    raise ValueError(f"Arrow type {dtype} has no DuckDB spelling; {TYPE_HINT}")


def is_nested(dtype: pa.DataType) -> bool:
    """True for list and struct types, which CSV cannot carry."""
    return bool(pa.types.is_list(dtype) or pa.types.is_struct(dtype))


def leaf_type(dtype: pa.DataType) -> pa.DataType:
    """The innermost element type of (possibly nested) lists; other types are their own leaf.

    Value options of a list column (min, max, choices, cardinality) apply to this leaf.
    """
    while pa.types.is_list(dtype):
        dtype = dtype.value_type
    return dtype
