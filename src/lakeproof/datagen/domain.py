"""Values a tester writes in a spec (min, max, choices) converted to Arrow scalars of a column type.

YAML gives ints, floats, dates and strings; pydantic converts them to the Python type the Arrow
type holds (so ``"2024-01-01"`` works for a date and ``0.1`` for a decimal) and Arrow then checks
the value fits the type (int32 range, decimal precision).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
from pydantic import TypeAdapter, ValidationError

from lakeproof.datagen.types import type_name

_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "int": TypeAdapter(int),
    "decimal": TypeAdapter(Decimal),
    "double": TypeAdapter(float),
    "string": TypeAdapter(str),
    "bool": TypeAdapter(bool),
    "date": TypeAdapter(dt.date),
    "timestamp": TypeAdapter(dt.datetime),
}


def _family(dtype: pa.DataType) -> str:
    if pa.types.is_integer(dtype):
        return "int"
    if pa.types.is_decimal(dtype):
        return "decimal"
    return type_name(dtype)


def to_scalar(value: object, dtype: pa.DataType) -> pa.Scalar:
    """Convert a spec value to an Arrow scalar of `dtype`, or raise ValueError saying why not."""
    adapter = _ADAPTERS.get(_family(dtype))
    if adapter is None:
        raise ValueError(f"a {type_name(dtype)} column takes no literal values")
    if pa.types.is_timestamp(dtype) and type(value) is dt.date:
        # An unquoted YAML date (2024-01-01) is a date; as a timestamp bound it means midnight.
        value = dt.datetime.combine(value, dt.time())
    try:
        python_value = adapter.validate_python(value)
        return pa.scalar(python_value, type=dtype)
    except ValidationError as error:
        problem = error.errors()[0]["msg"]
        raise ValueError(f"{value!r} is not a {type_name(dtype)} value: {problem}") from None
    except (pa.ArrowException, OverflowError):
        raise ValueError(
            f"{value!r} does not fit in {type_name(dtype)}; use a smaller value or a wider type"
        ) from None
