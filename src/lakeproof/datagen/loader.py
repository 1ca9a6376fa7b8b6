"""Load a dataset spec from YAML, reporting any problem as one ``file:line: field: what to do`` line.

ruamel.yaml's round-trip loader remembers the line of every key and list item; a pydantic error
location (``("columns", 2, "type")``) is walked through that tree to find the line to report.
"""

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from lakeproof.datagen.messages import Loc, first_problem
from lakeproof.datagen.spec import DatasetSpec
from lakeproof.errors import ConfigError


def load_spec(path: str | Path) -> DatasetSpec:
    """Read and validate the dataset spec at `path`.

    Raises ConfigError with a one-line message naming the file, line and field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read dataset spec {path}: {error.strerror}; check the path") from None
    tree = _parse_yaml(path, text)
    if not isinstance(tree, CommentedMap):
        raise ConfigError(f"{path}:1: a dataset spec is a mapping (name: ..., seed: ..., columns: ...)")
    try:
        return DatasetSpec.model_validate(_plain(tree))
    except ValidationError as error:
        problem = first_problem(error, DatasetSpec)
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
        raise ConfigError(f"{path}: YAML error: {error}") from None


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
