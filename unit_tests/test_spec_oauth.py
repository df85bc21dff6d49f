"""The spec's `advanced_auth` (Airbyte's declarative OAuth) against TikTok's Login Kit reference.

TikTok differs from textbook OAuth in ways a copied template gets wrong: the client is
`client_key` (not `client_id`) in the consent URL and in the token body, scopes are joined by
commas, and the code exchange is a form-encoded POST. These tests read the SPEC the connector
emits, since fields the protocol model does not know are dropped from it without a word.
"""

from __future__ import annotations

import json
import logging
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2
import jinja2.meta
import pytest
from airbyte_cdk.models import ConnectorSpecificationSerializer

from source_tiktok_organic.core.config import DEFAULT_API_BASE_URL
from source_tiktok_organic.creator.auth import TOKEN_PATH
from source_tiktok_organic.source import SourceTiktokOrganic

AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
TOKEN_URL = DEFAULT_API_BASE_URL + TOKEN_PATH
SCOPES = ["user.info.basic", "user.info.profile", "user.info.stats", "video.list"]
# The variables Airbyte's DeclarativeOAuthFlow fills in (docs: "Available Template Variables").
PLATFORM_VARIABLES = {
    f"{name}_{part}"
    for name in ("client_id", "client_secret", "redirect_uri", "scope", "state", "auth_code")
    for part in ("key", "value", "param")
}
SAMPLE = {
    "client_id_value": "awq2bxxxxxxxxxxx",
    "client_secret_value": "the-client-secret",
    "redirect_uri_value": "https://cloud.airbyte.com/auth_flow",
    "state_value": "Zx81kQ",
    "auth_code_value": "code-from-the-redirect",
}


@pytest.fixture(scope="module")
def emitted_spec() -> dict[str, Any]:
    spec = SourceTiktokOrganic().spec(logging.getLogger("test"))
    return ConnectorSpecificationSerializer.dump(spec)


@pytest.fixture(scope="module")
def oauth(emitted_spec: dict[str, Any]) -> dict[str, Any]:
    return emitted_spec["advanced_auth"]["oauth_config_specification"]


@pytest.fixture(scope="module")
def connector_input(oauth: dict[str, Any]) -> dict[str, Any]:
    return oauth["oauth_connector_input_specification"]


def render(template: str, scope: str) -> str:
    """Renders a template as the platform does: Jinja, with its `urlencode` filter."""
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    return environment.from_string(template).render(**SAMPLE, scope_value=scope)


def query_of(url: str) -> dict[str, str]:
    pairs = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in pairs.values()), f"repeated parameter in {url}"
    return {key: values[0] for key, values in pairs.items()}


def test_given_the_emitted_spec_then_advanced_auth_is_an_oauth2_flow(
    emitted_spec: dict[str, Any],
) -> None:
    advanced_auth = emitted_spec["advanced_auth"]
    assert advanced_auth["auth_flow_type"] == "oauth2.0"
    # The button runs Login Kit's exchange, so it shows in creator mode only: in business mode
    # it would store a Display API refresh token that the API for Business refuses.
    assert advanced_auth["predicate_key"] == ["account_mode"]
    assert advanced_auth["predicate_value"] == "creator"


def test_given_spec_json_when_emitted_then_no_declarative_oauth_field_is_dropped(
    emitted_spec: dict[str, Any],
) -> None:
    on_disk = json.loads(files("source_tiktok_organic").joinpath("spec.json").read_text())
    assert emitted_spec["advanced_auth"] == on_disk["advanced_auth"]


def test_consent_url_is_tiktoks_authorize_page_with_client_key_not_client_id(
    connector_input: dict[str, Any],
) -> None:
    url = render(connector_input["consent_url"], connector_input["scope"])
    assert url.split("?", 1)[0] == AUTHORIZE_URL
    query = query_of(url)
    assert set(query) == {"client_key", "scope", "response_type", "redirect_uri", "state"}
    assert query["client_key"] == SAMPLE["client_id_value"]
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == SAMPLE["redirect_uri_value"]
    assert query["state"] == SAMPLE["state_value"]


def test_consent_url_asks_for_the_four_scopes_comma_separated(
    connector_input: dict[str, Any],
) -> None:
    assert connector_input["scope"] == ",".join(SCOPES)
    url = render(connector_input["consent_url"], connector_input["scope"])
    assert query_of(url)["scope"].split(",") == SCOPES


def test_token_exchange_is_a_form_encoded_post_to_tiktoks_token_endpoint(
    connector_input: dict[str, Any],
) -> None:
    assert connector_input["access_token_url"] == TOKEN_URL
    # With `access_token_params`, the platform sends JSON unless this header says otherwise.
    assert connector_input["access_token_headers"] == {
        "Content-Type": "application/x-www-form-urlencoded"
    }
    assert "?" not in connector_input["access_token_url"], "credentials belong in the body"


def test_token_body_names_the_client_client_key_and_uses_the_authorization_code_grant(
    connector_input: dict[str, Any],
) -> None:
    params = connector_input["access_token_params"]
    body = {key: render(value, "") for key, value in params.items()}
    assert body == {
        "client_key": SAMPLE["client_id_value"],
        "client_secret": SAMPLE["client_secret_value"],
        "code": SAMPLE["auth_code_value"],
        "grant_type": "authorization_code",
        "redirect_uri": SAMPLE["redirect_uri_value"],
    }


def test_the_refresh_token_lands_in_the_configs_refresh_token(
    oauth: dict[str, Any], connector_input: dict[str, Any], emitted_spec: dict[str, Any]
) -> None:
    assert connector_input["extract_output"] == ["refresh_token"]
    output = oauth["complete_oauth_output_specification"]
    assert output["required"] == ["refresh_token"]
    assert output["properties"]["refresh_token"]["path_in_oauth_response"] == ["refresh_token"]
    assert output["properties"]["refresh_token"]["path_in_connector_config"] == ["refresh_token"]
    target = emitted_spec["connectionSpecification"]["properties"]["refresh_token"]
    assert target["airbyte_secret"] is True


def test_the_users_client_id_and_secret_are_the_flows_inputs(
    oauth: dict[str, Any], emitted_spec: dict[str, Any]
) -> None:
    server_input = oauth["complete_oauth_server_input_specification"]
    server_output = oauth["complete_oauth_server_output_specification"]
    assert set(server_input["properties"]) == {"client_id", "client_secret"}
    assert set(server_input["required"]) == {"client_id", "client_secret"}
    paths = {
        name: spec["path_in_connector_config"] for name, spec in server_output["properties"].items()
    }
    assert paths == {"client_id": ["client_id"], "client_secret": ["client_secret"]}
    config_properties = emitted_spec["connectionSpecification"]["properties"]
    assert {"client_id", "client_secret", "refresh_token"} <= set(config_properties)
    # The platform looks the client up under client_id_key; renaming it would rename the inputs.
    assert "client_id_key" not in oauth["oauth_connector_input_specification"]


def test_templates_use_only_variables_the_platform_provides(
    connector_input: dict[str, Any],
) -> None:
    environment = jinja2.Environment(autoescape=False)
    templates = [
        connector_input["consent_url"],
        connector_input["access_token_url"],
        *connector_input["access_token_params"].values(),
        *connector_input["access_token_headers"].values(),
    ]
    used: set[str] = set()
    for template in templates:
        used |= jinja2.meta.find_undeclared_variables(environment.parse(template))
    assert used <= PLATFORM_VARIABLES, sorted(used - PLATFORM_VARIABLES)
