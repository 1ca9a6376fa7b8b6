"""Checks of an engine's failure reason against what it must say, part by part.

A failure test asserts the specific reason: which object, which status, how many attempts, and
not "any error containing 'error'". The design asks every storage failure to name the object
(``s3://bucket/key``), the last status seen and the attempts made; each missing part is reported
on its own, so a wrong attempt count reads as such and not as a vague mismatch.

>>> reason = "failed to read s3://lake/a.csv after 4 attempts: last status 503 SlowDown"
>>> failure_problems(reason, ExpectedFailure(object="s3://lake/a.csv", status="503 SlowDown", attempts=4))
[]
>>> failure_problems(reason, ExpectedFailure(attempts=1))
['it says 4 attempts, expected 1 attempt']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTEMPTS = re.compile(r"\b(\d+) attempts?\b")


@dataclass(frozen=True)
class ExpectedFailure:
    """The parts a failure reason must contain; None means not checked."""

    object: str | None = None
    status: str | None = None
    attempts: int | None = None
    contains: str | None = None
    error_type: str | None = None


def _attempts_text(count: int) -> str:
    return f"{count} attempt{'' if count == 1 else 's'}"


def failure_problems(reason: str, expected: ExpectedFailure, error_type: str | None = None) -> list[str]:
    """What ``reason`` (and the engine's ``error_type``) lacks of ``expected``; [] when it says it all."""
    found = []
    if expected.object is not None and expected.object not in reason:
        found.append(f"it does not name the object {expected.object}")
    if expected.status is not None and not re.search(rf"(?<!\w){re.escape(expected.status)}(?!\w)", reason):
        found.append(f"it does not give the status {expected.status!r}")
    if expected.attempts is not None:
        said = [int(count) for count in _ATTEMPTS.findall(reason)]
        if expected.attempts not in said:
            says = ", ".join(_attempts_text(count) for count in said) or "no attempt count"
            found.append(f"it says {says}, expected {_attempts_text(expected.attempts)}")
    if expected.contains is not None and expected.contains not in reason:
        found.append(f"it does not say {expected.contains!r}")
    if expected.error_type is not None and error_type != expected.error_type:
        found.append(f"its type is {error_type!r}, expected {expected.error_type!r}")
    return found
