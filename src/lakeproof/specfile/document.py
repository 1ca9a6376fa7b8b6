"""Load a YAML spec file into a pydantic model, reporting any problem as ``file:line: field: reason``.

A pydantic error location (``("columns", 2, "type")``) is walked through the round-trip YAML tree
to find the line to report. The loaded document keeps that tree, so checks made after
validation (across files, say) can point at a line too.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from lakeproof.errors import ConfigError
from lakeproof.specfile.messages import Loc, Problem, first_problem

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class SpecDocument(Generic[Model]):
    """A validated spec file: its model, and where each of its fields was written."""

    path: Path
    model: Model
    tree: CommentedMap

    def line(self, loc: Loc) -> int:
        """1-based line of the field at ``loc`` (a field not written: the line of its parent)."""
        return _line_of(self.tree, loc)

    def error(self, loc: Loc, message: str) -> ConfigError:
        """A one-line error about the field at ``loc``: ``path:line: field: message``."""
        return ConfigError(f"{self.path}:{self.line(loc)}: {Problem(loc, message, others=0)}")


def load_document(
    path: str | Path,
    model: type[Model],
    kind: str,
    shape: str,
    context: dict[str, Any] | None = None,
) -> SpecDocument[Model]:
    """Read the YAML file at ``path`` and validate it as ``model``.

    ``kind`` names the file for people (``dataset spec``) and ``shape`` sketches its top level
    (``name: ..., seed: ..., columns: ...``). ``context`` is handed to pydantic validators
    (``ValidationInfo.context``) for checks that need more than the file. Raises ConfigError
    with a one-line message naming the file, line and field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read {kind} {path}: {error.strerror}; check the path") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not a text file (byte 0x{error.object[error.start]:02x} at offset {error.start} "
            f"is not UTF-8); a {kind} is a YAML file"
        ) from None
    tree = _parse_yaml(path, text)
    if not isinstance(tree, CommentedMap):
        raise ConfigError(f"{path}:1: a {kind} is a mapping ({shape})")
    try:
        return SpecDocument(path, model.model_validate(_plain(tree), context=context), tree)
    except ValidationError as error:
        problem = first_problem(error, model)
        raise ConfigError(f"{path}:{_line_of(tree, problem.loc)}: {problem}") from None


def _parse_yaml(path: Path, text: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        raise ConfigError(
            f"{path}:{line}: YAML error: {error.problem}; fix the YAML at this line "
            "(indentation, quoting, brackets, repeated keys)"
        ) from None
    except YAMLError as error:
        # Errors without a mark (a control character, say) span lines: keep the message one line.
        raise ConfigError(f"{path}: YAML error: {' '.join(str(error).split())}") from None


def _plain(node: Any) -> Any:
    """The YAML tree as plain dicts, lists and built-in scalars (ruamel wraps them for round trips)."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    for builtin in (bool, int, float, str):
        if isinstance(node, builtin):
            return builtin(node)
    return node


def _line_of(tree: CommentedMap, loc: Loc) -> int:
    """1-based line of the deepest part of `loc` present in the YAML tree (a missing field: its parent)."""
    node: Any = tree
    line = tree.lc.line
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0]
        else:
            break
        node = node[part]
    return int(line) + 1
