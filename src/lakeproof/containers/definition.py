"""Engine definition files: which image to run as which nodes, and how the nodes reach the lab.

A definition is YAML (an example: ``data/engines/examples/acme-engine.yaml``)::

    name: acme-engine              # names containers, networks and log files
    driver: reference              # the driver that talks to the engine once it runs
    image: ghcr.io/acme/engine:2.4.1
    pull: missing                  # pull the image when it is not local (or: never)
    start_timeout_s: 120           # every node healthy within this, or the start fails
    host_gateway: host-gateway     # what the lab's host is to a container (see below)
    storage:
      per_node_endpoints: true     # node N reads through the proxy listener named N
      shared_listener: coordinator # the listener of nodes without their own (and of all, if false)
      environment:                 # set on every node, placeholders filled in per node
        S3_ENDPOINT: "{s3_endpoint}"
        AWS_ACCESS_KEY_ID: "{access_key}"
        AWS_SECRET_ACCESS_KEY: "{secret_key}"
    roles:
      - name: coordinator          # one node: named coordinator
        ports: [{name: http, container: 8080}]
        health: {command: [CMD, curl, -fs, "http://localhost:8080/health"], interval_s: 1}
      - name: node                 # three nodes: node-1, node-2, node-3
        count: 3
        environment: {COORDINATOR_URL: "http://coordinator:8080"}

Node names: a role with ``count: 1`` names its node after itself, a larger role numbers them
(``node-1`` ...), the names the lab gives its proxy listeners, so ``per_node_endpoints`` gives
each node its own listener and a fault can be aimed at one node. Nodes reach each other by name
on the run's own network. ``{s3_endpoint}`` is ``http://lakeproof-lab:<listener port>``:
``lakeproof-lab`` is added to every container's hosts as ``host_gateway``, Docker's
``host-gateway`` by default (the host as seen from the default bridge; give an address where
that does not work). Placeholders: ``{s3_endpoint}``, ``{bucket}``, ``{prefix}``, ``{region}``,
``{access_key}``, ``{secret_key}``, ``{node}`` (the node's name) and ``{lab_host}``.

Every problem is one line naming file, line, field and the fix (``lakeproof.specfile``).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakeproof.engines.registry import driver_module
from lakeproof.errors import ConfigError
from lakeproof.specfile import FieldError, SpecModel, load_document, reject_duplicate_names

LAB_HOST = "lakeproof-lab"
"""The host name containers reach the lab under (mapped to ``host_gateway``)."""

PLACEHOLDERS = ("s3_endpoint", "bucket", "prefix", "region", "access_key", "secret_key", "node", "lab_host")

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_MAX_NODES = 16
_MAX_TIMEOUT_S = 3600.0
_MAX_PORT = 65535


def _check_placeholders(value: str) -> str:
    """``value`` if every ``{...}`` in it is a known placeholder; ValueError naming the first that is not."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:
        raise ValueError(f"{exc} in {value!r}; write a literal brace as {{{{ or }}}}") from None
    for name in fields:
        if name not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{name}}}; placeholders are: {', '.join(PLACEHOLDERS)}")
    return value


def _container_name(name: str, what: str, names: str) -> str:
    """``name`` if it can be part of container and host names; ValueError saying what it names."""
    if not _NAME.match(name):
        raise ValueError(
            f"{what} name {name!r} must be 2-32 lowercase letters, digits or '-', starting with a "
            f"letter (it names {names})"
        )
    return name


class _Environment(SpecModel):
    """Checks shared by the models with an ``environment`` map."""

    @field_validator("environment", check_fields=False)
    @classmethod
    def _known_placeholders(cls, environment: dict[str, str]) -> dict[str, str]:
        for variable, value in environment.items():
            try:
                _check_placeholders(value)
            except ValueError as exc:
                raise FieldError((variable,), str(exc)) from None
        return environment


class PortSpec(SpecModel):
    """A container port published on the host's 127.0.0.1, for the driver to reach the node."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    container: int = Field(ge=1, le=_MAX_PORT)
    host: int = Field(default=0, ge=0, le=_MAX_PORT)
    """0: a free port Docker chooses; a fixed port works for one node of the role only."""
    protocol: Literal["tcp", "udp"] = "tcp"


class HealthSpec(SpecModel):
    """A Docker health check (run inside the container); without one, a running container is ready."""

    command: tuple[str, ...] = Field(min_length=1)
    interval_s: float = Field(default=1.0, gt=0, le=_MAX_TIMEOUT_S)
    timeout_s: float = Field(default=5.0, gt=0, le=_MAX_TIMEOUT_S)
    retries: int = Field(default=3, ge=1, le=1000)
    start_period_s: float = Field(default=0.0, ge=0, le=_MAX_TIMEOUT_S)

    @field_validator("command")
    @classmethod
    def _docker_form(cls, command: tuple[str, ...]) -> tuple[str, ...]:
        if command[0] not in {"CMD", "CMD-SHELL"}:
            raise ValueError(
                f"a health command starts with CMD (then the program and its arguments) or CMD-SHELL "
                f"(then one shell line), got {command[0]!r}"
            )
        return command


class RoleSpec(_Environment):
    """Nodes of one kind: how many, and what differs between them and the image's defaults."""

    name: str
    count: int = Field(default=1, ge=1, le=_MAX_NODES)
    command: tuple[str, ...] | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    ports: tuple[PortSpec, ...] = ()
    health: HealthSpec | None = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return _container_name(name, "role", "the nodes: coordinator, node-1, ...")

    @model_validator(mode="after")
    def _ports_fit(self) -> RoleSpec:
        reject_duplicate_names([port.name for port in self.ports], "ports", "port")
        for index, port in enumerate(self.ports):
            if port.host and self.count > 1:
                raise FieldError(
                    ("ports", index, "host"),
                    f"host port {port.host} is fixed but the role has {self.count} nodes; use 0 (free port)",
                )
        return self

    @property
    def node_names(self) -> tuple[str, ...]:
        """``name`` for one node, ``name-1`` .. ``name-N`` for more."""
        if self.count == 1:
            return (self.name,)
        return tuple(f"{self.name}-{index}" for index in range(1, self.count + 1))


class StorageSpec(_Environment):
    """How nodes reach the lab's object store: through which proxy listener, told by which variables."""

    per_node_endpoints: bool = True
    shared_listener: str = "coordinator"
    environment: dict[str, str] = Field(default_factory=dict)


class EngineDefinition(SpecModel):
    """An engine started from a container image, as an engine definition file describes it."""

    name: str
    driver: str = Field(min_length=1)
    image: str = Field(min_length=1, pattern=r"^[^\s]+$")
    pull: Literal["missing", "never"] = "missing"
    start_timeout_s: float = Field(default=120.0, gt=0, le=_MAX_TIMEOUT_S)
    stop_timeout_s: float = Field(default=10.0, ge=0, le=_MAX_TIMEOUT_S)
    host_gateway: str = Field(default="host-gateway", pattern=r"^(host-gateway|[0-9a-fA-F.:]+)$")
    storage: StorageSpec = Field(default_factory=StorageSpec)
    roles: tuple[RoleSpec, ...] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return _container_name(name, "engine", "the containers and the network")

    @field_validator("driver")
    @classmethod
    def _known_driver(cls, driver: str) -> str:
        try:
            driver_module(driver)  # known by name or module path; the module is imported at launch
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return driver

    @model_validator(mode="after")
    def _nodes_are_distinct(self) -> EngineDefinition:
        reject_duplicate_names([role.name for role in self.roles], "roles", "role")
        seen: dict[str, int] = {}
        for index, role in enumerate(self.roles):
            for node in role.node_names:
                if node in seen:
                    raise FieldError(
                        ("roles", index, "name"),
                        f"node name {node!r} is also a node of roles[{seen[node]}]; rename one role",
                    )
                seen[node] = index
        if len(seen) > _MAX_NODES:
            raise FieldError(("roles",), f"{len(seen)} nodes in all; an engine runs at most {_MAX_NODES}")
        return self

    @property
    def node_names(self) -> tuple[str, ...]:
        """Every node's name, role by role."""
        return tuple(node for role in self.roles for node in role.node_names)

    def listener_of(self, node: str) -> str:
        """The proxy listener ``node`` reads through: its own with per-node endpoints, else the shared one."""
        return node if self.storage.per_node_endpoints else self.storage.shared_listener


@dataclass(frozen=True)
class LoadedDefinition:
    """A definition and the file it came from (errors and logs name the file)."""

    path: Path
    engine: EngineDefinition

    def error(self, message: str) -> str:
        """``message`` prefixed with the definition's file, for one-line errors at run time."""
        return f"{self.path}: {message}"


def load_definition(path: str | Path) -> LoadedDefinition:
    """Read and validate an engine definition file; ConfigError naming file, line and field if bad."""
    document = load_document(
        path, EngineDefinition, "engine definition", "name: ..., driver: ..., image: ..., roles: [...]"
    )
    return LoadedDefinition(document.path, document.model)
