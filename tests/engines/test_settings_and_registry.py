"""Choosing an engine and configuring its driver: names, settings files, masked credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakeproof.engines.registry import DRIVERS, driver_launcher
from lakeproof.engines.settings import Credential, EngineSettings, load_engine_settings
from lakeproof.errors import ConfigError

SECRET = "s3cr3t-value-42"


def test_the_default_engine_is_the_reference_and_needs_no_file() -> None:
    assert load_engine_settings() == EngineSettings(engine="reference")
    assert load_engine_settings("spark", "") == EngineSettings(engine="spark")


def test_a_settings_file_gives_endpoints_credentials_and_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEPROOF_TEST_TOKEN", SECRET)
    path = tmp_path / "engine.yaml"
    path.write_text(
        "engine: spark\n"
        "endpoints: {connect: 'sc://127.0.0.1:15002'}\n"
        "credentials:\n  token: {env: LAKEPROOF_TEST_TOKEN}\n  password: plain\n"
        "options: {executor_memory: 1g, cores: 2}\n",
        encoding="utf-8",
    )
    settings = load_engine_settings(None, path)
    assert settings.engine == "spark"
    assert settings.endpoint("connect") == "sc://127.0.0.1:15002"
    assert settings.credentials["token"].reveal() == SECRET
    assert settings.credentials["password"].reveal() == "plain"
    assert settings.options == {"executor_memory": "1g", "cores": 2}
    # The variable wins over the file's engine.
    assert load_engine_settings("trino", path).engine == "trino"


def test_credentials_never_show_in_text_a_log_could_hold(tmp_path: Path) -> None:
    settings = EngineSettings(engine="x", credentials={"token": Credential(SECRET)})
    for shown in (
        str(settings),
        repr(settings),
        str(settings.describe()),
        f"{settings.credentials['token']}",
    ):
        assert SECRET not in shown
    assert settings.describe()["credential token"] == "***"


def test_a_missing_endpoint_names_the_setting_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text("engine: spark\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_engine_settings(None, path).endpoint("connect")
    assert str(caught.value) == (
        f"engine 'spark' needs endpoint 'connect': add 'endpoints: {{connect: ...}}' to {path}"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("engine: spark\nendpoint: {}\n", ":2: endpoint: unknown field"),
        ("credentials:\n  token: {env: LAKEPROOF_SURELY_UNSET}\n", ":2: credentials.token.env"),
    ],
)
def test_a_bad_settings_file_is_one_line_with_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_engine_settings(None, path)
    assert str(caught.value).startswith(f"{path}{message}")
    assert "\n" not in str(caught.value)


def test_an_unset_environment_variable_is_named(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text("credentials:\n  token: {env: LAKEPROOF_SURELY_UNSET}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="environment variable LAKEPROOF_SURELY_UNSET is not set"):
        load_engine_settings(None, path)


def test_an_unknown_engine_lists_the_drivers() -> None:
    with pytest.raises(ConfigError) as caught:
        driver_launcher("presto")
    assert str(caught.value) == (
        f"unknown engine 'presto'; the drivers are: {', '.join(sorted(DRIVERS))} "
        "(or the module path of your own driver, e.g. mycompany.lakeproof_driver)"
    )


def test_the_reference_driver_loads_and_a_module_path_names_a_driver_of_ones_own() -> None:
    assert callable(driver_launcher("reference"))
    assert callable(driver_launcher("examples.drivers.duckdb_local"))


def test_a_driver_module_that_does_not_import_is_named() -> None:
    with pytest.raises(ConfigError, match=r"^cannot import driver module 'nowhere\.driver': No module named"):
        driver_launcher("nowhere.driver")


def test_a_module_without_launch_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"^driver module lakeproof\.engines\.sql has no launch\(lab, settings\)"
    ):
        driver_launcher("lakeproof.engines.sql")


def test_a_missing_optional_extra_names_the_make_target(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pyspark(name: str) -> object:
        raise ModuleNotFoundError("No module named 'pyspark'", name="pyspark")

    monkeypatch.setattr("lakeproof.engines.registry.importlib.import_module", no_pyspark)
    with pytest.raises(ConfigError) as caught:
        driver_launcher("spark")
    assert str(caught.value) == (
        "the spark driver cannot be loaded (pyspark is not installed): "
        "run make acceptance ENGINE=spark (installs the extra '.[spark]')"
    )
