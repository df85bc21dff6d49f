"""metadata.yaml: valid for Airbyte's registry, and in step with the code, pyproject and Dockerfile.

Two upstream models read it: the CDK's lenient `MetadataFile` (what its image build and standard
tests use) and Airbyte's registry model `ConnectorMetadataDefinitionV0`, from the maintained
`airbyte-connector-models` package (no unknown keys, enums, formats). The tests below check what
the models cannot: that the file agrees with the rest of the repository. None restates a value.
"""

from __future__ import annotations

import logging
import re
import tomllib
import uuid
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from airbyte_cdk.models.connector_metadata import ConnectorLanguage, MetadataFile

from source_tiktok_organic.core.config import BASE_URL_FIELDS, connection_specification
from source_tiktok_organic.source import SourceTiktokOrganic

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yaml"


@pytest.fixture(scope="module")
def metadata() -> dict[str, Any]:
    return yaml.safe_load(METADATA.read_text())


@pytest.fixture(scope="module")
def data(metadata: dict[str, Any]) -> dict[str, Any]:
    return metadata["data"]


def dockerfile_labels() -> dict[str, str]:
    return dict(re.findall(r"^LABEL\s+(io\.airbyte\.\w+)=(\S+)\s*$", _dockerfile(), re.M))


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def project() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_given_metadata_yaml_then_the_cdks_model_accepts_it() -> None:
    parsed = MetadataFile.from_file(METADATA)
    assert parsed.data.language == ConnectorLanguage.PYTHON
    assert parsed.data.connectorBuildOptions is not None


def test_given_metadata_yaml_then_airbytes_registry_model_accepts_it(
    metadata: dict[str, Any],
) -> None:
    registry = pytest.importorskip(
        "airbyte_connector_models.metadata.v0.connector_metadata_definition_v0"
    )
    registry.ConnectorMetadataDefinitionV0.model_validate(metadata)


def test_the_names_are_the_packages(data: dict[str, Any]) -> None:
    name = project()["name"]
    assert data["dockerRepository"].rsplit("/", 1)[-1] == name
    assert name in project()["scripts"]
    assert data["githubIssueLabel"] == name
    assert data["remoteRegistries"]["pypi"]["packageName"] == f"airbyte-{name}"


def test_the_definition_id_is_a_random_uuid(data: dict[str, Any]) -> None:
    definition_id = uuid.UUID(data["definitionId"])
    assert definition_id.version == 4
    assert str(definition_id) == data["definitionId"]


def test_the_version_is_one_in_metadata_pyproject_and_the_dockerfile_label(
    data: dict[str, Any],
) -> None:
    labels = dockerfile_labels()
    assert data["dockerImageTag"] == project()["version"] == labels["io.airbyte.version"]
    assert data["dockerRepository"] == labels["io.airbyte.name"]


def test_the_documentation_page_exists_under_the_name_the_url_gives(data: dict[str, Any]) -> None:
    slug = urlsplit(data["documentationUrl"]).path.rstrip("/").rsplit("/", 1)[-1]
    page = ROOT / "docs" / f"{slug}.md"
    assert page.is_file()
    assert f"| {data['dockerImageTag']} " in page.read_text(), "changelog lacks the version"


def test_the_spec_names_no_documentation_page_that_does_not_exist(data: dict[str, Any]) -> None:
    """The metadata's URL is where Airbyte's registry would publish the docs page; the connector is
    in none, so the spec, which every Airbyte and PyAirbyte shows, must not link there. PyAirbyte's
    model refuses a relative URL, so the repository's page cannot be named either."""
    url = SourceTiktokOrganic().spec(None).documentationUrl  # type: ignore[arg-type]
    assert url is None or (
        urlsplit(url).scheme == "https" and url.rstrip("/") != data["documentationUrl"].rstrip("/")
    )


def built_images() -> set[str]:
    """The tags .ci/build-image.sh gives the image it builds."""
    script = (ROOT / ".ci" / "build-image.sh").read_text()
    default = re.search(r'^IMAGE="\$\{IMAGE:-([^}]+)\}"', script, re.M)
    latest = re.search(r'^LATEST="([^"]+)"', script, re.M)
    assert default
    assert latest
    return {default.group(1), latest.group(1)}


def image_references(text: str) -> list[str]:
    """Every image a `docker run`, `kind load` or PyAirbyte `docker_image=` in `text` names."""
    commands = re.sub(r"\\\n\s*", " ", text)
    found = re.findall(r'docker_image="([^"]+)"', commands)
    for line in re.findall(r"(?:docker run|kind load docker-image) [^\n`]*", commands):
        found += re.findall(r"(?<![\w/.-])((?:[\w.-]+/)?source-tiktok-organic(?::[\w.-]+)?)", line)
    return found


def with_tag(image: str) -> str:
    return image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"


@pytest.mark.parametrize("page", ["README.md", "docs/tiktok-organic.md"])
def test_every_image_the_docs_run_is_one_the_build_script_tags(page: str) -> None:
    references = image_references((ROOT / page).read_text())
    assert references
    assert {with_tag(image) for image in references} <= built_images(), references


def test_the_acceptance_tests_image_is_the_one_the_build_script_tags() -> None:
    config = yaml.safe_load((ROOT / "acceptance-test-config.yml").read_text())
    assert config["connector_image"] in built_images()


def test_allowed_hosts_cover_every_host_the_connector_calls(data: dict[str, Any]) -> None:
    spec = SourceTiktokOrganic().spec(None)  # type: ignore[arg-type]
    oauth = spec.advanced_auth.oauth_config_specification.oauth_connector_input_specification
    # every account mode's default host (business mode's too: Airbyte Cloud blocks any other)
    defaults = {
        urlsplit(connection_specification()["properties"][field]["default"]).hostname
        for field in BASE_URL_FIELDS.values()
    }
    called = {*defaults, urlsplit(oauth.access_token_url).hostname}
    assert called == set(data["allowedHosts"]["hosts"])
    assert "business-api.tiktok.com" in called


def test_the_base_image_is_pinned_and_runs_the_dockerfiles_python(data: dict[str, Any]) -> None:
    base_image = data["connectorBuildOptions"]["baseImage"]
    assert re.fullmatch(
        r"docker\.io/airbyte/python-connector-base:4\.0\.\d+@sha256:[0-9a-f]{64}", base_image
    )
    # python-connector-base 4.0.x is Python 3.11, as the Dockerfile's base.
    assert re.search(r"^FROM python:3\.11-slim\b", _dockerfile(), re.M)


def test_suggested_streams_are_streams_the_source_has(data: dict[str, Any]) -> None:
    config = {"client_id": "key", "client_secret": "secret", "refresh_token": "token"}
    catalog = SourceTiktokOrganic().discover(logging.getLogger("airbyte"), config)
    names = {stream.name for stream in catalog.streams}
    assert set(data["suggestedStreams"]["streams"]) <= names


def test_the_icon_is_an_svg_the_metadata_points_at(data: dict[str, Any]) -> None:
    root = ElementTree.parse(ROOT / data["icon"]).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")
