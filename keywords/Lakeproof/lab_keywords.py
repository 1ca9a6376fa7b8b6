"""Keywords that start, stop and describe the embedded lab."""

from __future__ import annotations

import dataclasses
import sys
from datetime import timedelta

from robot.api import logger
from robot.api.types import Secret
from robot.libraries.BuiltIn import BuiltIn
from robotlibcore import keyword

from Lakeproof.context import LabContext, pabot_instance_label, robot_output_dir
from lakeproof.engines.registry import driver_launcher
from lakeproof.engines.settings import DEFAULT_ENGINE, EngineSettings, load_engine_settings
from lakeproof.errors import ConfigError
from Lakeproof.html_log import log_mapping
from lakeproof.lab import Lab, LabSettings
from lakeproof.objectstore import ExistingStore
from lakeproof.objectstore.existing import configured_bucket

ENGINE_VARIABLE = "${ENGINE}"
ENGINE_SETTINGS_VARIABLE = "${ENGINE_SETTINGS}"


def engine_settings_from_variables() -> EngineSettings:
    """The engine chosen with ``--variable ENGINE:name`` and ``--variable ENGINE_SETTINGS:file.yaml``."""
    variables = BuiltIn()
    engine = variables.get_variable_value(ENGINE_VARIABLE)
    path = variables.get_variable_value(ENGINE_SETTINGS_VARIABLE)
    return load_engine_settings(None if engine is None else str(engine), None if path is None else str(path))


def reader_names(nodes: int) -> tuple[str, ...]:
    """``coordinator`` plus ``node-1`` .. ``node-N``: one proxy listener per reader."""
    if nodes < 0:
        raise ConfigError(f"nodes must be 0 or more, got {nodes}")
    return ("coordinator", *(f"node-{index}" for index in range(1, nodes + 1)))


class LabKeywords:
    """Start and stop the object store and fault proxy."""

    def __init__(self, context: LabContext):
        self.context = context

    @keyword
    def start_lab(
        self,
        nodes: int = 3,
        bucket: str | None = None,
        cluster: bool = True,
        start_timeout: timedelta = timedelta(seconds=30),
        defects: str | None = None,
        store_endpoint: str | None = None,
        store_region: str | None = None,
        store_access_key: Secret | None = None,
        store_secret_key: Secret | None = None,
        proxy_host: str = "127.0.0.1",
    ) -> dict[str, object]:
        """Starts the embedded lab: object store, fault proxy and (by default) the engine under test.

        ``nodes`` is how many data nodes (``node-1`` .. ``node-N``) there are besides the
        ``coordinator``; each reader gets its own fault proxy listener. With ``cluster`` (the
        default) the engine under test is launched too: the one named by ``--variable ENGINE:name``
        (default ``reference``: a coordinator and one Dask worker process per data node, each
        reading through its own listener), with the endpoints, credentials and options of
        ``--variable ENGINE_SETTINGS:file.yaml`` if given. ``cluster=False`` starts only storage
        and proxy.
        Every run writes under its own unique prefix in ``bucket`` (default: the environment
        variable ``LAKEPROOF_S3_BUCKET``, else ``lake``).
        Ports are chosen free on 127.0.0.1, so parallel pabot processes never collide.
        A lab already running is stopped first. Component logs go under
        ``${OUTPUT DIR}/lab-logs/<prefix>/``.

        ``defects`` (comma-separated names; default: the variable ``${ENGINE_DEFECTS}`` if set)
        starts the reference engine with deliberate defects such as ``drop_split`` or
        ``single_attempt``, so a suite can be shown to fail on a wrong engine (the honesty tests
        do this: ``robot --variable ENGINE_DEFECTS:drop_split suites/...``). Never set it otherwise.

        ``store_endpoint`` (default: the environment variable ``LAKEPROOF_S3_ENDPOINT``) uses an
        S3 endpoint you already run, e.g. your MinIO, instead of starting one; the fault proxy
        stands in front of it as usual. Its ``bucket`` must exist. ``store_access_key`` and
        ``store_secret_key`` are ``Secret`` values (default: ``LAKEPROOF_S3_ACCESS_KEY`` and
        ``LAKEPROOF_S3_SECRET_KEY``), ``store_region`` defaults to ``LAKEPROOF_S3_REGION`` or
        ``us-east-1``. The lab writes only under its run prefix and removes that prefix when it
        stops; it never touches other keys.

        ``proxy_host`` is the address the proxy's reader listeners bind to: ``0.0.0.0`` (or the
        Docker bridge's address) lets engine nodes in containers reach them.

        Returns the lab's endpoints as a dictionary (``object_store``, ``bucket``, ``prefix``,
        ``readers``, ``proxy_control``, ``coordinator``, ``logs``). Each lab makes its own
        credentials; ``access_key`` and ``secret_key`` show as ``***`` here and in the log (use
        `Get Lab Credentials` to hand them to an engine).

        Example:
        | ${lab}=    `Start Lab`    nodes=2
        | Log    ${lab}[prefix]
        | VAR    ${key: Secret}       %{MINIO_ACCESS_KEY}
        | VAR    ${secret: Secret}    %{MINIO_SECRET_KEY}
        | `Start Lab`    store_endpoint=http://127.0.0.1:9000    bucket=team-lake
        | ...    store_access_key=${key}    store_secret_key=${secret}
        """
        self.context.stop()
        if defects is None:
            defects = BuiltIn().get_variable_value("${ENGINE_DEFECTS}", "")
        engine_defects = tuple(name.strip() for name in str(defects).split(",") if name.strip())
        engine = engine_settings_from_variables()
        launch = (
            driver_launcher(engine.engine) if cluster else None
        )  # an unknown engine fails before any start
        existing_store = ExistingStore.configured(
            store_endpoint,
            store_region,
            store_access_key.value if store_access_key else None,
            store_secret_key.value if store_secret_key else None,
        )
        settings = LabSettings(
            output_dir=robot_output_dir(),
            readers=reader_names(nodes),
            bucket=configured_bucket(bucket),
            run_label=pabot_instance_label(),
            start_timeout=start_timeout.total_seconds(),
            cluster=cluster,
            engine_defects=engine_defects,
            existing_store=existing_store,
            proxy_host=proxy_host,
        )
        if engine.engine != DEFAULT_ENGINE:  # another engine replaces the reference cluster
            settings = dataclasses.replace(settings, cluster=False)
        lab = Lab(settings).start()
        self.context.lab = lab
        self.context.engine_settings = engine
        self.context.started_by_suite = BuiltIn().get_variable_value("${SUITE NAME}")
        if launch is not None:
            try:
                self.context.driver = launch(lab, engine)
            except BaseException:
                self.context.stop()
                raise
            log_mapping("Engine under test", engine.describe())
        description = lab.describe()
        logger.info(f"Lab ready in {lab.started_in:.2f} s")
        if engine_defects:
            logger.warn(
                f"The engine runs with DELIBERATE DEFECTS {', '.join(engine_defects)}: answers will be wrong"
            )
        log_mapping("Lab endpoints", {key: value for key, value in description.items() if key != "pids"})
        return description

    @keyword
    def stop_lab(self) -> None:
        """Stops the lab: fault proxy and object store. Nothing is left running or listening.

        With an existing store (``store_endpoint`` of `Start Lab`), the objects under the run's
        prefix are deleted and everything else in the store stays.

        Safe to call when no lab runs. A lab a suite started is also stopped automatically when
        that suite ends, even if its teardown failed.

        Example:
        | Suite Teardown    `Stop Lab`
        """
        self.context.stop()

    @keyword
    def lab_should_be_running(self) -> None:
        """Fails unless a lab is running and its object store answers.

        Example:
        | `Lab Should Be Running`
        """
        lab = self.context.require_lab()
        lab.s3.client(max_attempts=1, timeout=5).head_bucket(Bucket=lab.bucket)

    @keyword
    def get_lab(self) -> Lab:
        """Returns the running lab object (for other keyword libraries that build on it)."""
        return self.context.require_lab()

    @keyword
    def get_lab_credentials(self) -> dict[str, Secret | str]:
        """Returns the lab's S3 credentials: ``access_key`` and ``secret_key`` as secrets, and ``region``.

        Every lab makes its own credentials. The keys are Robot Framework ``Secret`` objects, so
        logs and reports show them as ``<secret>``; pass ``${creds}[secret_key].value`` only to
        a keyword that configures the engine under test and does not log its arguments.

        Example:
        | ${creds}=    `Get Lab Credentials`
        | Configure My Engine    access_key=${creds}[access_key]    secret_key=${creds}[secret_key]
        """
        store = self.context.require_lab().s3
        return {
            "access_key": Secret(store.access_key),
            "secret_key": Secret(store.secret_key),
            "region": store.region,
        }

    @keyword
    def get_lakeproof_command(self) -> list[str]:
        """Returns the command line of the ``lakeproof`` tool, run by this Robot Framework's Python.

        Plain ``.venv/bin/robot`` does not put the virtualenv on ``PATH``, so ``lakeproof`` alone
        may not be found; this command always runs the installed one.

        Example:
        | @{lakeproof}=    `Get Lakeproof Command`
        | ${result}=    Run Process    @{lakeproof}    datagen    --help
        """
        return [sys.executable, "-m", "lakeproof.cli"]

    @keyword
    def get_run_prefix(self) -> str:
        """Returns the key prefix this lab writes every object under (unique per run).

        Example:
        | ${prefix}=    `Get Run Prefix`
        """
        return self.context.require_lab().prefix

    @keyword
    def get_reader_endpoint(self, reader: str = "coordinator") -> str:
        """Returns the S3 endpoint URL that ``reader`` uses: its fault proxy listener.

        Example:
        | ${url}=    `Get Reader Endpoint`    node-1
        """
        return self.context.require_lab().reader_endpoint(reader).url
