"""Value rules for comparing answers: typed normalisation, tolerant equality, sort keys, display.

Values arrive JSON-safe, so their meaning depends on the column type: ``"12.30"`` is a
decimal in a ``DECIMAL(15,2)`` column but text in a ``VARCHAR`` one, and ``"NaN"`` is a
double only in a ``DOUBLE`` column. :func:`normalizer` turns a DuckDB type name into a
function that gives each value its comparable Python form (``Decimal``, ``float``,
``int``), recursing into lists and structs; everything else is compared as sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

# Doubles this close to zero are equal whatever the relative tolerance: sums that cancel
# out leave noise like 1e-17 where the exact answer is 0.
ABSOLUTE_TOLERANCE = 1e-12

_INTEGER_TYPES = frozenset(
    {
        *("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"),
        *("UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"),
        *("INT", "INT1", "INT2", "INT4", "INT8", "INT16", "INT32", "INT64", "INT128", "LONG", "SHORT"),
    }
)
_FLOAT_TYPES = frozenset({"DOUBLE", "FLOAT", "REAL", "FLOAT4", "FLOAT8"})
_DECIMAL_TYPES = frozenset({"DECIMAL", "NUMERIC"})

# Ranks order values of different kinds in sort keys, so a key never compares across kinds.
_NULL, _BOOL, _NUMBER, _TEXT, _LIST, _STRUCT, _OTHER = range(7)
# Within numbers: -Infinity, finite, +Infinity, NaN; NaN last so it sorts (and equals) like a value.
_NEG_INF, _FINITE, _POS_INF, _NAN = range(4)

_NUMBER_TYPES = (int, float, Decimal)

Normalize = Callable[[Any], Any]


def normalizer(type_name: str) -> Normalize:
    """A function giving a JSON-safe value of DuckDB type ``type_name`` its comparable form."""
    text = type_name.strip()
    if text.endswith("]"):  # INTEGER[] (list) or INTEGER[3] (array): the element type precedes it
        element = normalizer(text[: _opening_bracket(text)])
        return lambda value: [element(item) for item in value] if isinstance(value, list) else value
    head, _, _ = text.partition("(")
    base = head.strip().upper()
    if base == "STRUCT" and text.endswith(")"):
        fields = {name: normalizer(kind) for name, kind in _struct_fields(text[len(head) + 1 : -1])}
        return lambda value: (
            {key: fields.get(key, _as_sent)(item) for key, item in value.items()}
            if isinstance(value, dict)
            else value
        )
    if base in _INTEGER_TYPES:
        return _to_int
    if base in _FLOAT_TYPES:
        return _to_float
    if base in _DECIMAL_TYPES:
        return _to_decimal
    return _as_sent


def _as_sent(value: Any) -> Any:
    return value


def _to_int(value: Any) -> Any:
    # Some engines send HUGEINT as text so JSON readers cannot round it.
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def _to_float(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str):  # "NaN", "Infinity", "-Infinity" are how JSON carries non-finite
        try:
            return float(value)
        except (ValueError, OverflowError):
            return value
    return value


def _to_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str | float):
        if isinstance(value, float) and not math.isfinite(value):
            return value
        try:
            number = Decimal(repr(value) if isinstance(value, float) else value)
        except InvalidOperation:
            return value
        # A DECIMAL is never NaN; a "NaN" here is a malformed value, kept as sent so it differs.
        return number if number.is_finite() else value
    return value


def _opening_bracket(text: str) -> int:
    """The index of the ``[`` matching the final ``]`` of ``text``."""
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        depth += {"]": 1, "[": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise ValueError(f"unbalanced brackets in type {text!r}")


def _struct_fields(body: str) -> list[tuple[str, str]]:
    """``a INTEGER, "b c" VARCHAR`` as ``[("a", "INTEGER"), ("b c", "VARCHAR")]``."""
    fields = []
    for field in _split_top_level(body):
        part = field.strip()
        if part.startswith('"'):
            end = 1
            while end < len(part) and not (part[end] == '"' and part[end + 1 : end + 2] != '"'):
                end += 2 if part[end] == '"' else 1  # "" is an escaped quote inside the name
            fields.append((part[1:end].replace('""', '"'), part[end + 1 :].strip()))
        else:
            name, _, kind = part.partition(" ")
            fields.append((name, kind.strip()))
    return fields


def _split_top_level(body: str) -> list[str]:
    """``body`` split at commas outside parentheses, brackets and quoted names."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(body):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(body[start:index])
            start = index + 1
    parts.append(body[start:])
    return [part for part in parts if part.strip()]


def _is_number(value: Any) -> bool:
    # type() lookups, not isinstance with a union: this runs for every cell of every row.
    return type(value) in _NUMBER_TYPES or (isinstance(value, _NUMBER_TYPES) and not isinstance(value, bool))


def _as_float(value: int | float | Decimal) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond double range: only its sign matters for ordering
        return math.inf if value > 0 else -math.inf


def floats_equal(left: float, right: float, tolerance: float) -> bool:
    """Equal within relative ``tolerance`` (absolute near zero); NaN equals NaN, infinities by sign."""
    if math.isnan(left) or math.isnan(right):
        return math.isnan(left) and math.isnan(right)
    if math.isinf(left) or math.isinf(right):
        return left == right
    scale = max(abs(left), abs(right))
    return abs(left - right) <= max(tolerance * scale, ABSOLUTE_TOLERANCE)


def values_equal(left: Any, right: Any, tolerance: float) -> bool:
    """Normalised values equal: doubles within tolerance, decimals and integers exactly, NULL only NULL."""
    if _is_number(left) and _is_number(right):
        if isinstance(left, float) or isinstance(right, float):
            return floats_equal(_as_float(left), _as_float(right), tolerance)
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            values_equal(a, b, tolerance) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(
            values_equal(item, right[key], tolerance) for key, item in left.items()
        )
    # NULL equals only NULL; bool is an int in Python but never equal to a number in SQL.
    return type(left) is type(right) and bool(left == right)


def rows_equal(left: tuple[Any, ...], right: tuple[Any, ...], tolerance: float) -> bool:
    """Rows of normalised values equal cell by cell under :func:`values_equal`."""
    return len(left) == len(right) and all(
        values_equal(a, b, tolerance) for a, b in zip(left, right, strict=True)
    )


def coarse_digits(tolerance: float) -> int:
    """Significant digits for coarse keys: a few fewer than the tolerance resolves."""
    if tolerance <= 0:
        return 17
    # Rounding well above the tolerance puts near-equal doubles in the same bucket unless
    # they straddle a rounding boundary.
    return max(1, min(17, int(-math.log10(tolerance)) - 3))


def value_key(value: Any, digits: int | None) -> tuple[Any, ...]:
    """A totally ordered, hashable key for a normalised value.

    With ``digits=None`` the key is exact: two values have equal keys exactly when they are
    equal with zero tolerance (``1 == 1.0 == Decimal("1.0")``, ``-0.0 == 0.0``, NaN == NaN).
    With ``digits`` set, finite numbers are rounded to that many significant digits, so
    doubles within tolerance of each other (nearly always) get the same key.
    """
    if _is_number(value):
        return _number_key(value, digits)
    if isinstance(value, list):
        return (_LIST, tuple(value_key(item, digits) for item in value))
    if isinstance(value, dict):
        return (_STRUCT, tuple(sorted((value_key(k, None), value_key(v, digits)) for k, v in value.items())))
    if value is None:
        return (_NULL,)
    if isinstance(value, bool | str):
        return (_BOOL if isinstance(value, bool) else _TEXT, value)
    return (_OTHER, type(value).__name__, repr(value))


def _number_key(value: int | float | Decimal, digits: int | None) -> tuple[Any, ...]:
    as_float = _as_float(value)
    if math.isnan(as_float):
        return (_NUMBER, _NAN, 0)
    if math.isinf(as_float) and not isinstance(value, int):
        return (_NUMBER, _POS_INF if as_float > 0 else _NEG_INF, 0)
    if digits is None:
        return (_NUMBER, _FINITE, value)
    rounded = 0.0 if abs(as_float) <= ABSOLUTE_TOLERANCE else float(f"{as_float:.{digits}g}")
    return (_NUMBER, _FINITE, rounded)


def row_key(row: tuple[Any, ...], digits: int | None) -> tuple[tuple[Any, ...], ...]:
    """The :func:`value_key` of each cell."""
    return tuple(value_key(value, digits) for value in row)


def format_value(value: Any) -> str:
    """A normalised value as a reader sees it: NULL, numbers bare, text in double quotes."""
    if isinstance(value, list):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {format_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, str):
        # Quoted, so "" and "NULL" and "0" are visibly not NULL or 0.
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return _number_text(value) if _is_number(value) else str(value)


def _number_text(value: int | float | Decimal) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return str(value)
