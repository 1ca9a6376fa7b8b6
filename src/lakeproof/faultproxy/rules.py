"""Fault rules: which requests a rule selects, what it does to them, and why a rule is rejected.

A rule is validated once, when it is added; a bad rule is refused with one readable sentence
naming the bad value and the allowed values (never a pydantic dump), because the person reading
it is writing a Robot Framework suite, not Python.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from lakeproof.errors import ConfigError
from lakeproof.faultproxy.names import ACTIONS, ERROR_ACTIONS, OPERATIONS, Action, Operation

DEFAULT_HANG_SECONDS = 300.0
"""How long ``hang`` holds a request when the rule gives no ``hang_seconds``: never forever."""
MAX_WAIT_SECONDS = 3600
"""The longest ``hang`` or ``latency`` a rule may ask for: a test waiting longer is a mistake."""
MAX_RATE = 1 << 40
"""The highest ``slow_body`` rate, bytes per second: a higher one throttles nothing."""

# Action parameters each action accepts, and the ones it cannot do without.
_ACCEPTED_PARAMETERS: Mapping[Action, frozenset[str]] = {
    **{action: frozenset({"status", "message"}) for action in ERROR_ACTIONS},
    "reset_before_response": frozenset(),
    "reset_after_bytes": frozenset({"bytes"}),
    "latency": frozenset({"latency_ms"}),
    "slow_body": frozenset({"rate"}),
    "truncated_body": frozenset({"bytes"}),
    "hang": frozenset({"hang_seconds"}),
}
_REQUIRED_PARAMETERS: Mapping[Action, frozenset[str]] = {
    "reset_after_bytes": frozenset({"bytes"}),
    "truncated_body": frozenset({"bytes"}),
    "latency": frozenset({"latency_ms"}),
    "slow_body": frozenset({"rate"}),
}
_PARAMETERS = frozenset().union(*_ACCEPTED_PARAMETERS.values())

# What each field accepts, in words: the second half of every "invalid value" reason.
_ALLOWED_VALUES: Mapping[str, str] = {
    "bucket": "a bucket name",
    "key": "a glob on the object key such as '*/part-0002.parquet'",
    "listener": "a listener name",
    "prefix": "a key prefix such as 'run-42/'",
    "times": "a whole number of at least 1 (leave it out for no limit)",
    "skip": "a whole number of at least 0",
    "per_request": "a whole number of at least 1",
    "probability": "a number between 0 and 1",
    "seed": "a whole number",
    "status": "an HTTP error status between 400 and 599",
    "message": "a text",
    "bytes": "a whole number of bytes of at least 0",
    "latency_ms": f"a whole number of milliseconds from 0 to {MAX_WAIT_SECONDS * 1000} (one hour)",
    "rate": f"a whole number of bytes per second from 1 to {MAX_RATE}",
    "hang_seconds": f"a number of seconds greater than 0 and at most {MAX_WAIT_SECONDS} (one hour)",
}


class InvalidRuleError(ConfigError):
    """A fault rule that cannot be applied; the message is one readable line."""


def _known_action(value: object) -> object:
    if value not in ACTIONS:
        raise ValueError(f"unknown fault action {value!r}; use one of: {', '.join(ACTIONS)}")
    return value


def _known_operations(value: object) -> object:
    """Accept one operation name or a list of them, in any letter case; None means any."""
    if value is None:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not names:
        raise ValueError(
            f"invalid operation {value!r}; use an operation name or a list of them: {', '.join(OPERATIONS)}"
        )
    normalised = []
    for name in names:
        upper = name.upper() if isinstance(name, str) else name
        if upper not in OPERATIONS:
            raise ValueError(f"unknown S3 operation {name!r}; use one of: {', '.join(OPERATIONS)}")
        normalised.append(upper)
    return tuple(normalised)


class FaultRule(BaseModel):
    """What a rule selects (all given fields must match), when it fires, and what it does.

    Selection: ``operation`` (one name or a list; any when left out), ``bucket`` (exact),
    ``key`` (fnmatch glob), ``listener`` (one of the proxy's listeners), ``prefix`` (the key
    must start with it: the run prefix that keeps parallel suites apart).
    Modifiers: ``skip`` lets the first N matching requests through; ``per_request`` faults only
    the first N attempts of each distinct (bucket, key, range); ``probability`` (with ``seed``)
    faults a reproducible share; ``times`` removes the rule after N faults.
    Parameters: ``status``/``message`` (error actions), ``bytes`` (reset_after_bytes,
    truncated_body), ``latency_ms`` (latency), ``rate`` (slow_body, bytes/s), ``hang_seconds``.
    Numbers are strict (``"5"`` or ``true`` is not a number) and bounded: no wait longer than
    an hour.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Annotated[Action, BeforeValidator(_known_action)]
    operation: Annotated[tuple[Operation, ...] | None, BeforeValidator(_known_operations)] = None
    bucket: str | None = None
    key: str | None = None
    listener: str | None = None
    prefix: str | None = None
    times: int | None = Field(strict=True, default=None, ge=1)
    skip: int = Field(strict=True, default=0, ge=0)
    per_request: int | None = Field(strict=True, default=None, ge=1)
    probability: float = Field(strict=True, default=1.0, ge=0.0, le=1.0)
    seed: int = Field(strict=True, default=0)
    status: int | None = Field(strict=True, default=None, ge=400, le=599)
    message: str | None = None
    bytes: int | None = Field(strict=True, default=None, ge=0)
    latency_ms: int | None = Field(strict=True, default=None, ge=0, le=MAX_WAIT_SECONDS * 1000)
    rate: int | None = Field(strict=True, default=None, ge=1, le=MAX_RATE)
    hang_seconds: float | None = Field(strict=True, default=None, gt=0, le=MAX_WAIT_SECONDS)

    @field_validator("listener")
    @classmethod
    def _listener_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        # The proxy passes its listener names as context; without it any name is accepted.
        listeners: Collection[str] | None = (info.context or {}).get("listeners")
        if value is not None and listeners is not None and value not in listeners:
            raise ValueError(f"unknown listener {value!r}; this proxy has: {', '.join(listeners)}")
        return value

    @model_validator(mode="after")
    def _parameters_fit_action(self) -> Self:
        accepted = _ACCEPTED_PARAMETERS[self.action]
        for name in sorted(_PARAMETERS & self.model_fields_set):
            if name not in accepted and getattr(self, name) is not None:
                users = ", ".join(action for action, params in _ACCEPTED_PARAMETERS.items() if name in params)
                raise ValueError(
                    f"rule field {name!r} does not apply to action {self.action!r}; it is for: {users}"
                )
        for name in sorted(_REQUIRED_PARAMETERS.get(self.action, frozenset())):
            if getattr(self, name) is None:
                raise ValueError(f"action {self.action!r} needs rule field {name!r}: {_ALLOWED_VALUES[name]}")
        return self

    @property
    def hang_limit(self) -> float:
        """Seconds a ``hang`` holds the request before closing the connection."""
        return self.hang_seconds if self.hang_seconds is not None else DEFAULT_HANG_SECONDS


def parse_rule(fields: object, listeners: Collection[str] | None = None) -> FaultRule:
    """Validate rule ``fields`` (a JSON object), raising InvalidRuleError with a readable reason.

    ``listeners``, when given, are the only names the ``listener`` field may take.
    """
    if not isinstance(fields, dict):
        raise InvalidRuleError(f"a fault rule must be a JSON object of rule fields, got {fields!r}")
    try:
        return FaultRule.model_validate(fields, context={"listeners": listeners})
    except ValidationError as exc:
        raise InvalidRuleError("; ".join(_reason(error) for error in exc.errors())) from None


def _reason(error: ErrorDetails) -> str:
    """One sentence for one validation error."""
    field = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "value_error":
        # Raised by the validators above: the sentence is already written.
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind == "extra_forbidden":
        return f"unknown rule field {field!r}; use one of: {', '.join(FaultRule.model_fields)}"
    if kind == "missing":  # only "action" is required
        return f"rule field {field!r} is required; use one of: {', '.join(ACTIONS)}"
    value: Any = error.get("input")
    allowed = _ALLOWED_VALUES.get(field.split(".")[0])
    if allowed is None:
        return f"invalid value {value!r} for rule field {field!r}: {error['msg']}"
    return f"invalid value {value!r} for rule field {field!r}; use {allowed}"
