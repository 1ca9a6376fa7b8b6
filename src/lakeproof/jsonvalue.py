"""JSON-safe values: how every engine answer and the oracle's render a DuckDB value, exactly.

Decimals travel as exact strings (a JSON number would round them), non-finite doubles by name,
times in ISO 8601, so an engine's answer and the oracle's compare value for value.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

_SCALAR_JSON: tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...] = (
    (Decimal, str),  # exact, as text: a JSON number would round it
    ((datetime, date, dtime), lambda value: value.isoformat()),
    (timedelta, lambda value: value.total_seconds()),
    (bytes, bytes.hex),
    (uuid.UUID, str),
)


def json_value(value: Any) -> Any:
    """A JSON-safe value: decimals as exact strings, non-finite floats by name, times in ISO 8601."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: json_value(item) for key, item in value.items()}
    for kinds, convert in _SCALAR_JSON:
        if isinstance(value, kinds):
            return convert(value)
    return value
