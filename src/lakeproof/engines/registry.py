"""The drivers the kit knows, by engine name, imported only when asked for.

Each driver module has a module-level ``launch(lab, settings) -> Driver``: it connects to (or
starts) its engine, pointed at the lab's object store through the fault proxy. A driver the kit
does not ship is named by its module path (``--variable ENGINE:mycompany.lakeproof_driver``,
importable from ``PYTHONPATH`` or robot's ``--pythonpath``). Modules are imported lazily, so
the default ``reference`` driver needs nothing beyond the kit, and a driver
whose extra is not installed fails with one line naming the make target that installs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from lakeproof.engines.base import Driver
from lakeproof.engines.settings import EngineSettings
from lakeproof.errors import ConfigError

if TYPE_CHECKING:
    from lakeproof.lab import Lab

Launch = Callable[["Lab", EngineSettings], Driver]

DRIVERS: dict[str, str] = {
    "reference": "lakeproof.engines.reference",
    "spark": "lakeproof.engines.spark.driver",
}
"""Engine name -> the module holding its ``launch`` function."""

_EXTRA_HINTS: dict[str, str] = {
    "spark": "make acceptance ENGINE=spark (installs the extra '.[spark]')",
}


def driver_module(name: str) -> str:
    """The module path of engine ``name``'s driver, without importing it; ConfigError if unknown."""
    module_path = DRIVERS.get(name, name if "." in name else None)
    if module_path is None:
        raise ConfigError(
            f"unknown engine {name!r}; the drivers are: {', '.join(sorted(DRIVERS))} "
            "(or the module path of your own driver, e.g. mycompany.lakeproof_driver)"
        )
    return module_path


def driver_launcher(name: str) -> Launch:
    """The ``launch`` function of engine ``name``; ConfigError for an unknown or uninstalled driver."""
    module_path = driver_module(name)
    try:
        module = importlib.import_module(module_path)
    except ImportError as exc:
        if name not in DRIVERS:
            raise ConfigError(
                f"cannot import driver module {module_path!r}: {exc}; check PYTHONPATH"
            ) from None
        if (exc.name or "").startswith("lakeproof."):
            raise ConfigError(f"the {name} driver's module {module_path} is missing: {exc}") from None
        hint = _EXTRA_HINTS.get(name, f"pip install -e '.[{name}]'")
        raise ConfigError(
            f"the {name} driver cannot be loaded ({exc.name or exc} is not installed): run {hint}"
        ) from None
    launch = getattr(module, "launch", None)
    if not callable(launch):
        raise ConfigError(f"driver module {module_path} has no launch(lab, settings) function")
    return cast(Launch, launch)


def open_driver(name: str, lab: Lab, settings: EngineSettings) -> Driver:
    """Launch the driver of engine ``name`` against ``lab``."""
    return driver_launcher(name)(lab, settings)
