"""Credentials and identity that cannot drift, in both modes, through the real command.

Each test hands one run's config to the next, as the platform does with CONTROL messages, against
an emulator that plays one odd token answer: a huge lifetime, a refresh token that is not a
string, a code spelt "0", or a token issued for another account in the middle of a sync.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, Status, Type

from integration_tests.cli import Run, catalog_for, run_connector
from integration_tests.conftest import DATASET_NOW, config_for
from tiktok_emulator import TikTokEmulator, generate_dataset
from tiktok_emulator.business import BusinessEmulator, generate_business_dataset

CREATOR, BUSINESS = "creator", "business"
CREATOR_TOKEN_PATH = "/v2/oauth/token/"
BUSINESS_TOKEN_PATH = "/open_api/v1.3/tt_user/oauth2/refresh_token/"
READ = {"user_info": "full_refresh", "videos": "full_refresh"}


class Api:
    """One emulator of either mode, seen through what these tests need of it."""

    def __init__(self, mode: str, rotation: str = "strict") -> None:
        self.mode = mode
        if mode == CREATOR:
            dataset = generate_dataset(videos=45, seed=7, now=DATASET_NOW)
            self.emulator: Any = TikTokEmulator(dataset=dataset, rotation=rotation)
            self.token_path = CREATOR_TOKEN_PATH
            self.lifetime_field = "refresh_expires_in"
        else:
            self.emulator = BusinessEmulator(
                dataset=generate_business_dataset(posts=45, seed=7, now=DATASET_NOW),
                clock=lambda: DATASET_NOW,
            )
            self.emulator.knobs.rotation = rotation
            self.token_path = BUSINESS_TOKEN_PATH
            self.lifetime_field = "refresh_token_expires_in"

    def config(self) -> dict[str, Any]:
        if self.mode == CREATOR:
            return config_for(self.emulator)
        return self.emulator.connector_config(request_timeout_seconds=2, lookback_days=0)

    @property
    def account(self) -> str:
        return str(self.emulator.dataset.profile["open_id"])

    def token_calls(self) -> int:
        return int(self.emulator.counts[self.token_path])


@pytest.fixture(params=[CREATOR, BUSINESS])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    made = Api(request.param)
    with made.emulator:
        yield made


@pytest.fixture(params=[CREATOR, BUSINESS])
def lenient_api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """TikTok keeps the old refresh token alive: a connector that drops it has no excuse."""
    made = Api(request.param, rotation="lenient")
    with made.emulator:
        yield made


def status_of(run: Run) -> Status:
    [status] = run.of_type(Type.CONNECTION_STATUS)
    return status.connectionStatus.status


@pytest.mark.parametrize("field", ["client_secret", "client_id"])
def test_given_a_saved_session_when_an_app_credential_is_edited_then_check_fails_at_once(
    api: Api, field: str
) -> None:
    saved = run_connector("check", api.config()).latest_config(api.config())
    api.emulator.reset_counts()
    edited = {**saved, field: saved[field] + "-typo"}

    run = run_connector("check", edited)

    assert status_of(run) == Status.FAILED
    assert api.token_calls() == 1, "the edited credential was tried, not the saved session"


def test_given_a_saved_session_when_unchanged_then_it_is_reused(api: Api) -> None:
    saved = run_connector("check", api.config()).latest_config(api.config())
    api.emulator.reset_counts()
    assert status_of(run_connector("check", saved)) == Status.SUCCEEDED
    assert api.token_calls() == 0


@pytest.mark.parametrize("life", [10**30, "9" * 40], ids=["10**30", "40 nines"])
def test_given_an_absurd_refresh_token_life_then_the_next_run_still_works(
    api: Api, life: object
) -> None:
    api.emulator.faults.token_overrides = {api.lifetime_field: life}
    first = run_connector("read", api.config(), catalog_for(READ))
    api.emulator.expire_access_tokens()
    second = run_connector("check", first.latest_config(api.config()))

    assert first.returncode == 0, first.errors()
    assert len(first.records("videos")) == 45
    assert status_of(second) == Status.SUCCEEDED


@pytest.mark.parametrize("rotated", [12345, {"token": "x"}, "", "  "], ids=repr)
def test_given_a_refresh_token_that_is_not_a_token_then_the_good_one_is_kept(
    lenient_api: Api, rotated: object
) -> None:
    api = lenient_api
    api.emulator.faults.token_overrides = {"refresh_token": rotated}
    first = run_connector("check", api.config())
    kept = first.latest_config(api.config())
    api.emulator.faults.token_overrides = {}
    api.emulator.expire_access_tokens()

    assert status_of(first) == Status.SUCCEEDED
    assert kept["refresh_token"] == api.config()["refresh_token"]
    assert status_of(run_connector("check", kept)) == Status.SUCCEEDED


@pytest.mark.parametrize("code", ["0", 0.0], ids=repr)
def test_given_a_business_grant_whose_code_is_spelt_oddly_then_the_rotation_is_kept(
    business: BusinessEmulator, code: object
) -> None:
    business.faults.token_code = code
    config = business.connector_config()
    first = run_connector("check", config)
    business.faults.token_code = 0
    business.expire_access_tokens()

    assert status_of(first) == Status.SUCCEEDED
    assert status_of(run_connector("check", first.latest_config(config))) == Status.SUCCEEDED


def test_given_a_mid_sync_token_for_another_account_then_the_sync_stops_naming_both(
    api: Api,
) -> None:
    api.emulator.faults.access_token_dies_after = 2  # the profile and one page, then a refresh
    api.emulator.faults.token_overrides_after = 1
    api.emulator.faults.token_overrides = {"open_id": "account-b"}

    run = run_connector("read", api.config(), catalog_for(READ), fails=True)

    [error] = [m.trace.error for m in run.of_type(Type.TRACE) if m.trace.error]
    assert error.failure_type == FailureType.config_error
    assert "account-b" in error.message
    assert api.account in error.message
    assert {record["open_id"] for record in run.records()} == {api.account}
    assert len(run.records("videos")) < 45


def test_given_a_saved_account_when_the_next_run_gets_another_then_it_stops_before_reading(
    api: Api,
) -> None:
    saved = run_connector("check", api.config()).latest_config(api.config())
    api.emulator.expire_access_tokens()
    api.emulator.faults.token_overrides = {"open_id": "account-b"}

    run = run_connector("read", saved, catalog_for(READ), fails=True)
    after = run.latest_config(saved)

    assert run.records() == []
    assert "account-b" in " ".join(run.errors())
    assert after["refresh_token"] != saved["refresh_token"], "the rotated token was still kept"
    assert after["oauth_session"]["open_id"] == api.account
