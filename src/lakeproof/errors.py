"""Errors the kit raises for a user's mistake or a failed component.

Each carries a one-line message that says what was wrong, with which value, and what to do
about it; callers (CLI, keyword libraries) show the message, never a traceback.
"""


class LakeproofError(Exception):
    """Base of every error with a user-facing one-line message."""

    # Robot Framework shows only the message, not the exception class name.
    ROBOT_SUPPRESS_NAME = True


class ConfigError(LakeproofError):
    """A malformed file, option or argument supplied by the user."""


class PortInUseError(LakeproofError):
    """A port asked for explicitly is already taken by another process."""


class ComponentStartError(LakeproofError):
    """A lab component (object store, fault proxy, ...) did not become ready."""
