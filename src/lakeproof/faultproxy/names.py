"""The vocabulary of the fault proxy: S3 operation names and fault action names, in one place.

Suites, keywords and benchmarks read these tuples instead of repeating the names, so an action
added here shows up everywhere (and a typo in a suite is rejected with the list of valid names).
"""

from __future__ import annotations

from typing import Literal, get_args

Operation = Literal["GET", "RANGE_GET", "HEAD", "LIST", "PUT", "DELETE", "OTHER"]
"""How the proxy classifies an S3 request (see ``lakeproof.faultproxy.s3request``)."""

OPERATIONS: tuple[Operation, ...] = get_args(Operation)

Action = Literal[
    "slowdown_503",
    "internal_error_500",
    "not_found_404",
    "forbidden_403",
    "reset_before_response",
    "reset_after_bytes",
    "latency",
    "slow_body",
    "truncated_body",
    "hang",
]
"""What the proxy does to a request a rule selects."""

ACTIONS: tuple[Action, ...] = get_args(Action)

ERROR_ACTIONS: tuple[Action, ...] = ("slowdown_503", "internal_error_500", "not_found_404", "forbidden_403")
"""Actions answered by the proxy itself with an S3 error document; upstream is never contacted."""
