"""The base of every spec model."""

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """Base of all spec models: unknown fields are errors, and a loaded spec never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
