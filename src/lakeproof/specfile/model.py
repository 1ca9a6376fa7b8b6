"""The base of every spec model, and the checks all spec models share."""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from lakeproof.specfile.messages import FieldError


class SpecModel(BaseModel):
    """Base of all spec models: unknown fields are errors, and a loaded spec never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def reject_duplicate_names(names: Sequence[str], field: str, what: str) -> None:
    """FieldError at the second use of a name in list ``field`` (``columns``, ``cases``), naming the first."""
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            raise FieldError(
                (field, index, "name"),
                f"duplicate {what} name {name!r} (also {field}[{seen[name]}]); rename one",
            )
        seen[name] = index
