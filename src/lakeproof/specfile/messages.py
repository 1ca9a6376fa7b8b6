"""One-line descriptions of pydantic validation errors in a spec, in the tester's terms.

pydantic reports every problem with a location tuple and a generic message; a tester wants the
first problem, the field written as in YAML (``columns[2].type``), and what to do about it.
"""

import difflib
import types
import typing
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]

_MAX_INPUT_CHARS = 60


class FieldError(ValueError):
    """A problem with one field found by a check that looks at several fields.

    `loc` is the field's path relative to the model that raised it, e.g. ``("columns", 2, "name")``,
    so the loader can point at that field's line rather than at the whole model.
    """

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc


@dataclass(frozen=True)
class Problem:
    """The first problem of a failed validation: where it is and what to do."""

    loc: Loc
    message: str
    others: int

    @property
    def field(self) -> str:
        """The location as a tester writes it: ``columns[2].type``."""
        text = ""
        for part in self.loc:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text.lstrip(".") or "(top level)"

    def __str__(self) -> str:
        more = f" (+{self.others} more problems)" if self.others else ""
        return f"{self.field}: {self.message}{more}"


def first_problem(error: ValidationError, root: type[BaseModel]) -> Problem:
    """Describe the first error of `error`, raised while validating `root`."""
    details = _real_problems(error.errors())
    detail = _misspelt_field(details) or details[0]
    loc: Loc = tuple(detail["loc"])
    ctx = detail.get("ctx") or {}
    cause = ctx.get("error")
    kind = detail["type"]
    if isinstance(cause, FieldError):
        loc, message = loc + cause.loc, str(cause)
    elif isinstance(cause, ValueError):
        message = str(cause)
    elif kind == "extra_forbidden":
        message = _unknown_field(str(loc[-1]), _model_at(root, loc[:-1]))
    elif kind == "missing":
        message = f"required field {loc[-1]!r} is missing; add it"
    else:
        shown = repr(detail["input"])
        if len(shown) > _MAX_INPUT_CHARS:
            shown = shown[: _MAX_INPUT_CHARS - 3] + "..."
        message = f"{detail['msg']} (got {shown})"
    return Problem(loc, message, len(details) - 1)


def _real_problems(details: list[ErrorDetails]) -> list[ErrorDetails]:
    """The errors without pydantic's echoes: a tuple whose item failed also reports itself as
    too short ("at least 1 item after validation, not 0"), which is not a second problem."""
    failed = [tuple(detail["loc"]) for detail in details]
    return [
        detail
        for detail in details
        if not (
            detail["type"] == "too_short"
            and any(
                loc[: len(detail["loc"])] == tuple(detail["loc"]) and loc != tuple(detail["loc"])
                for loc in failed
            )
        )
    ]


def _misspelt_field(details: list[ErrorDetails]) -> ErrorDetails | None:
    """An unknown field that is a typo of a missing one (``colums`` for ``columns``): the real problem."""
    missing = {tuple(d["loc"]) for d in details if d["type"] == "missing"}
    for detail in details:
        loc = tuple(detail["loc"])
        if detail["type"] == "extra_forbidden" and loc:
            siblings = [str(other[-1]) for other in missing if other[:-1] == loc[:-1]]
            if difflib.get_close_matches(str(loc[-1]), siblings, n=1):
                return detail
    return None


def _unknown_field(name: str, model: type[BaseModel] | None) -> str:
    if model is None:
        return f"unknown field {name!r}; remove it"
    return unknown_name(name, list(model.model_fields), "field")


def unknown_name(name: str, allowed: list[str], what: str) -> str:
    """``unknown field 'nmae' (did you mean 'name'?); allowed fields: ...`` for a ``what`` (field, pragma)."""
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {name!r}{hint}; allowed {what}s: {', '.join(allowed)}"


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class validated at `loc` below `root` (list indexes are skipped)."""
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        model = _model_in(field.annotation) if field else None
    return model


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The model class inside an annotation such as ``tuple[ColumnSpec, ...]`` or ``SizeSkew | None``."""
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        return annotation if issubclass(annotation, BaseModel) else None
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
