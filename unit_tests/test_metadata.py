"""metadata.yaml: valid for Airbyte's registry, and in step with pyproject.toml and the Dockerfile.

The CDK ships only a lenient `MetadataFile` model (what its image build and standard tests read),
not Airbyte's registry model `ConnectorMetadataDefinitionV0`. So the file is checked twice: with
the CDK's model, and with `METADATA_SCHEMA`, a transcription of the registry model's rules for
the fields a community source sets (required fields, enums, formats, no unknown keys).
"""

from __future__ import annotations

import re
import tomllib
import uuid
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from airbyte_cdk.models.connector_metadata import ConnectorLanguage, MetadataFile

from source_tiktok_organic.config import DEFAULT_API_BASE_URL
from source_tiktok_organic.source import SourceTiktokOrganic

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yaml"

_STRING = {"type": "string"}
_REGISTRY_OVERRIDE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["enabled"],
    "properties": {"enabled": {"type": "boolean"}, "name": _STRING},
}
METADATA_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["metadataSpecVersion", "data"],
    "properties": {
        "metadataSpecVersion": _STRING,
        "data": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "name",
                "definitionId",
                "connectorType",
                "dockerRepository",
                "dockerImageTag",
                "license",
                "documentationUrl",
                "githubIssueLabel",
                "connectorSubtype",
                "releaseStage",
            ],
            "properties": {
                "name": _STRING,
                "icon": _STRING,
                "definitionId": {"type": "string", "format": "uuid"},
                "connectorBuildOptions": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"baseImage": _STRING},
                },
                "connectorTestSuitesOptions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["suite"],
                        "properties": {
                            "suite": {
                                "enum": [
                                    "unitTests",
                                    "integrationTests",
                                    "acceptanceTests",
                                    "liveTests",
                                    "smokeTests",
                                ]
                            }
                        },
                    },
                },
                "connectorType": {"enum": ["destination", "source"]},
                "dockerRepository": _STRING,
                "dockerImageTag": _STRING,
                "license": _STRING,
                "documentationUrl": {"type": "string", "format": "uri"},
                "githubIssueLabel": _STRING,
                "releaseDate": {"type": "string", "format": "date"},
                "connectorSubtype": {
                    "enum": [
                        "api",
                        "database",
                        "datalake",
                        "file",
                        "custom",
                        "message_queue",
                        "unknown",
                        "vectorstore",
                    ]
                },
                "releaseStage": {"enum": ["alpha", "beta", "generally_available", "custom"]},
                "supportLevel": {"enum": ["community", "certified", "archived"]},
                "tags": {"type": "array", "items": _STRING},
                "registryOverrides": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"oss": _REGISTRY_OVERRIDE, "cloud": _REGISTRY_OVERRIDE},
                },
                "allowedHosts": {
                    "type": "object",
                    "properties": {"hosts": {"type": "array", "items": _STRING}},
                },
                "releases": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "rolloutConfiguration": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"enableProgressiveRollout": {"type": "boolean"}},
                        },
                        "breakingChanges": {"type": "object"},
                    },
                },
                "suggestedStreams": {
                    "type": "object",
                    "properties": {"streams": {"type": "array", "items": _STRING}},
                },
                "ab_internal": {
                    "type": "object",
                    "properties": {
                        "sl": {"enum": [0, 100, 200, 300]},
                        "ql": {"enum": [0, 100, 200, 300, 400, 500, 600]},
                    },
                },
                "remoteRegistries": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "pypi": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["enabled", "packageName"],
                            "properties": {
                                "enabled": {"type": "boolean"},
                                "packageName": _STRING,
                            },
                        }
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def metadata() -> dict[str, Any]:
    return yaml.safe_load(METADATA.read_text())


@pytest.fixture(scope="module")
def data(metadata: dict[str, Any]) -> dict[str, Any]:
    return metadata["data"]


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def dockerfile_labels() -> dict[str, str]:
    return dict(re.findall(r"^LABEL\s+(io\.airbyte\.\w+)=(\S+)\s*$", _dockerfile(), re.M))


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_given_metadata_yaml_then_the_cdks_model_accepts_it() -> None:
    parsed = MetadataFile.from_file(METADATA)
    assert parsed.data.dockerRepository == "airbyte/source-tiktok-organic"
    assert parsed.data.language == ConnectorLanguage.PYTHON
    assert parsed.data.connectorBuildOptions is not None


def test_given_metadata_yaml_then_it_follows_the_registry_models_rules(
    metadata: dict[str, Any],
) -> None:
    validator = jsonschema.Draft7Validator(
        METADATA_SCHEMA, format_checker=jsonschema.FormatChecker()
    )
    validator.validate(metadata)


def test_the_definition_id_is_a_random_uuid(data: dict[str, Any]) -> None:
    definition_id = uuid.UUID(data["definitionId"])
    assert definition_id.version == 4
    assert str(definition_id) == data["definitionId"]


def test_the_version_is_one_in_metadata_pyproject_and_the_dockerfile_label(
    data: dict[str, Any],
) -> None:
    labels = dockerfile_labels()
    assert data["dockerImageTag"] == project_version() == labels["io.airbyte.version"]
    assert data["dockerRepository"] == labels["io.airbyte.name"]


def test_a_community_source_is_described(data: dict[str, Any]) -> None:
    assert data["connectorType"] == "source"
    assert data["connectorSubtype"] == "api"
    assert data["supportLevel"] == "community"
    assert data["releaseStage"] == "alpha"
    assert data["license"] == "MIT"
    assert data["githubIssueLabel"] == "source-tiktok-organic"
    assert (
        data["documentationUrl"] == "https://docs.airbyte.com/integrations/sources/tiktok-organic"
    )
    assert {"language:python", "cdk:python"} <= set(data["tags"])
    assert data["registryOverrides"] == {"cloud": {"enabled": True}, "oss": {"enabled": True}}


def test_the_documentation_page_exists_under_the_name_the_url_gives(data: dict[str, Any]) -> None:
    slug = urlsplit(data["documentationUrl"]).path.rstrip("/").rsplit("/", 1)[-1]
    page = ROOT / "docs" / f"{slug}.md"
    assert page.is_file()
    assert f"| {data['dockerImageTag']} " in page.read_text(), "changelog lacks the version"


def test_allowed_hosts_cover_every_host_the_connector_calls(data: dict[str, Any]) -> None:
    spec = SourceTiktokOrganic().spec(None)  # type: ignore[arg-type]
    oauth = spec.advanced_auth.oauth_config_specification.oauth_connector_input_specification
    called = {urlsplit(DEFAULT_API_BASE_URL).hostname, urlsplit(oauth.access_token_url).hostname}
    assert called == set(data["allowedHosts"]["hosts"])


def test_the_base_image_is_pinned_and_runs_the_dockerfiles_python(data: dict[str, Any]) -> None:
    base_image = data["connectorBuildOptions"]["baseImage"]
    assert re.fullmatch(
        r"docker\.io/airbyte/python-connector-base:4\.0\.\d+@sha256:[0-9a-f]{64}", base_image
    )
    # python-connector-base 4.0.x is Python 3.11, as the Dockerfile's base.
    assert re.search(r"^FROM python:3\.11-slim\b", _dockerfile(), re.M)


def test_suggested_streams_are_streams_the_source_has(data: dict[str, Any]) -> None:
    config = {"client_id": "key", "client_secret": "secret", "refresh_token": "token"}
    names = {stream.name for stream in SourceTiktokOrganic().streams(config)}
    assert set(data["suggestedStreams"]["streams"]) <= names


def test_the_icon_is_an_svg_the_metadata_points_at(data: dict[str, Any]) -> None:
    root = ElementTree.parse(ROOT / data["icon"]).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")


def test_pypi_publishing_stays_off_until_the_package_exists(data: dict[str, Any]) -> None:
    assert data["remoteRegistries"]["pypi"] == {
        "enabled": False,
        "packageName": "airbyte-source-tiktok-organic",
    }
