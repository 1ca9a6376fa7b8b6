"""Edge values per type: the values readers, writers and engines most often get wrong.

Each set is fixed and documented here; `columns` mixes them into a column at its edge ratio and
makes sure every value of the set appears at least once when the dataset has enough rows.

- int / bigint: the type's minimum and maximum, 0, -1, 1.
- double: NaN, +Infinity, -Infinity, -0.0, 0.0, the largest and the most negative finite double,
  the smallest subnormal and the smallest normal positive double.
- decimal(p,s): the largest and smallest value of the precision, 0, plus and minus one unit (10^-s).
- string: '' (empty, not NULL), a space, padded text, accents (é), CJK (日本語), an emoji outside the
  Basic Multilingual Plane, the delimiters , ; | and tab, double and single quotes, a backslash,
  LF, CRLF and a lone CR inside the value and at its end, the words NULL and null, and a
  1,000-character string.
- bool: true and false.
- date: 0001-01-01 and 9999-12-31 (the range of DuckDB, Parquet DATE and ISO text), the epoch,
  the day before it, and a leap day.
- timestamp: 0001-01-01 00:00:00 and 9999-12-31 23:59:59.999999, the epoch and the microsecond
  before it.
- list<T>: an empty list and a list holding one NULL.
- struct<...>: a struct whose fields are all NULL (the struct itself is not NULL).
"""

import datetime as dt
import sys
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pyarrow as pa

from lakeproof.datagen.types import exact_decimals, type_name

_STRINGS = [
    "",
    " ",
    "  padded  ",
    "café résumé",
    "日本語",
    "duck \U0001f986",
    "a,b",
    "a;b|c\td",
    'say "hi"',
    '"',
    "it's",
    "back\\slash",
    "line1\nline2",
    "line1\r\nline2",
    "cr\ronly",
    "ends with newline\n",
    "NULL",
    "null",
    "x" * 1000,
]

_DATES = [dt.date.min, dt.date.max, dt.date(1970, 1, 1), dt.date(1969, 12, 31), dt.date(2000, 2, 29)]

_TIMESTAMPS = [
    dt.datetime.min,
    dt.datetime.max,
    dt.datetime(1970, 1, 1),
    dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
]

_DOUBLES = [
    float("nan"),
    float("inf"),
    float("-inf"),
    -0.0,
    0.0,
    sys.float_info.max,
    -sys.float_info.max,
    5e-324,
    sys.float_info.min,
]


# Edge sets that do not depend on the type's parameters, by spec type name.
_FIXED: dict[str, Sequence[object]] = {
    "double": _DOUBLES,
    "string": _STRINGS,
    "bool": [True, False],
    "date": _DATES,
    "timestamp": _TIMESTAMPS,
}


def edge_array(dtype: pa.DataType) -> pa.Array:
    """The edge values of `dtype` as an Arrow array (see the module docstring for each set)."""
    if pa.types.is_integer(dtype):
        info = np.iinfo(dtype.to_pandas_dtype())
        return pa.array([int(info.min), int(info.max), 0, -1, 1], type=dtype)
    if pa.types.is_decimal(dtype):
        with exact_decimals():
            unit = Decimal(1).scaleb(-dtype.scale)
            largest = Decimal(10) ** (dtype.precision - dtype.scale) - unit
            return pa.array([largest, -largest, Decimal(0), unit, -unit], type=dtype)
    if pa.types.is_list(dtype):
        return pa.array([[], [None]], type=dtype)
    if pa.types.is_struct(dtype):
        return pa.array([{field.name: None for field in dtype}], type=dtype)
    return pa.array(_FIXED[type_name(dtype)], type=dtype)
