"""Engines from container images: engine definition files and a Docker backend that runs them.

Knows nothing of Robot Framework. The keyword side asks :func:`docker_unavailable_reason` first
and skips, with that reason, a test that needs a Docker engine where none answers.
"""

from lakeproof.containers.backend import (
    ContainerEngine,
    ContainerNode,
    DockerUnavailable,
    LabAccess,
    NodeAction,
    connect,
    docker_unavailable_reason,
    lab_access,
    sweep_leftovers,
)
from lakeproof.containers.definition import EngineDefinition, LoadedDefinition, load_definition

__all__ = [
    "ContainerEngine",
    "ContainerNode",
    "DockerUnavailable",
    "EngineDefinition",
    "LabAccess",
    "LoadedDefinition",
    "NodeAction",
    "connect",
    "docker_unavailable_reason",
    "lab_access",
    "load_definition",
    "sweep_leftovers",
]
