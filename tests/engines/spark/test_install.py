"""The S3A jars: extracted from the source distribution, checked against their pinned sha256, cached."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from lakeproof.engines.spark import install
from lakeproof.errors import ConfigError

JAR_BYTES = {
    "hadoop-aws-3.3.1.jar": b"hadoop aws classes",
    "aws-java-sdk-bundle-1.11.901.jar": b"sdk classes",
}


def _sdist(path: Path, jars: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in jars.items():
            member = tarfile.TarInfo(f"sagemaker_pyspark-1.4.5/deps/jars/{name}")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return path


@pytest.fixture
def pinned_to_test_jars(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pins the test jars' own digests, as the real pins are those of the real jars."""
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in JAR_BYTES.items()}
    monkeypatch.setattr(install, "JAR_SHA256", digests)


@pytest.mark.usefixtures("pinned_to_test_jars")
def test_the_jars_are_extracted_checked_and_found_again(tmp_path: Path) -> None:
    archive = _sdist(tmp_path / "sagemaker_pyspark-1.4.5.tar.gz", JAR_BYTES)
    jar_dir = tmp_path / "jars"

    jars = install.extract_jars(archive, jar_dir)

    assert [jar.name for jar in jars] == list(JAR_BYTES)
    assert [jar.read_bytes() for jar in jars] == list(JAR_BYTES.values())
    assert install.install(jar_dir) == jars  # cached: nothing downloaded


@pytest.mark.usefixtures("pinned_to_test_jars")
def test_a_jar_with_another_digest_is_refused_and_not_kept(tmp_path: Path) -> None:
    archive = _sdist(tmp_path / "s.tar.gz", {**JAR_BYTES, "hadoop-aws-3.3.1.jar": b"tampered"})
    jar_dir = tmp_path / "jars"

    with pytest.raises(ConfigError) as error:
        install.extract_jars(archive, jar_dir)

    tampered = hashlib.sha256(b"tampered").hexdigest()
    expected = hashlib.sha256(JAR_BYTES["hadoop-aws-3.3.1.jar"]).hexdigest()
    assert str(error.value) == (
        f"hadoop-aws-3.3.1.jar from sagemaker-pyspark==1.4.5 has sha256 {tampered}, expected {expected}"
    )
    assert not list(jar_dir.iterdir())


def test_missing_jars_name_the_make_target(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        install.installed_jars(tmp_path)

    assert str(error.value) == (
        f"the S3A jar {tmp_path / 'hadoop-aws-3.3.1.jar'} is missing; "
        "run `make venv-spark` (installs the .[spark] extra and the S3A jars)"
    )


def test_a_cached_jar_changed_on_disk_is_not_used(tmp_path: Path) -> None:
    for name in install.JAR_SHA256:
        (tmp_path / name).write_bytes(b"not the pinned jar")

    with pytest.raises(ConfigError, match="does not have its pinned sha256; run `make venv-spark`"):
        install.installed_jars(tmp_path)
