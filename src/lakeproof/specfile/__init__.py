"""YAML spec files read into pydantic models, every problem reported as one line.

Dataset specs (``data/datasets``) and query specs (``data/specs``) share this: a file is parsed
with ruamel.yaml's round-trip loader (which remembers the line of every key and list item),
validated by a pydantic model, and the first problem is reported as
``path:line: field: what to do``, the field written as in YAML (``columns[2].type``).
"""

from lakeproof.specfile.document import SpecDocument, load_document
from lakeproof.specfile.messages import FieldError, Loc, Problem, first_problem, unknown_name
from lakeproof.specfile.model import SpecModel, reject_duplicate_names

__all__ = [
    "FieldError",
    "Loc",
    "Problem",
    "SpecDocument",
    "SpecModel",
    "first_problem",
    "load_document",
    "reject_duplicate_names",
    "unknown_name",
]
