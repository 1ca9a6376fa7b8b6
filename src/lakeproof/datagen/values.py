"""Random column values, vectorised with NumPy and assembled as Arrow arrays.

Nothing here loops over rows in Python: integers, dates and timestamps are NumPy integer draws
viewed as Arrow types, decimals are unscaled integers viewed as decimal128, and strings are
indices into a vocabulary materialised with Arrow's ``take``.

Defaults when a column gives no min/max (documented for testers in the package docstring):
int ±1,000,000; bigint ±10^12; double ±10^6; decimal(p,s) ±min(10^(p-s), 10^6) less one unit;
date 1970-01-01..2037-12-31; timestamp 2000-01-01..2037-12-31 (microseconds); strings from a
vocabulary of 1,000 distinct words; lists of 0..4 items; struct fields use their type's defaults.
"""

import datetime as dt
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakeproof.datagen.domain import to_scalar
from lakeproof.datagen.spec import DEFAULT_CARDINALITY, DEFAULT_MAX_ITEMS, ColumnSpec
from lakeproof.datagen.streams import Streams
from lakeproof.datagen.types import exact_decimals, type_name

EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)
_INT64 = np.iinfo(np.int64)

# Default (min, max) per type family when a column sets neither.
_DEFAULT_BOUNDS: dict[str, tuple[object, object]] = {
    "int": (-1_000_000, 1_000_000),
    "bigint": (-(10**12), 10**12),
    "double": (-1e6, 1e6),
    "date": (dt.date(1970, 1, 1), dt.date(2037, 12, 31)),
    "timestamp": (dt.datetime(2000, 1, 1), dt.datetime(2037, 12, 31, 23, 59, 59, 999999)),
}
_DECIMAL_DEFAULT_MAGNITUDE = Decimal(10) ** 6
# Random words: a few random letters plus the word's index, so a vocabulary has exactly
# `cardinality` distinct values whatever the draw.
_WORD_LETTERS = (2, 8)


def random_array(dtype: pa.DataType, column: ColumnSpec, rows: int, streams: Streams) -> pa.Array:
    """`rows` random values of `dtype`, drawn as `column`'s options say (no NULLs, no edge values)."""
    if pa.types.is_list(dtype):
        return _random_list(dtype, column, rows, streams)
    if pa.types.is_struct(dtype):
        children = [
            random_array(
                field.type,
                ColumnSpec(name=field.name, type=type_name(field.type)),
                rows,
                streams.child(field.name),
            )
            for field in dtype
        ]
        return pa.StructArray.from_arrays(children, fields=list(dtype))
    return _random_scalar(dtype, column, rows, streams.rng("values"))


def _random_scalar(dtype: pa.DataType, column: ColumnSpec, rows: int, rng: np.random.Generator) -> pa.Array:
    if column.choices is not None:
        vocabulary = pa.array([to_scalar(choice, dtype).as_py() for choice in column.choices], type=dtype)
        return vocabulary.take(rng.integers(0, len(vocabulary), size=rows))
    if pa.types.is_string(dtype):
        count = column.cardinality or DEFAULT_CARDINALITY
        vocabulary = _words(rng, count) if column.length is None else _long_words(rng, count, column.length)
        return vocabulary.take(rng.integers(0, len(vocabulary), size=rows))
    if pa.types.is_boolean(dtype):
        return pa.array(rng.random(rows) < 0.5)
    low, high = _bounds(dtype, column)
    if pa.types.is_floating(dtype):
        return pa.array(rng.uniform(low.as_py(), high.as_py(), size=rows), type=dtype)
    return _random_integral(dtype, rng, low.as_py(), high.as_py(), rows)


def _random_list(dtype: pa.DataType, column: ColumnSpec, rows: int, streams: Streams) -> pa.Array:
    max_items = DEFAULT_MAX_ITEMS if column.max_items is None else column.max_items
    lengths = streams.rng("lengths").integers(0, max_items, size=rows, endpoint=True, dtype=np.int32)
    offsets = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    items = random_array(dtype.value_type, column, int(offsets[-1]), streams.child("item"))
    return pa.ListArray.from_arrays(pa.array(offsets), items, type=dtype)


def _random_integral(
    dtype: pa.DataType, rng: np.random.Generator, low: object, high: object, rows: int
) -> pa.Array:
    """Types stored as integers: ints, decimals (unscaled), dates (days), timestamps (microseconds)."""
    # Random decimals are drawn within int64 unscaled values; edge values carry the extremes.
    lo = max(_storage_int(low, dtype), _INT64.min)
    hi = min(_storage_int(high, dtype), _INT64.max)
    storage = np.int32 if dtype.bit_width == 32 else np.int64
    draws = pa.array(rng.integers(lo, hi, size=rows, endpoint=True, dtype=storage))
    if pa.types.is_decimal(dtype):
        # decimal128(38, 0) has the same buffers as any decimal128: a view rescales for free.
        return draws.cast(pa.decimal128(38, 0)).view(dtype)
    return draws.view(dtype)


def _storage_int(value: object, dtype: pa.DataType) -> int:
    """The integer Arrow stores for `value` in an integer-backed type."""
    if isinstance(value, Decimal):
        with exact_decimals():
            return int(value.scaleb(dtype.scale))
    if isinstance(value, dt.datetime):
        return (value - EPOCH) // _MICROSECOND
    if isinstance(value, dt.date):
        return (value - EPOCH.date()).days
    if isinstance(value, int):
        return value
    raise TypeError(f"{value!r} is not a bound of {type_name(dtype)}")


def _bounds(dtype: pa.DataType, column: ColumnSpec) -> tuple[pa.Scalar, pa.Scalar]:
    """(min, max) as Arrow scalars: the column's own, else the type's default."""
    if pa.types.is_decimal(dtype):
        with exact_decimals():
            unit = Decimal(1).scaleb(-dtype.scale)
            magnitude = min(Decimal(10) ** (dtype.precision - dtype.scale), _DECIMAL_DEFAULT_MAGNITUDE) - unit
            default: tuple[object, object] = (-magnitude, magnitude)
    else:
        default = _DEFAULT_BOUNDS[type_name(dtype)]
    low = default[0] if column.min is None else column.min
    high = default[1] if column.max is None else column.max
    return to_scalar(low, dtype), to_scalar(high, dtype)


def _words(rng: np.random.Generator, count: int) -> pa.Array:
    """`count` distinct lowercase words, built from buffers rather than Python strings."""
    lengths = rng.integers(*_WORD_LETTERS, size=count, endpoint=True, dtype=np.int32)
    offsets = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    letters = rng.integers(ord("a"), ord("z"), size=int(offsets[-1]), endpoint=True, dtype=np.uint8)
    prefixes = pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(letters))
    return pc.binary_join_element_wise(prefixes, pa.array(np.arange(count)).cast(pa.string()), "")


def _long_words(rng: np.random.Generator, count: int, length: int) -> pa.Array:
    """`count` distinct strings of exactly `length` lowercase letters and digits: random letters
    ending in the value's zero-padded number (which keeps them distinct)."""
    digits = len(str(count - 1))
    letters = rng.integers(ord("a"), ord("z"), size=(count, length), endpoint=True, dtype=np.uint8)
    for index in range(count):
        letters[index, length - digits :] = np.frombuffer(str(index).zfill(digits).encode(), dtype=np.uint8)
    offsets = np.arange(count + 1, dtype=np.int64) * length
    text = pa.py_buffer(letters.tobytes())
    return pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), text).cast(pa.string())
