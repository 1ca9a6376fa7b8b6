"""The S3A connector jars Spark needs to read ``s3a://``, from PyPI only, checked and cached in the venv.

The pyspark distribution has no S3A connector and the build machines cannot reach Maven. The
``sagemaker-pyspark`` source distribution on PyPI carries ``hadoop-aws-3.3.1.jar`` and
``aws-java-sdk-bundle-1.11.901.jar`` under ``deps/jars/``: it is downloaded (never installed: it
pins an old pyspark), the two jars are extracted and their sha256 checked against the pins below.

Run ``python -m lakeproof.engines.spark.install`` (``make venv-spark`` does); it prints the jar
folder. A second run finds the checked jars and downloads nothing.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from lakeproof.errors import ConfigError

SOURCE_DISTRIBUTION = "sagemaker-pyspark==1.4.5"
JAR_SHA256: dict[str, str] = {
    "hadoop-aws-3.3.1.jar": "6be50ad8a8b445d2802381b085b2a3ede5c29d353450a6a21f16b2fefa962b6e",
    "aws-java-sdk-bundle-1.11.901.jar": "b87175b32a16544cc1b37cf40390eb375833e62bed67f8ce6cde4b7ad6429ead",
}
"""Each jar Spark is given, with the sha256 it must have."""

JAR_DIR = Path(sys.prefix) / "share" / "lakeproof" / "spark-jars"
"""Where the checked jars are cached: inside the virtualenv, so a new venv installs them anew."""

INSTALL_HINT = "run `make venv-spark` (installs the .[spark] extra and the S3A jars)"


def sha256_of(path: Path) -> str:
    """The hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def installed_jars(jar_dir: Path = JAR_DIR) -> tuple[Path, ...]:
    """The cached jars, each checked; ConfigError naming the make target when one is missing or altered."""
    jars = []
    for name, expected in JAR_SHA256.items():
        path = jar_dir / name
        if not path.is_file():
            raise ConfigError(f"the S3A jar {path} is missing; {INSTALL_HINT}")
        if sha256_of(path) != expected:
            raise ConfigError(f"the S3A jar {path} does not have its pinned sha256; {INSTALL_HINT}")
        jars.append(path)
    return tuple(jars)


def extract_jars(archive: Path, jar_dir: Path) -> tuple[Path, ...]:
    """Extract the pinned jars from the source distribution ``archive`` into ``jar_dir``, checked."""
    jar_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        members = {Path(member.name).name: member for member in tar.getmembers() if member.isfile()}
        for name, expected in JAR_SHA256.items():
            member = members.get(name)
            if member is None:
                raise ConfigError(
                    f"{archive.name} has no {name}; the pinned {SOURCE_DISTRIBUTION} carries it"
                )
            source = tar.extractfile(member)
            if source is None:
                raise ConfigError(f"{name} in {archive.name} cannot be read")
            partial = jar_dir / f".{name}.partial"
            with source, partial.open("wb") as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
            actual = sha256_of(partial)
            if actual != expected:
                partial.unlink()
                raise ConfigError(
                    f"{name} from {SOURCE_DISTRIBUTION} has sha256 {actual}, expected {expected}"
                )
            partial.replace(jar_dir / name)
    return installed_jars(jar_dir)


def install(jar_dir: Path = JAR_DIR) -> tuple[Path, ...]:
    """The checked jars in ``jar_dir``: cached ones as they are, else downloaded from PyPI and extracted."""
    try:
        return installed_jars(jar_dir)
    except ConfigError:
        pass
    with tempfile.TemporaryDirectory(prefix="lakeproof-spark-jars-") as folder:
        download = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
        download += ["--no-deps", "--no-binary", ":all:", "--dest", folder, SOURCE_DISTRIBUTION]
        result = subprocess.run(download, capture_output=True, text=True, check=False)
        archives = sorted(Path(folder).glob("*.tar.gz"))
        if result.returncode != 0 or not archives:
            last = (result.stderr.strip().splitlines() or ["no archive downloaded"])[-1]
            raise ConfigError(f"pip could not download {SOURCE_DISTRIBUTION}: {last}")
        return extract_jars(archives[0], jar_dir)


def main() -> int:
    """Install the jars; print their folder, or one line on stderr and exit code 1."""
    try:
        jars = install()
    except ConfigError as exc:
        print(f"lakeproof: {exc}", file=sys.stderr)
        return 1
    print(jars[0].parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
