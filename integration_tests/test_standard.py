"""The CDK's standard tests (`airbyte_cdk.test.standard_tests`), driven by acceptance-test-config.yml.

The suite finds the connector root by walking up from this file to metadata.yaml, reads its
scenarios (one per config file) from acceptance-test-config.yml, and runs each command the
file lists a config under: in-process through `SourceTiktokOrganic`, and in the image.

Three adaptations, each for a reason the suite cannot know:

* The configs name the emulators at fixed addresses (`acceptance.ACCEPTANCE_URL` and
  `BUSINESS_URL`). Two pytest workers, or two test runs on one machine, cannot all bind them, so
  each worker starts its own emulators on free ports and the scenarios' configs are aimed at
  them (`LiveConfigs`).
* The image tests use the image built by .ci/build-image.sh (`IMAGE`, default
  source-tiktok-organic:dev) instead of building one from Airbyte's Dockerfile template, which
  needs Airbyte's base image from a registry.
* Those containers join the host network (`docker run --network host`), as the emulator listens
  on the host's loopback, which a container on Docker's bridge network cannot reach.

The image tests run each container once: `spec` once for the session (the spec test, every
config-matches-spec test and the check tests' leak checks read the same output), and the image
runs another test already makes are skipped, naming it (`MADE_ELSEWHERE`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.standard_tests import ConnectorTestScenario, SourceTestSuiteBase, docker_base

from integration_tests.acceptance import serving
from source_tiktok_organic.source import SourceTiktokOrganic

IMAGE = os.environ.get("IMAGE", "source-tiktok-organic:dev")


class LiveConfigs:
    """The scenarios' config dicts: read from the files at collection, aimed at the emulator later.

    Scenarios are built before any fixture runs, so each gets the one dict of its config file,
    and `aimed_at` rewrites those dicts in place while the emulator runs. Every copy a test
    makes of a scenario is made after that, so it sees the live address.
    """

    def __init__(self) -> None:
        self._from_files: dict[Path, dict[str, Any]] = {}
        self._live: dict[Path, dict[str, Any]] = {}

    def for_file(self, path: Path) -> dict[str, Any]:
        if path not in self._live:
            self._from_files[path] = json.loads(path.read_text())
            self._live[path] = dict(self._from_files[path])
        return self._live[path]

    @contextmanager
    def aimed_at(self, aim: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Iterator[None]:
        for path, live in self._live.items():
            live.clear()
            live.update(aim(self._from_files[path]))
        try:
            yield
        finally:
            for path, live in self._live.items():
                live.clear()
                live.update(self._from_files[path])


LIVE_CONFIGS = LiveConfigs()

# The image tests whose container another test already runs and asserts the same of, by test
# and scenario, with that test.
IN_TEST_DOCKER = (
    "test_docker.py checks, discovers and reads business mode in the image; the in-process "
    "tests check business_config and hold it to the spec"
)
MADE_ELSEWHERE = {
    ("test_docker_image_build_and_discover", "config"): (
        "test_docker_image_build_and_read runs this discover in the image and requires the same "
        "non-empty catalog"
    ),
    ("test_docker_image_build_and_check", "business_config"): IN_TEST_DOCKER,
    ("test_docker_image_build_and_config_matches_spec", "business_config"): IN_TEST_DOCKER,
    ("test_docker_image_build_and_discover", "business_config"): IN_TEST_DOCKER,
}
# `docker run --rm IMAGE spec` outputs, by command: an image under a tag does not change within
# a session (the CDK's own spec cache assumes it too), so every test reads one run.
SPEC_RUNS: dict[tuple[str, ...], EntrypointOutput] = {}


def image_or_skip(image: str) -> str:
    """`image`, if it exists; skips only when there is no Docker engine or no such image."""
    if shutil.which("docker") is None:
        pytest.skip("No docker CLI on PATH: the image tests need a Docker engine.")
    probe = subprocess.run(
        ["docker", "image", "inspect", image], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        reason = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "unknown"
        pytest.skip(f"Image {image} is not available ({reason}); build it with .ci/build-image.sh.")
    return image


def is_spec_run(cmd: list[str]) -> bool:
    return cmd[:3] == ["docker", "run", "--rm"] and cmd[4:] == ["spec"]


# One worker runs the class, so its emulators start once and `spec` runs once.
@pytest.mark.xdist_group("standard")
@pytest.mark.long_running
class TestSourceTiktokOrganic(SourceTestSuiteBase):
    connector = SourceTiktokOrganic
    # The suite names a connector after its root folder, which is this checkout's folder.
    connector_name = "source-tiktok-organic"

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        root = cls.get_connector_root_dir()
        return [
            scenario
            if scenario.config_path is None
            else scenario.model_copy(
                update={"config_dict": LIVE_CONFIGS.for_file(root / scenario.config_path)}
            )
            for scenario in super().get_scenarios()
        ]

    @pytest.fixture(scope="class", autouse=True)
    def tiktok(self) -> Iterator[None]:
        with serving(port=0, business_port=0) as served, LIVE_CONFIGS.aimed_at(served.aim):
            yield

    @pytest.fixture(autouse=True)
    def not_made_twice(self, request: pytest.FixtureRequest) -> None:
        callspec = getattr(request.node, "callspec", None)
        scenario = callspec.params.get("scenario") if callspec else None
        reason = MADE_ELSEWHERE.get((request.node.originalname, getattr(scenario, "id", None)))
        if reason:
            pytest.skip(reason)

    @pytest.fixture(autouse=True)
    def containers_on_the_host_network(self, monkeypatch: pytest.MonkeyPatch) -> None:
        run_airbyte_command = docker_base.run_docker_airbyte_command

        def on_host_network(cmd: list[str], *, raise_if_errors: bool = False) -> EntrypointOutput:
            if is_spec_run(cmd) and tuple(cmd) in SPEC_RUNS:
                output = SPEC_RUNS[tuple(cmd)]
            else:
                ran = (
                    [*cmd[:2], "--network", "host", *cmd[2:]]
                    if cmd[:2] == ["docker", "run"]
                    else cmd
                )
                output = run_airbyte_command(ran, raise_if_errors=False)
                if is_spec_run(cmd):
                    SPEC_RUNS[tuple(cmd)] = output
            if raise_if_errors:
                output.raise_if_errors()
            return output

        monkeypatch.setattr(docker_base, "run_docker_airbyte_command", on_host_network)

    @pytest.fixture
    def connector_image_override(self, request: pytest.FixtureRequest) -> str:
        """`--connector-image` if given, else the locally built image; never a fresh build."""
        return image_or_skip(request.config.getoption("--connector-image") or IMAGE)

    @pytest.fixture
    def read_from_streams(
        self, request: pytest.FixtureRequest, read_from_streams: str | list[str]
    ) -> str | list[str]:
        """Reads in the image by default: the CDK makes it opt-in for live APIs, not emulators."""
        if request.config.getoption("--read-from-streams") is None:
            return "default"
        return read_from_streams

    @pytest.mark.image_tests
    def test_docker_image_spec_backward_compatibility(
        self, connector_image_override: str | None, connector_base_image_override: str | None
    ) -> None:
        """Skipped before any request: it would ask connectors.airbyte.com for the published spec.

        Tests never leave 127.0.0.1, and the connector has no published version to compare with.
        Once it is published, run the CDK's check on its own, online.
        """
        pytest.skip("Not published yet, and tests make no request beyond 127.0.0.1.")
