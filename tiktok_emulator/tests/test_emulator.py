"""Specifications of the offline TikTok Open API v2 emulator the end-to-end tests run against."""

from __future__ import annotations

import ast
import graphlib
import itertools
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

import tiktok_emulator
from tiktok_emulator import Dataset, Faults, TikTokEmulator, generate_dataset
from tiktok_emulator.dataset import SCOPES, USER_FIELD_SCOPES, VIDEO_FIELDS

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "/v2/oauth/token/"
USER_INFO = "/v2/user/info/"
VIDEO_LIST = "/v2/video/list/"
ALL_VIDEO_FIELDS = ",".join(VIDEO_FIELDS)


@contextmanager
def running(videos: int = 45, **options: Any) -> Iterator[TikTokEmulator]:
    with TikTokEmulator(dataset=generate_dataset(videos=videos), **options) as emu:
        yield emu


def refresh(
    emu: TikTokEmulator, refresh_token: str | None = None, **overrides: str | None
) -> requests.Response:
    """A refresh grant; an override of None leaves that field out."""
    form = {
        "client_key": emu.CLIENT_KEY,
        "client_secret": emu.CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": emu.refresh_token if refresh_token is None else refresh_token,
        **overrides,
    }
    data = {k: v for k, v in form.items() if v is not None}
    return requests.post(emu.url + TOKEN, data=data, timeout=5)


def access_token(emu: TikTokEmulator, scopes: list[str] | None = None) -> str:
    """From a refresh token of its own, so strict rotation never gets in the way."""
    token = emu.issue_refresh_token(SCOPES if scopes is None else scopes)
    return refresh(emu, token).json()["access_token"]


def user_info(emu: TikTokEmulator, token: str, fields: str | None = "open_id") -> requests.Response:
    params = {} if fields is None else {"fields": fields}
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(emu.url + USER_INFO, params=params, headers=headers, timeout=5)


def post(
    emu: TikTokEmulator, token: str, path: str, body: object, fields: str | None = "id,create_time"
) -> requests.Response:
    params = {} if fields is None else {"fields": fields}
    headers = {"Authorization": f"Bearer {token}"}
    return requests.post(emu.url + path, params=params, json=body, headers=headers, timeout=5)


def page(emu: TikTokEmulator, token: str, **body: object) -> dict:
    response = post(emu, token, VIDEO_LIST, body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def listing(emu: TikTokEmulator, token: str, max_count: int = 20) -> list[dict]:
    """Follow the returned cursor blindly, as a naive client would."""
    videos, body = [], {"max_count": max_count}
    while True:
        data = page(emu, token, **body)
        videos += data["videos"]
        if not data["has_more"]:
            return videos
        body["cursor"] = data["cursor"]


def assert_api_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["log_id"] == response.headers["x-tt-logid"]


def assert_token_error(response: requests.Response, error: str) -> None:
    assert response.status_code == 200
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert body["log_id"] == response.headers["x-tt-logid"]
    assert "access_token" not in body


def ids(videos: list[dict]) -> list[str]:
    return [v["id"] for v in videos]


# Tokens


def test_given_valid_refresh_token_when_refreshing_then_flat_token_response(emulator):
    response = refresh(emulator)

    body = response.json()
    assert response.status_code == 200
    assert response.headers["x-tt-logid"]
    assert set(body) == {
        "access_token",
        "expires_in",
        "open_id",
        "refresh_token",
        "refresh_expires_in",
        "scope",
        "token_type",
    }
    assert body["scope"] == ",".join(SCOPES)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert body["refresh_expires_in"] == 15552000
    assert body["open_id"] == emulator.dataset.profile["open_id"]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_key": None}, "invalid_request"),
        ({"client_secret": None}, "invalid_request"),
        ({"grant_type": None}, "invalid_request"),
        ({"refresh_token": ""}, "invalid_request"),
        ({"client_key": "someone-else"}, "invalid_client"),
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"refresh_token": "rft.unknown!1234.va"}, "invalid_grant"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
    ],
)
def test_given_bad_token_request_when_refreshing_then_error_category_with_http_200(
    emulator, overrides, error
):
    assert_token_error(refresh(emulator, **overrides), error)


def test_given_json_body_when_refreshing_then_invalid_request(emulator):
    form = {
        "client_key": emulator.CLIENT_KEY,
        "client_secret": emulator.CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": emulator.refresh_token,
    }
    response = requests.post(emulator.url + TOKEN, json=form, timeout=5)

    assert_token_error(response, "invalid_request")


def test_given_revoked_refresh_tokens_when_refreshing_then_invalid_grant(emulator):
    emulator.revoke_refresh_tokens()

    assert_token_error(refresh(emulator), "invalid_grant")


def test_given_refresh_tokens_revoked_when_issuing_new_one_then_only_new_one_works(emulator):
    old = emulator.refresh_token
    emulator.revoke_refresh_tokens()
    new = emulator.issue_refresh_token(scopes=list(SCOPES))

    assert_token_error(refresh(emulator, old), "invalid_grant")
    assert "access_token" in refresh(emulator, new).json()


def test_given_expired_refresh_token_when_refreshing_then_invalid_grant():
    with running(refresh_token_ttl=0) as emu:
        assert_token_error(refresh(emu), "invalid_grant")


def test_given_strict_rotation_when_refreshing_then_old_refresh_token_is_dead(emulator):
    first = refresh(emulator).json()

    assert first["refresh_token"] != emulator.refresh_token
    assert_token_error(refresh(emulator, emulator.refresh_token), "invalid_grant")
    assert "access_token" in refresh(emulator, first["refresh_token"]).json()


def test_given_lenient_rotation_when_refreshing_then_new_token_issued_and_old_still_works():
    with running(rotation="lenient") as emu:
        first = refresh(emu).json()
        second = refresh(emu).json()

        assert first["refresh_token"] != emu.refresh_token
        assert "access_token" in second
        assert "access_token" in refresh(emu, first["refresh_token"]).json()


def test_given_rotation_off_when_refreshing_then_same_refresh_token_is_returned():
    with running(rotation="off") as emu:
        bodies = [refresh(emu).json() for _ in range(3)]

        assert {b["refresh_token"] for b in bodies} == {emu.refresh_token}
        assert len({b["access_token"] for b in bodies}) == 3


def test_given_unknown_scope_when_issuing_refresh_token_then_value_error(emulator):
    with pytest.raises(ValueError, match="unknown scopes"):
        emulator.issue_refresh_token(scopes=["video.upload"])


def test_given_reduced_scopes_when_refreshing_then_scope_lists_only_granted_ones(emulator):
    token = emulator.issue_refresh_token(scopes=["video.list", "user.info.basic"])

    assert refresh(emulator, token).json()["scope"] == "user.info.basic,video.list"


def test_given_unsupported_rotation_when_constructing_then_value_error():
    with pytest.raises(ValueError, match="rotation"):
        TikTokEmulator(dataset=generate_dataset(videos=1), rotation="sometimes")


# Access tokens


def test_given_no_bearer_token_when_calling_display_api_then_401_access_token_invalid(emulator):
    response = requests.get(emulator.url + USER_INFO, params={"fields": "open_id"}, timeout=5)

    assert_api_error(response, 401, "access_token_invalid")


def test_given_expired_access_tokens_when_calling_then_401_until_refreshed(emulator):
    token = access_token(emulator)
    emulator.expire_access_tokens()

    assert_api_error(user_info(emulator, token), 401, "access_token_invalid")
    assert user_info(emulator, access_token(emulator)).status_code == 200


def test_given_access_token_ttl_elapsed_when_calling_then_401_access_token_invalid():
    with running(access_token_ttl=0) as emu:
        body = refresh(emu).json()

        assert body["expires_in"] == 0
        assert_api_error(user_info(emu, body["access_token"]), 401, "access_token_invalid")


# User info


def test_given_all_scopes_when_requesting_some_fields_then_only_those_are_returned(emulator):
    response = user_info(emulator, access_token(emulator), "display_name,video_count,is_verified")

    body = response.json()
    assert response.status_code == 200
    assert body["error"] == {"code": "ok", "message": "", "log_id": response.headers["x-tt-logid"]}
    assert body["data"]["user"] == {
        "display_name": emulator.dataset.profile["display_name"],
        "video_count": 45,
        "is_verified": emulator.dataset.profile["is_verified"],
    }


def test_given_all_scopes_when_requesting_every_field_then_the_full_profile(emulator):
    response = user_info(emulator, access_token(emulator), ",".join(USER_FIELD_SCOPES))

    assert response.json()["data"]["user"] == emulator.dataset.profile
    assert len(emulator.dataset.profile) == 14


@pytest.mark.parametrize("fields", [None, "", "open_id,favourite_colour"])
def test_given_missing_or_unknown_fields_when_requesting_user_info_then_400_invalid_params(
    emulator, fields
):
    assert_api_error(user_info(emulator, access_token(emulator), fields), 400, "invalid_params")


def test_given_basic_scope_only_when_requesting_one_profile_field_then_401_and_no_data(emulator):
    token = access_token(emulator, ["user.info.basic", "video.list"])

    allowed = user_info(emulator, token, "open_id,avatar_url,display_name")
    denied = user_info(emulator, token, "open_id,display_name,bio_description")

    assert allowed.status_code == 200
    assert_api_error(denied, 401, "scope_not_authorized")
    assert not denied.json().get("data")


def test_given_no_stats_scope_when_requesting_follower_count_then_scope_not_authorized(emulator):
    token = access_token(emulator, ["user.info.basic", "user.info.profile"])

    assert_api_error(user_info(emulator, token, "follower_count"), 401, "scope_not_authorized")


# Video list


def test_given_no_cursor_when_listing_then_newest_first_with_cursor_of_oldest_on_page(emulator):
    data = page(emulator, access_token(emulator), max_count=5)

    expected = emulator.dataset.videos[:5]
    assert ids(data["videos"]) == ids(expected)
    assert data["cursor"] == expected[-1]["create_time"] * 1000
    assert data["has_more"] is True


def test_given_no_max_count_when_listing_then_ten_videos(emulator):
    assert len(page(emulator, access_token(emulator))["videos"]) == 10


def test_given_requested_fields_when_listing_then_videos_carry_only_those(emulator):
    response = post(emulator, access_token(emulator), VIDEO_LIST, {}, fields="id,title")

    assert all(set(v) == {"id", "title"} for v in response.json()["data"]["videos"])


def test_given_all_fields_when_listing_then_videos_match_the_dataset(emulator):
    response = post(emulator, access_token(emulator), VIDEO_LIST, {}, fields=ALL_VIDEO_FIELDS)

    assert response.json()["data"]["videos"] == emulator.dataset.videos[:10]


def test_given_any_cursor_when_listing_then_videos_strictly_older_than_it(emulator):
    videos = emulator.dataset.videos
    cursor = videos[7]["create_time"] * 1000 + 1

    data = page(emulator, access_token(emulator), cursor=cursor, max_count=20)

    expected = [v for v in videos if v["create_time"] * 1000 < cursor][:20]
    assert ids(data["videos"]) == ids(expected)
    assert data["videos"][0]["id"] == videos[7]["id"]


def test_given_last_page_when_listing_then_has_more_is_false(emulator):
    videos = emulator.dataset.videos
    data = page(emulator, access_token(emulator), cursor=videos[-3]["create_time"] * 1000)

    assert ids(data["videos"]) == ids(videos[-2:])
    assert data["has_more"] is False


def test_given_cursor_older_than_everything_when_listing_then_empty_without_more(emulator):
    data = page(emulator, access_token(emulator), cursor=1000)

    assert data == {"videos": [], "cursor": 1000, "has_more": False}


def test_given_default_dataset_then_a_same_second_group_straddles_index_19_and_20(emulator):
    videos = emulator.dataset.videos

    assert videos[19]["create_time"] == videos[20]["create_time"]
    assert int(videos[19]["id"]) > int(videos[20]["id"])


def test_given_page_boundary_inside_a_second_when_following_cursor_then_rest_of_second_is_lost(
    emulator,
):
    videos = emulator.dataset.videos

    seen = listing(emulator, access_token(emulator), max_count=20)

    assert videos[20]["id"] not in ids(seen)
    assert len(seen) < len(videos)
    assert ids(seen) == [v for v in ids(videos) if v in set(ids(seen))]


def test_given_page_of_one_when_listing_same_second_then_ties_are_ordered_by_id(emulator):
    videos = emulator.dataset.videos
    cursor = videos[18]["create_time"] * 1000 + 1

    data = page(emulator, access_token(emulator), cursor=cursor, max_count=4)

    assert ids(data["videos"]) == sorted(ids(data["videos"]), reverse=True)
    assert {v["create_time"] for v in data["videos"]} == {videos[19]["create_time"]}


@pytest.mark.parametrize("max_count", [0, 21, -1, "5", 2.5, True])
def test_given_max_count_out_of_bounds_when_listing_then_400_invalid_params(emulator, max_count):
    response = post(emulator, access_token(emulator), VIDEO_LIST, {"max_count": max_count})

    assert_api_error(response, 400, "invalid_params")


@pytest.mark.parametrize("max_count", [1, 20])
def test_given_max_count_at_bounds_when_listing_then_that_many_videos(emulator, max_count):
    assert len(page(emulator, access_token(emulator), max_count=max_count)["videos"]) == max_count


def test_given_non_json_body_when_listing_then_400_invalid_params(emulator):
    response = requests.post(
        emulator.url + VIDEO_LIST,
        params={"fields": "id"},
        data="max_count=5",
        headers={"Authorization": f"Bearer {access_token(emulator)}"},
        timeout=5,
    )

    assert_api_error(response, 400, "invalid_params")


@pytest.mark.parametrize("fields", [None, "id,likes"])
def test_given_missing_or_unknown_fields_when_listing_then_400_invalid_params(emulator, fields):
    response = post(emulator, access_token(emulator), VIDEO_LIST, {}, fields=fields)

    assert_api_error(response, 400, "invalid_params")


def test_given_a_deployment_that_serves_is_aigc_then_videos_carry_it_where_the_dataset_has_it(
    emulator,
):
    listed = post(emulator, access_token(emulator), VIDEO_LIST, {}, fields="id,is_aigc")

    assert listed.json()["data"]["videos"] == [
        {key: v[key] for key in ("id", "is_aigc") if key in v} for v in emulator.dataset.videos[:10]
    ]


def test_given_a_deployment_that_does_not_know_is_aigc_then_asking_for_it_is_invalid_params(
    emulator,
):
    emulator.faults.aigc = "unknown"
    token = access_token(emulator)

    refused = post(emulator, token, VIDEO_LIST, {}, fields="id,is_aigc")
    without = post(emulator, token, VIDEO_LIST, {}, fields="id,title")

    assert_api_error(refused, 400, "invalid_params")
    assert refused.json()["error"]["message"] == "Unknown fields: is_aigc"
    assert without.status_code == 200


def test_given_a_deployment_that_withholds_is_aigc_then_no_video_carries_it(emulator):
    emulator.faults.aigc = "withheld"

    listed = post(emulator, access_token(emulator), VIDEO_LIST, {}, fields=ALL_VIDEO_FIELDS)

    videos = listed.json()["data"]["videos"]
    assert videos
    assert not any("is_aigc" in v for v in videos)


def test_given_an_is_aigc_variant_the_emulator_does_not_play_then_value_error():
    with pytest.raises(ValueError, match="aigc"):
        Faults(aigc="sometimes")


def test_given_no_video_list_scope_when_listing_then_scope_not_authorized(emulator):
    token = access_token(emulator, ["user.info.basic", "user.info.stats"])

    assert_api_error(post(emulator, token, VIDEO_LIST, {}), 401, "scope_not_authorized")


def test_given_wrong_method_or_unknown_path_then_404_envelope(emulator):
    token = {"Authorization": f"Bearer {access_token(emulator)}"}

    wrong_method = requests.get(emulator.url + VIDEO_LIST, headers=token, timeout=5)
    unknown = requests.post(emulator.url + "/v2/video/upload/", headers=token, timeout=5)
    no_slash = requests.get(emulator.url + "/v2/user/info", headers=token, timeout=5)

    for response in (wrong_method, unknown, no_slash):
        assert_api_error(response, 404, "invalid_params")


# Dataset changes between syncs


def test_given_new_videos_added_when_listing_then_they_come_first_and_count_updates(emulator):
    added = emulator.add_videos(3)
    older = emulator.add_videos(2, newer=False)
    token = access_token(emulator)

    first = page(emulator, token, max_count=3)
    everything = ids(emulator.dataset.videos)
    assert ids(first["videos"]) == ids(added)
    assert everything[-2:] == ids(older)
    assert user_info(emulator, token, "video_count").json()["data"]["user"] == {"video_count": 50}


def test_given_deleted_videos_when_listing_then_they_are_gone(emulator):
    doomed = ids(emulator.dataset.videos[:2])
    emulator.delete_videos(doomed)
    token = access_token(emulator)

    listed = ids(page(emulator, token, max_count=20)["videos"])
    assert not set(doomed) & set(listed)
    assert len(emulator.dataset.videos) == 43


def test_given_counts_bumped_when_listing_then_engagement_grew_and_cover_resigned(emulator):
    before = dict(emulator.dataset.videos[0])
    emulator.bump_counts(ids=[before["id"]], factor=2)

    listed = post(emulator, access_token(emulator), VIDEO_LIST, {}, fields=ALL_VIDEO_FIELDS)

    [after] = [v for v in listed.json()["data"]["videos"] if v["id"] == before["id"]]
    for name in ("view_count", "like_count", "comment_count", "share_count"):
        assert after[name] > before[name]
    assert after["cover_image_url"] != before["cover_image_url"]
    assert after["title"] == before["title"]


def test_given_unknown_ids_when_mutating_then_key_error(emulator):
    with pytest.raises(KeyError):
        emulator.delete_videos(["1"])
    with pytest.raises(KeyError):
        emulator.bump_counts(ids=["1"])


# Rate limits


def test_given_limit_of_five_when_sixth_call_in_a_minute_then_429_on_that_endpoint_only():
    with running(rate_limit_per_minute=5) as emu:
        token = access_token(emu)

        statuses = [user_info(emu, token).status_code for _ in range(5)]
        over = user_info(emu, token)

        assert statuses == [200] * 5
        assert_api_error(over, 429, "rate_limit_exceeded")
        assert "Retry-After" not in over.headers
        assert post(emu, token, VIDEO_LIST, {}).status_code == 200
        assert all(access_token(emu) for _ in range(6))  # the token endpoint is not limited


def test_given_retry_after_configured_when_rate_limited_then_header_is_sent():
    with running(rate_limit_per_minute=1, retry_after_header=3) as emu:
        token = access_token(emu)
        user_info(emu, token)

        over = user_info(emu, token)

        assert_api_error(over, 429, "rate_limit_exceeded")
        assert over.headers["Retry-After"] == "3"


def test_given_no_rate_limit_when_calling_often_then_never_429():
    with running(videos=5, rate_limit_per_minute=None) as emu:
        token = access_token(emu)
        assert {user_info(emu, token).status_code for _ in range(30)} == {200}


# Faults


def test_faults_are_off_by_default():
    assert Faults() == Faults(
        rate_limit_burst=0,
        server_error_burst=0,
        slow_ms=0,
        hang_requests=0,
        drop_connections=0,
        truncated_bodies=0,
        non_json_bodies=0,
        access_token_dies_after=None,
        short_pages=False,
        empty_page_every=0,
        duplicate_across_pages=False,
        stuck_cursor_after_pages=None,
        token_endpoint_errors=0,
    )


def test_given_rate_limit_burst_when_calling_then_n_429s_then_success(emulator):
    token = access_token(emulator)
    emulator.faults.rate_limit_burst = 2

    first, second, third = (user_info(emulator, token) for _ in range(3))

    assert_api_error(first, 429, "rate_limit_exceeded")
    assert_api_error(second, 429, "rate_limit_exceeded")
    assert third.status_code == 200
    assert emulator.faults.rate_limit_burst == 0


def test_given_server_error_burst_when_calling_then_500_internal_error_then_success(emulator):
    token = access_token(emulator)
    emulator.faults.server_error_burst = 1

    assert_api_error(post(emulator, token, VIDEO_LIST, {}), 500, "internal_error")
    assert post(emulator, token, VIDEO_LIST, {}).status_code == 200


def test_given_display_api_faults_when_refreshing_then_token_endpoint_is_unaffected(emulator):
    emulator.faults.rate_limit_burst = 1
    emulator.faults.server_error_burst = 1
    emulator.faults.drop_connections = 1

    assert refresh(emulator).status_code == 200
    assert emulator.faults.rate_limit_burst == 1


def test_given_slow_ms_when_calling_then_response_is_delayed(emulator):
    token = access_token(emulator)
    emulator.faults.slow_ms = 150

    started = time.monotonic()
    user_info(emulator, token)

    assert time.monotonic() - started >= 0.15


def test_given_hanging_request_when_client_times_out_then_next_request_succeeds(emulator):
    token = access_token(emulator)
    emulator.faults.hang_requests = 1
    emulator.faults.hang_seconds = 5

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(
            emulator.url + USER_INFO,
            params={"fields": "open_id"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=0.3,
        )
    assert user_info(emulator, token).status_code == 200


def test_given_dropped_connection_when_calling_then_connection_error_and_request_counted(emulator):
    token = access_token(emulator)
    emulator.faults.drop_connections = 1

    with pytest.raises(requests.exceptions.ConnectionError):
        post(emulator, token, VIDEO_LIST, {})
    assert post(emulator, token, VIDEO_LIST, {}).status_code == 200
    assert emulator.counts[VIDEO_LIST] == 2
    assert emulator.status_counts[VIDEO_LIST, 200] == 1


def test_given_truncated_body_when_calling_then_200_with_half_a_json_document(emulator):
    token = access_token(emulator)
    emulator.faults.truncated_bodies = 1

    cut = post(emulator, token, VIDEO_LIST, {})
    whole = post(emulator, token, VIDEO_LIST, {})

    assert cut.status_code == 200
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        json.loads(cut.content)
    assert whole.content.startswith(cut.content[:20])
    assert 0 < len(cut.content) < len(whole.content)


def test_given_non_json_body_fault_when_calling_then_200_html_gateway_page(emulator):
    token = access_token(emulator)
    emulator.faults.non_json_bodies = 1

    response = user_info(emulator, token)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "gateway" in response.text
    assert user_info(emulator, token).json()["error"]["code"] == "ok"


def test_given_access_token_dies_after_two_calls_then_401_until_refreshed(emulator):
    token = access_token(emulator)
    emulator.faults.access_token_dies_after = 2

    statuses = [user_info(emulator, token).status_code for _ in range(2)]
    dead = user_info(emulator, token)

    assert statuses == [200, 200]
    assert_api_error(dead, 401, "access_token_invalid")
    fresh = access_token(emulator)
    assert {user_info(emulator, fresh).status_code for _ in range(3)} == {200}


def test_given_short_pages_when_listing_then_pages_vary_within_max_count(emulator):
    emulator.faults.short_pages = True
    token = access_token(emulator)

    sizes = [len(page(emulator, token, max_count=20)["videos"]) for _ in range(8)]

    assert all(1 <= s <= 20 for s in sizes)
    assert len(set(sizes)) > 1


def test_given_empty_page_every_second_call_then_empty_page_keeps_cursor_and_retry_works(
    emulator,
):
    emulator.faults.empty_page_every = 2
    token = access_token(emulator)
    first = page(emulator, token, max_count=5)

    empty = page(emulator, token, max_count=5, cursor=first["cursor"])
    retried = page(emulator, token, max_count=5, cursor=first["cursor"])

    assert empty == {"videos": [], "cursor": first["cursor"], "has_more": True}
    assert ids(retried["videos"]) == ids(emulator.dataset.videos[5:10])


def test_given_empty_page_every_call_then_an_identical_retry_still_gets_the_page(emulator):
    emulator.faults.empty_page_every = 1
    token = access_token(emulator)

    empty = page(emulator, token, max_count=5)
    retried = page(emulator, token, max_count=5)

    assert empty["videos"] == []
    assert empty["has_more"] is True
    assert ids(retried["videos"]) == ids(emulator.dataset.videos[:5])


def test_given_duplicate_across_pages_when_paging_then_page_repeats_video_before_cursor(emulator):
    emulator.faults.duplicate_across_pages = True
    token = access_token(emulator)
    videos = emulator.dataset.videos

    first = page(emulator, token, max_count=5)
    second = page(emulator, token, max_count=5, cursor=first["cursor"])

    assert ids(first["videos"]) == ids(videos[:5])
    assert ids(second["videos"]) == ids(videos[4:9])
    assert second["cursor"] == videos[8]["create_time"] * 1000


def test_given_stuck_cursor_after_two_pages_then_third_page_repeats_second_forever(emulator):
    emulator.faults.stuck_cursor_after_pages = 2
    token = access_token(emulator)

    first = page(emulator, token, max_count=5)
    second = page(emulator, token, max_count=5, cursor=first["cursor"])
    third = page(emulator, token, max_count=5, cursor=second["cursor"])
    fourth = page(emulator, token, max_count=5, cursor=third["cursor"])

    assert ids(second["videos"]) == ids(emulator.dataset.videos[5:10])
    assert third == fourth == {**second, "has_more": True}


def test_given_token_endpoint_errors_when_refreshing_then_http_500_server_error_then_success(
    emulator,
):
    emulator.faults.token_endpoint_errors = 1

    failed = refresh(emulator)

    assert failed.status_code == 500
    assert failed.json()["error"] == "server_error"
    assert failed.json()["log_id"] == failed.headers["x-tt-logid"]
    assert refresh(emulator).status_code == 200


# Counters, admin endpoints, lifecycle


def test_given_requests_when_reading_counters_then_failed_ones_are_included(emulator):
    token = access_token(emulator)
    emulator.faults.server_error_burst = 1
    post(emulator, token, VIDEO_LIST, {})
    post(emulator, token, VIDEO_LIST, {})

    assert emulator.counts[VIDEO_LIST] == 2
    assert emulator.counts[TOKEN] == 1
    assert emulator.status_counts[VIDEO_LIST, 500] == 1
    assert emulator.status_counts[VIDEO_LIST, 200] == 1
    emulator.reset_counts()
    assert not emulator.counts
    assert not emulator.status_counts


def test_given_admin_endpoints_then_stats_are_served_and_reset_without_being_counted(emulator):
    refresh(emulator)

    stats = requests.get(emulator.url + "/_emulator/stats", timeout=5).json()
    reset = requests.post(emulator.url + "/_emulator/reset", timeout=5).json()

    assert stats == {
        "counts": {TOKEN: 1},
        "status_counts": {f"{TOKEN} 200": 1},
        "most_in_flight": {TOKEN: 1},
    }
    assert reset == {"counts": {}, "status_counts": {}, "most_in_flight": {}}
    assert not emulator.counts


def test_given_requests_at_once_then_stats_say_the_most_answered_together():
    with TikTokEmulator(dataset=generate_dataset(videos=3), latency_ms=300) as emu:
        threads = [
            threading.Thread(
                target=requests.get, args=(emu.url + USER_INFO,), kwargs={"timeout": 5}
            )
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert emu.stats()["most_in_flight"] == {USER_INFO: 3}


def test_given_keep_alive_session_and_hanging_request_when_stopping_then_stop_is_prompt():
    emu = TikTokEmulator(dataset=generate_dataset(videos=3)).start()
    with requests.Session() as session:
        session.post(emu.url + TOKEN, data={"client_key": emu.CLIENT_KEY}, timeout=5)
        emu.faults.hang_requests = 1
        emu.faults.hang_seconds = 30
        with pytest.raises(requests.exceptions.ReadTimeout):
            session.get(emu.url + USER_INFO, timeout=0.2)

        started = time.monotonic()
        emu.stop()

    assert time.monotonic() - started < 2


def test_given_emulator_then_defaults_and_url_are_exposed(emulator):
    assert emulator.url.startswith("http://127.0.0.1:")
    assert (
        (emulator.CLIENT_KEY, emulator.CLIENT_SECRET)
        == (
            TikTokEmulator.CLIENT_KEY,
            TikTokEmulator.CLIENT_SECRET,
        )
        == ("emulator-client-key", "emulator-client-secret")
    )
    assert isinstance(emulator.dataset, Dataset)
    assert isinstance(emulator.faults, Faults)


# CLI


def _read_line(process: subprocess.Popen, timeout: float = 10) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), "the emulator printed nothing"
    return process.stdout.readline()


def test_given_cli_when_started_then_prints_json_line_serves_and_exits_cleanly_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "tiktok_emulator", "--videos", "7", "--stats-on-exit"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        ready = json.loads(_read_line(process))
        token = requests.post(
            ready["api_base_url"] + TOKEN,
            data={
                "client_key": ready["client_id"],
                "client_secret": ready["client_secret"],
                "grant_type": "refresh_token",
                "refresh_token": ready["refresh_token"],
            },
            timeout=5,
        ).json()["access_token"]
        listed = requests.post(
            ready["api_base_url"] + VIDEO_LIST,
            params={"fields": "id"},
            json={"max_count": 20},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        ).json()["data"]["videos"]

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        stats = json.loads(process.stdout.readline())
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()

    assert set(ready) == {"client_id", "client_secret", "refresh_token", "api_base_url"}
    assert len(listed) == 7
    assert stats == {TOKEN: 1, VIDEO_LIST: 1}


# Dataset


def test_given_same_seed_and_now_then_dataset_is_identical_and_other_seed_differs():
    assert generate_dataset(videos=30, seed=3) == generate_dataset(videos=30, seed=3)
    assert generate_dataset(videos=30, seed=3) != generate_dataset(videos=30, seed=4)


def test_given_mid_size_then_the_creator_is_one_a_person_would_believe():
    dataset = generate_dataset(videos=500, seed=7, mid_size=True)
    emulator = TikTokEmulator(dataset=dataset)
    emulator.add_videos(100, newer=True)
    views = sorted(v["view_count"] for v in dataset.videos if v.get("view_count") is not None)
    followers = dataset.profile["follower_count"]

    assert 10_000 <= followers <= 200_000
    assert followers <= dataset.profile["likes_count"] <= 50 * followers
    assert 1_000 <= views[len(views) // 2] <= 50_000, "the median video"
    assert views[-1] < 2_000_000, "no billions, added videos included"
    assert generate_dataset(videos=45, seed=7, mid_size=True).mid_size


def test_given_default_dataset_then_it_has_every_quirk_the_connector_must_survive():
    dataset = generate_dataset(videos=45, seed=7, now=1_760_000_000)
    videos = dataset.videos
    times = [v["create_time"] for v in videos]
    texts = [v[k] for v in videos for k in ("title", "video_description")]

    assert set(dataset.profile) == set(USER_FIELD_SCOPES)
    assert dataset.profile["video_count"] == 45
    assert any(ord(c) > 0xFFFF for c in dataset.profile["display_name"])
    assert times[0] == 1_760_000_000
    assert times == sorted(times, reverse=True)
    assert len({v["id"] for v in videos}) == 45
    assert all(len(v["id"]) == 19 and v["id"].isdigit() for v in videos)
    assert len(times) - len(set(times)) >= 3
    assert any(v.get("view_count", 0) and v["view_count"] > 2**31 for v in videos)
    assert any(None in (v.get(k) for k in ("like_count", "view_count")) for v in videos)
    assert any("comment_count" not in v for v in videos)
    aigc = [v.get("is_aigc") for v in videos]
    assert 0 < aigc.count(True) < aigc.count(False)
    assert None in aigc
    assert all(set(v) <= set(VIDEO_FIELDS) for v in videos)
    assert set(videos[0]) == set(VIDEO_FIELDS)
    assert "" in texts
    assert max(len(t) for t in texts) == 150
    assert any(ord(c) > 0xFFFF for t in texts for c in t)
    assert all("x-expires=" in v["cover_image_url"] for v in videos)


def test_given_100k_videos_when_generating_then_ids_are_unique_and_order_is_newest_first():
    videos = generate_dataset(videos=100_000, seed=11).videos

    assert len({v["id"] for v in videos}) == 100_000
    assert all(
        (a["create_time"], int(a["id"])) > (b["create_time"], int(b["id"]))
        for a, b in itertools.pairwise(videos)
    )


def test_the_emulator_modules_import_each_other_without_a_cycle():
    """Each layer imports only layers below it (see tiktok_emulator/__init__.py)."""
    package = Path(tiktok_emulator.__file__).parent
    imports = {}
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        imports[path.stem] = {
            node.module.split(".")[1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("tiktok_emulator.")
        }
    order = list(graphlib.TopologicalSorter(imports).static_order())  # raises on a cycle
    assert set(order) >= set(imports)
