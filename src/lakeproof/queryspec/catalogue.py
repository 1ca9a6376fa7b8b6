"""Load query spec files into cases ready to run: defaults applied, names checked across files."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from lakeproof.datagen import Format, Manifest, load_spec
from lakeproof.errors import ConfigError
from lakeproof.queryspec.model import (
    DATASETS_CONTEXT,
    SCAN,
    TAG,
    ExpectedError,
    ExpectedTable,
    Pragma,
    QuerySpecFile,
    ScanSpec,
)
from lakeproof.specfile import SpecDocument, load_document


@dataclass(frozen=True)
class SpecCase:
    """One case as it runs: the file's defaults applied, tags merged, formats resolved."""

    area: str
    """The spec file's name without ``.yaml`` (``aggregates``): a tag of every case in it."""
    name: str
    description: str
    dataset: str
    query: str
    formats: tuple[Format, ...]
    ordered: bool
    tolerance: float
    expected: ExpectedTable | None
    error: ExpectedError | None
    """The refusal the query must get instead of an answer."""
    scan: ScanSpec
    """How ``{scan}`` reads the dataset (columns declared or sniffed, extra options)."""
    tags: tuple[str, ...]
    pragma: Pragma
    source: str
    """Where the case is written: ``data/specs/aggregates.yaml:12``."""

    def dataset_scan(self, manifest: Manifest, fmt: Format) -> str:
        """The table function call reading the case's dataset in ``fmt`` as its ``scan`` says."""
        return manifest.duckdb_scan(fmt, columns=self.scan.columns, options=self.scan.options)

    def query_over(self, scan: str) -> str:
        """The query reading ``scan`` (a table function call such as ``read_parquet('s3://...')``)."""
        return self.query.replace(SCAN, scan)


@dataclass(frozen=True)
class Catalogue:
    """Every case of a directory of spec files, in file then case order."""

    cases: tuple[SpecCase, ...]
    areas: tuple[str, ...]

    @property
    def datasets(self) -> tuple[str, ...]:
        """The datasets the cases read, each once, in first-use order."""
        return tuple(dict.fromkeys(case.dataset for case in self.cases))


def case_named(cases: tuple[SpecCase, ...], name: str) -> SpecCase:
    """The case called ``name``; ConfigError listing the cases there are if none is."""
    for case in cases:
        if case.name == name:
            return case
    where = cases[0].source.rpartition(":")[0] if cases else "the spec file"
    known = "; ".join(case.name for case in cases)
    raise ConfigError(f"no case named {name!r} in {where}; its cases: {known}")


class DatasetFormats(Mapping[str, tuple[Format, ...]]):
    """The formats of each dataset spec in a directory, by name; a spec is read when first asked for.

    Only the datasets the query specs name are read, so a spec file of another dataset is
    never a reason for a query spec to fail.
    """

    def __init__(self, datasets_dir: Path):
        self._paths = {path.stem: path for path in sorted(datasets_dir.glob("*.yaml"))}
        self._formats: dict[str, tuple[Format, ...]] = {}

    def __getitem__(self, name: str) -> tuple[Format, ...]:
        if name not in self._formats:
            self._formats[name] = load_spec(self._paths[name]).formats
        return self._formats[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def dataset_formats(datasets_dir: Path) -> DatasetFormats:
    """The formats of the dataset specs in ``datasets_dir``, by dataset name."""
    return DatasetFormats(datasets_dir)


def load_spec_file(
    path: str | Path, datasets_dir: Path, datasets: Mapping[str, tuple[Format, ...]] | None = None
) -> tuple[SpecCase, ...]:
    """The cases of the query spec file at ``path``; its dataset must be a spec in ``datasets_dir``.

    ``datasets`` (from `dataset_formats`) saves reading the dataset specs again for every file.
    Raises ConfigError with one line naming the file, line and field of the first problem.
    """
    known = datasets if datasets is not None else dataset_formats(datasets_dir)
    return _cases(_load(Path(path), known), known)


def load_catalogue(specs_dir: Path, datasets_dir: Path) -> Catalogue:
    """Every case of every ``*.yaml`` file in ``specs_dir``; case names must be unique across files.

    Raises ConfigError with one line naming the file, line and field of the first problem.
    """
    paths = sorted(specs_dir.glob("*.yaml"))
    if not paths:
        raise ConfigError(f"no query spec files (*.yaml) in {specs_dir}; check the directory")
    datasets = dataset_formats(datasets_dir)
    cases: list[SpecCase] = []
    first_seen: dict[str, str] = {}
    for path in paths:
        document = _load(path, datasets)
        for index, case in enumerate(document.model.cases):
            if case.name in first_seen:
                raise document.error(
                    ("cases", index, "name"),
                    f"case name {case.name!r} is already used at {first_seen[case.name]}; "
                    "test names must be unique, rename one",
                )
            first_seen[case.name] = f"{path}:{document.line(('cases', index, 'name'))}"
        cases.extend(_cases(document, datasets))
    return Catalogue(tuple(cases), tuple(path.stem for path in paths))


def _load(path: Path, datasets: Mapping[str, tuple[Format, ...]]) -> SpecDocument[QuerySpecFile]:
    if not re.match(TAG, path.stem):
        # The file name is the area, a tag of every case in it.
        raise ConfigError(f"{path}: name the file in lowercase letters, digits, - and _ (it becomes a tag)")
    shape = "description: ..., dataset: ..., cases: [...]"
    return load_document(path, QuerySpecFile, "query spec", shape, {DATASETS_CONTEXT: datasets})


def _cases(
    document: SpecDocument[QuerySpecFile], datasets: Mapping[str, tuple[Format, ...]]
) -> tuple[SpecCase, ...]:
    spec, area = document.model, document.path.stem
    return tuple(
        SpecCase(
            area=area,
            name=case.name,
            description=case.description,
            dataset=spec.dataset,
            query=case.query.strip(),
            formats=case.formats or spec.formats or datasets[spec.dataset],
            ordered=case.ordered,
            tolerance=case.tolerance,
            expected=case.expected,
            error=case.error,
            scan=case.scan or spec.scan,
            tags=tuple(dict.fromkeys((area, *spec.tags, *case.tags))),
            pragma={**spec.pragma, **case.pragma},
            source=f"{document.path}:{document.line(('cases', index))}",
        )
        for index, case in enumerate(spec.cases)
    )
