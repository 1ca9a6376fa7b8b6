"""Which engine to test and how to reach it: from Robot variables and/or a YAML settings file.

A settings file (``--variable ENGINE_SETTINGS:spark.yaml``) looks like::

    engine: spark
    endpoints:
      connect: sc://127.0.0.1:15002
    credentials:
      token: {env: SPARK_TOKEN}      # read from the environment, never written in the file
      password: s3cr3t                 # or given as is (keep such a file private)
    options:
      executor_memory: 1g
    known_differences: differences.yaml  # default: data/engines/<engine>/known_differences.yaml

Every part is optional. ``--variable ENGINE:name`` wins over the file's ``engine``. Credentials
are :class:`Credential` objects: their ``str`` and ``repr`` show ``***``, so a settings object
can be logged as it is; a driver calls :meth:`Credential.reveal` where it hands one to its engine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from lakeproof.errors import ConfigError
from lakeproof.specfile import FieldError, SpecModel, load_document

DEFAULT_ENGINE = "reference"
MASK = "***"
"""What logs show in place of a credential."""


@dataclass(frozen=True)
class Credential:
    """A secret value that never shows in a log, a report or a traceback."""

    value: str = field(repr=False)

    def reveal(self) -> str:
        """The secret itself: only for handing it to the engine."""
        return self.value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Credential({MASK})"


class _EnvReference(SpecModel):
    env: str = Field(min_length=1)


_CredentialValue = str | _EnvReference


class _SettingsFile(SpecModel):
    engine: str | None = Field(default=None, min_length=1)
    endpoints: dict[str, str] = Field(default_factory=dict)
    credentials: dict[str, _CredentialValue] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    known_differences: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _environment_is_set(self) -> _SettingsFile:
        for name, value in self.credentials.items():
            if isinstance(value, _EnvReference) and value.env not in os.environ:
                raise FieldError(
                    ("credentials", name, "env"),
                    f"environment variable {value.env} is not set; export it before the run",
                )
        return self


@dataclass(frozen=True)
class EngineSettings:
    """The engine under test (a name in the driver registry) and what its driver needs to reach it."""

    engine: str = DEFAULT_ENGINE
    endpoints: Mapping[str, str] = field(default_factory=dict)
    credentials: Mapping[str, Credential] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    known_differences: Path | None = None
    """The engine's known-differences file, if not the kit's ``data/engines/<engine>/`` one."""
    source: Path | None = None
    """The settings file these came from, if any (named in a driver's errors)."""

    def endpoint(self, name: str) -> str:
        """The endpoint ``name``; ConfigError naming the settings to set if it is missing."""
        if name not in self.endpoints:
            raise ConfigError(
                f"engine {self.engine!r} needs endpoint {name!r}: add 'endpoints: {{{name}: ...}}' "
                f"to {self.source or 'a settings file given with --variable ENGINE_SETTINGS:path.yaml'}"
            )
        return self.endpoints[name]

    def describe(self) -> dict[str, Any]:
        """The settings as a log shows them: credentials as ``***``."""
        return {
            "engine": self.engine,
            "settings file": str(self.source) if self.source else "none",
            **{f"endpoint {name}": url for name, url in self.endpoints.items()},
            **{f"credential {name}": MASK for name in self.credentials},
            **{f"option {name}": value for name, value in self.options.items()},
            **({"known differences": str(self.known_differences)} if self.known_differences else {}),
        }


def load_engine_settings(engine: str | None = None, path: str | Path | None = None) -> EngineSettings:
    """Settings for ``engine`` (None: the file's, else ``reference``) read from the YAML file at ``path``.

    Raises ConfigError naming the file, line and field of the first problem.
    """
    if engine is not None and not engine.strip():
        raise ConfigError("ENGINE is empty; give a driver name, e.g. --variable ENGINE:reference")
    if path is None or str(path) == "":
        return EngineSettings(engine=(engine or DEFAULT_ENGINE).strip())
    document = load_document(
        path,
        _SettingsFile,
        "engine settings file",
        "engine: ..., endpoints: {...}, credentials: {...}, options: {...}, known_differences: path",
    )
    model = document.model
    credentials = {
        name: Credential(os.environ[value.env] if isinstance(value, _EnvReference) else value)
        for name, value in model.credentials.items()
    }
    return EngineSettings(
        engine=(engine or model.engine or DEFAULT_ENGINE).strip(),
        endpoints=dict(model.endpoints),
        credentials=credentials,
        options=dict(model.options),
        # A relative path is the settings file's neighbour, wherever robot runs from.
        known_differences=Path(path).parent / model.known_differences if model.known_differences else None,
        source=Path(path),
    )
