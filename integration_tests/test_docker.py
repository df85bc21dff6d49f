"""The image, as Airbyte runs it: files mounted in, Airbyte messages out, TikTok (the emulator) on the host.

Each test starts containers with the `docker` SDK on the host network, so the container reaches
the emulator the test runs on 127.0.0.1; config, catalog and state are files in a read-only
mount, readable by the image's non-root user. The README's own `docker run` lines run as written
at the end. Tests skip only when there is no Docker engine or the image (`IMAGE`, default
source-tiktok-organic:dev; built by .ci/build-image.sh) is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml
from airbyte_cdk.models import AirbyteMessageSerializer, Type

from integration_tests.acceptance import acceptance_emulator, pointed_at
from integration_tests.cli import HANG_SECONDS, Run, catalog_for
from integration_tests.conftest import DATASET_NOW, config_for
from integration_tests.import_audit import last_states, normalized, unimported_packages
from integration_tests.test_readme_by_hand import (
    bash_steps,
    messages_in,
    records_by_stream,
    run_steps,
    section_text,
)
from source_tiktok_organic.source import SourceTiktokOrganic
from tiktok_emulator import TikTokEmulator, generate_dataset
from tiktok_emulator.business import BusinessEmulator

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parent.parent
IMAGE = os.environ.get("IMAGE", "source-tiktok-organic:dev")
# The name the README's `docker run` commands use: no tag, so Docker reads it as :latest.
UNTAGGED = "source-tiktok-organic"
MOUNT = "/data"


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    try:
        engine = docker.from_env()
        engine.ping()
    except docker.errors.DockerException as error:
        pytest.skip(f"No Docker engine reachable: {error}")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def image(client: Any) -> Any:
    try:
        return client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"Image {IMAGE} is not built: run `bash .ci/build-image.sh`.")


@pytest.fixture
def run(client: Any, image: Any, tmp_path: Path) -> Any:
    """Runs one command in a fresh container, with its JSON files mounted read-only."""
    calls = iter(range(1_000))

    def run_command(command: str, options: dict[str, Any] | None = None, **files: Any) -> Run:
        folder = tmp_path / f"run-{next(calls)}"
        folder.mkdir()
        folder.chmod(0o755)  # the image's user (uid 1000) is not the owner of the files
        args = [command]
        for name, content in files.items():
            path = folder / f"{name}.json"
            path.write_text(json.dumps(content))
            path.chmod(0o644)
            args += [f"--{name}", f"{MOUNT}/{path.name}"]
        container = client.containers.run(
            image.id,
            args,
            volumes={str(folder): {"bind": MOUNT, "mode": "ro"}},
            network_mode="host",
            detach=True,
            **(options or {}),
        )
        try:
            returncode = container.wait(timeout=HANG_SECONDS)["StatusCode"]
            stdout = container.logs(stdout=True, stderr=False).decode()
            stderr = container.logs(stdout=False, stderr=True).decode()
        finally:
            container.remove(force=True)
        return Run.parse(returncode, stdout, stderr)

    return run_command


def metadata_data() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]


def test_the_image_is_labelled_with_the_version_of_metadata_and_pyproject(image: Any) -> None:
    labels = image.labels
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert labels["io.airbyte.version"] == metadata_data()["dockerImageTag"] == version
    assert labels["io.airbyte.name"] == metadata_data()["dockerRepository"]


def test_the_image_is_at_most_250_mib(image: Any) -> None:
    """Python and the connector's imports; it was 420 MiB with all of airbyte-cdk's requirements."""
    assert image.attrs["Size"] <= 250 * 2**20, f"{image.attrs['Size'] / 2**20:.0f} MiB"


LIST_INSTALLED = """
import importlib.metadata, sysconfig
site = sysconfig.get_paths()["purelib"]
print(*(d.name for d in importlib.metadata.distributions(path=[site])))
"""


def test_the_image_holds_none_of_the_packages_listed_as_unimported(client: Any, image: Any) -> None:
    """What the image installed, in its site-packages (the base's own packages aside)."""
    listed = {normalized(name) for name in unimported_packages()}
    installed = client.containers.run(
        image.id,
        ["-c", LIST_INSTALLED],
        entrypoint="python",
        remove=True,
    ).decode()
    names = {normalized(name) for name in installed.split()}
    assert {"airbyte-cdk", "source-tiktok-organic"} <= names
    assert not names & listed


def test_the_image_runs_as_a_non_root_user(image: Any) -> None:
    user = image.attrs["Config"]["User"]
    uid = user.split(":", 1)[0]
    assert user, "no USER: the container would run as root"
    assert uid not in {"0", "root"}
    assert re.fullmatch(r"\d+", uid), (
        f"USER {user!r}: a numeric uid keeps runAsNonRoot checks happy"
    )


def test_airbyte_entrypoint_names_the_images_entrypoint(image: Any) -> None:
    config = image.attrs["Config"]
    env = dict(entry.split("=", 1) for entry in config["Env"])
    assert env["AIRBYTE_ENTRYPOINT"] == " ".join(config["Entrypoint"])


def test_given_business_mode_then_the_image_checks_discovers_and_reads_every_business_stream(
    run: Any,
) -> None:
    catalog = json.loads(
        (ROOT / "integration_tests" / "configured_catalog_business.json").read_text()
    )
    with BusinessEmulator() as business:
        original = business.connector_config()
        check = run("check", config=original)
        config = check.latest_config(original)
        discover = run("discover", config=config)
        done = run("read", config=config, catalog=catalog)
        posts = len(business.dataset.post_times_ms)
    [status] = check.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status.name == "SUCCEEDED", check.logs()
    [discovered] = discover.of_type(Type.CATALOG)
    assert {s.name for s in discovered.catalog.streams} == {
        s["stream"]["name"] for s in catalog["streams"]
    }
    assert done.returncode == 0, done.errors() or done.stderr[-2000:]
    assert len(done.records("videos")) == len(done.records("video_stats")) == posts
    assert len(done.records("daily_metrics")) == 60
    assert done.records("audience_snapshots")
    assert all("missing_fields" in row for row in done.records("video_stats"))
    assert config["refresh_token"] != original["refresh_token"]


def test_the_untagged_name_is_the_image_just_built_as_the_readme_expects(
    client: Any, image: Any
) -> None:
    """`.ci/build-image.sh` tags :latest too, so `docker run source-tiktok-organic ...` runs it.

    The README's own `docker run --rm source-tiktok-organic spec` (run below) shows the image
    holds this checkout; the CDK's standard tests (test_standard.py) run spec, check and a
    full-refresh read in the image; the tests here add what those do not assert."""
    try:
        latest = client.images.get(f"{UNTAGGED}:latest")
    except docker.errors.ImageNotFound:
        pytest.fail(f"{UNTAGGED}:latest is missing: .ci/build-image.sh must tag it with {IMAGE}.")
    assert latest.id == image.id, (
        f"{UNTAGGED}:latest is another image than {IMAGE}: rebuild with bash .ci/build-image.sh."
    )


def run_with_config_file(client: Any, image: Any, config_file: Path, target: str, mode: str) -> Any:
    """`check` with the user's config file itself mounted into the container (no copy)."""
    container = client.containers.run(
        image.id,
        ["check", "--config", target],
        volumes={str(config_file): {"bind": target, "mode": mode}},
        network_mode="host",
        detach=True,
    )
    try:
        returncode = container.wait(timeout=HANG_SECONDS)["StatusCode"]
        stdout = container.logs(stdout=True, stderr=False).decode()
    finally:
        container.remove(force=True)
    return Run.parse(returncode, stdout, "")


@pytest.mark.parametrize("target", ["/tmp/config.json", f"{MOUNT}/config.json"])
def test_given_the_config_file_itself_bind_mounted_then_the_rotated_token_is_saved_into_it(
    client: Any, image: Any, emulator: TikTokEmulator, tmp_path: Path, target: str
) -> None:
    """A bind-mounted file cannot be renamed over (/tmp) nor replaced from a temp file beside it
    (a root-owned folder): the connector rewrites it in place instead."""
    config_file = tmp_path / "config.json"
    original = config_for(emulator)
    config_file.write_text(json.dumps(original))
    config_file.chmod(0o666)  # the container's uid 1000 does not own it

    result = run_with_config_file(client, image, config_file, target, "rw")

    assert result.returncode == 0, result.errors()
    saved = json.loads(config_file.read_text())
    assert saved["refresh_token"] != original["refresh_token"]
    assert saved == result.latest_config(original)
    assert f"Saved the rotated refresh token to {target}" in result.logs()


def test_given_a_read_only_mount_then_the_file_stays_and_the_log_says_how_to_recover(
    client: Any, image: Any, emulator: TikTokEmulator, tmp_path: Path
) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config_for(emulator)))
    config_file.chmod(0o644)
    before = config_file.read_text()

    result = run_with_config_file(client, image, config_file, f"{MOUNT}/config.json", "ro")

    assert result.returncode == 0, result.errors()
    assert config_file.read_text() == before
    assert "control.connectorConfig.config" in result.logs()
    assert result.latest_config({})["refresh_token"] != json.loads(before)["refresh_token"]


BOTH_LISTS = {"videos": "full_refresh", "video_stats": "full_refresh"}


def test_given_no_writable_folder_at_all_then_the_error_says_to_set_tmpdir(
    run: Any, emulator: TikTokEmulator
) -> None:
    result = run(
        "read", {"read_only": True}, config=config_for(emulator), catalog=catalog_for(BOTH_LISTS)
    )
    assert result.returncode == 1
    [error] = result.errors()
    assert "no usable temporary folder" in error
    assert "Set TMPDIR" in error
    assert "Traceback" not in result.stderr


def test_given_a_temporary_folder_of_8k_then_both_list_streams_read_whole(
    run: Any, emulator: TikTokEmulator
) -> None:
    """The read keeps nothing on disk: a read-only image with a tiny /tmp syncs every video."""
    options = {"read_only": True, "tmpfs": {"/tmp": "size=8k"}}
    result = run("read", options, config=config_for(emulator), catalog=catalog_for(BOTH_LISTS))
    assert result.returncode == 0, result.errors()
    every_id = sorted(video["id"] for video in emulator.dataset.videos)
    assert sorted(r["id"] for r in result.records("videos")) == every_id
    assert sorted(r["video_id"] for r in result.records("video_stats")) == every_id


# The README's "Run it as a Docker image" commands, run as written

DOCKER_SECTION = "## Run it as a Docker image"
# The README's image name is this test's image (IMAGE), whatever else :latest is on this engine.
DOCKER = (
    'docker() { local a args=(); for a in "$@"; do [ "$a" = source-tiktok-organic ] '
    '&& a="$IMAGE"; args+=("$a"); done; command docker "${args[@]}"; }\n'
)


def readme_docker_steps() -> list[str]:
    return bash_steps(section_text((ROOT / "README.md").read_text(), DOCKER_SECTION))


def is_set_up_by_the_test(step: str) -> bool:
    """The image build (the `image` fixture's) and the acceptance emulator's start."""
    return "build-image.sh" in step or "integration_tests.acceptance" in step


def test_the_readme_docker_commands_are_the_sequence_the_test_below_expects() -> None:
    steps = readme_docker_steps()
    assert any("build-image.sh" in step for step in steps)
    assert any("integration_tests.acceptance" in step for step in steps)
    runs = [step for step in steps if step.startswith("docker run")]
    commands = [next(w for w in ("spec", "check", "read") if f" {w}" in step) for step in runs]
    assert commands == ["spec", "check", "read", "read"], runs
    for step in runs[1:]:
        assert "--network host" in step, f"the emulator is on the host's loopback: {step}"
    for step in runs[1:3]:
        assert '--user "$(id -u):$(id -g)"' in step, step


@dataclass
class ReadmeRun:
    """The README's `docker run` commands as written, against one emulator: what each printed."""

    emulator: TikTokEmulator
    original: dict[str, Any]
    config_file: Path
    video_ids: set[str]
    outputs: dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def readme_run(image: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadmeRun]:
    """In a fresh folder whose `secrets/` the test's user owns (root here, as the emulator's
    folder was in the issue): each `docker run` must save the rotated token where the next one
    finds it, as every step refreshes (the emulator kills access tokens and old refresh tokens)."""
    if shutil.which("docker") is None:
        pytest.skip("No docker command on PATH.")
    work = tmp_path_factory.mktemp("readme-docker")
    secrets = work / "secrets"
    secrets.mkdir()
    config_file = secrets / "emulator_config.json"
    (work / "integration_tests").mkdir()
    shutil.copy(ROOT / "integration_tests" / "configured_catalog.json", work / "integration_tests")
    env = {**os.environ, "IMAGE": image.id}
    env.pop("SOURCE_TIKTOK_ORGANIC_SAVE_CONFIG", None)

    dataset = generate_dataset(videos=45, seed=7, now=DATASET_NOW)
    with TikTokEmulator(dataset=dataset) as emulator, acceptance_emulator(port=0) as acceptance:
        original = config_for(emulator)
        config_file.write_text(json.dumps(original))
        acceptance_config = json.loads((ROOT / "integration_tests" / "config.json").read_text())
        (work / "integration_tests" / "config.json").write_text(
            json.dumps(pointed_at(acceptance_config, acceptance.url))
        )
        steps = [step for step in readme_docker_steps() if not is_set_up_by_the_test(step)]
        outputs = {
            step: messages_in(output)
            for step, output in run_steps(steps, DOCKER, work, env, emulator.expire_access_tokens)
            if step.startswith("docker run")
        }
        video_ids = {video["id"] for video in emulator.dataset.videos}
        yield ReadmeRun(emulator, original, config_file, video_ids, outputs)


# Both tests read the one README run: keep them on one worker so it runs once.
@pytest.mark.xdist_group("docker-readme")
@pytest.mark.long_running
def test_the_readme_docker_commands_run_as_written(readme_run: ReadmeRun) -> None:
    [spec, check, read, acceptance_read] = readme_run.outputs.values()
    [spec_message] = [AirbyteMessageSerializer.load(m) for m in spec if m["type"] == "SPEC"]
    assert [m["type"] for m in spec if m["type"] != "LOG"] == ["SPEC"]
    assert spec_message.spec == SourceTiktokOrganic().spec(None), (  # type: ignore[arg-type]
        f"The image {IMAGE} holds another spec than this checkout: rebuild it "
        "(bash .ci/build-image.sh)."
    )
    assert {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}} in check
    creator = records_by_stream(read)
    assert set(creator) == {"user_info", "user_stats", "videos", "video_stats"}
    assert len(creator["videos"]) == len(readme_run.video_ids)
    saved = json.loads(readme_run.config_file.read_text())
    assert saved["refresh_token"] != readme_run.original["refresh_token"]
    assert (
        saved
        == [m for m in read if m["type"] == "CONTROL"][-1]["control"]["connectorConfig"]["config"]
    )
    assert records_by_stream(acceptance_read)["videos"]
    for messages in readme_run.outputs.values():
        warnings = [
            m["log"]["message"]
            for m in messages
            if m["type"] == "LOG" and m["log"]["level"] in ("WARN", "ERROR", "FATAL")
        ]
        assert not warnings


@pytest.mark.xdist_group("docker-readme")
@pytest.mark.long_running
def test_given_a_first_sync_of_every_stream_when_syncing_videos_with_its_state_then_only_new_come(
    readme_run: ReadmeRun, run: Any
) -> None:
    """The first sync is the README's read of every stream; the second, with its state, runs in
    a container of the `run` fixture's."""
    [_, _, first, _] = readme_run.outputs.values()
    records = records_by_stream(first)
    assert len(records["user_info"]) == 1
    assert len(records["user_stats"]) == 1
    assert {v["id"] for v in records["videos"]} == readme_run.video_ids
    assert sorted(v["video_id"] for v in records["video_stats"]) == sorted(readme_run.video_ids)
    # strict rotation: the second run works only with the token the first one saved
    rotated = json.loads(readme_run.config_file.read_text())
    assert rotated["refresh_token"] != readme_run.original["refresh_token"]

    added = readme_run.emulator.add_videos(3, newer=True)
    second = run(
        "read",
        config=rotated,
        catalog=catalog_for({"videos": "incremental"}),
        state=last_states(first),
    )
    assert second.returncode == 0, second.errors() or second.stderr[-2000:]
    newest_before = max(v["create_time"] for v in records["videos"])
    ids = {v["id"] for v in second.records("videos")}
    assert {v["id"] for v in added} <= ids
    assert all(v["create_time"] >= newest_before for v in second.records("videos"))
    assert second.states("videos")[-1]["create_time"] == max(v["create_time"] for v in added)
