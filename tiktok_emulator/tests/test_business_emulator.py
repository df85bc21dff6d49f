"""Specifications of the offline TikTok API for Business ("Accounts") emulator."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from tiktok_emulator.business import BusinessEmulator, Knobs, generate_business_dataset
from tiktok_emulator.business.fields import (
    BUSINESS_DAY_FIELDS,
    DAY_FIELDS,
    IDLE_LOST_FIELDS,
    POST_FIELD_SCOPES,
    PROFILE_FIELD_SCOPES,
    REGISTERED_DAY_FIELDS,
    SCOPES,
)

NOW = 1_760_000_000  # 2025-10-09 08:53:20 UTC
TODAY = dt.date(2025, 10, 9)
TOKEN = "/open_api/v1.3/tt_user/oauth2/token/"
REFRESH = "/open_api/v1.3/tt_user/oauth2/refresh_token/"
PROFILE = "/open_api/v1.3/business/get/"
VIDEOS = "/open_api/v1.3/business/video/list/"
ALL_POST_FIELDS = list(POST_FIELD_SCOPES)
YEAR = 31536000


class Clock:
    """The tokens' wall clock, moved by hand."""

    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@contextmanager
def running(posts: int = 45, **options: Any) -> Iterator[BusinessEmulator]:
    dataset = generate_business_dataset(posts=posts, now=NOW)
    with BusinessEmulator(dataset=dataset, **options) as emu:
        yield emu


@pytest.fixture
def emu() -> Iterator[BusinessEmulator]:
    with running() as emulator:
        yield emulator


def token_call(emu: BusinessEmulator, path: str, **overrides: Any) -> requests.Response:
    """A token or refresh call with the app's credentials; an override of None drops a field."""
    body = {"client_id": emu.APP_ID, "client_secret": emu.APP_SECRET, **overrides}
    body = {k: v for k, v in body.items() if v is not None}
    return requests.post(emu.url + path, json=body, timeout=5)


def refresh(emu: BusinessEmulator, refresh_token: str, **overrides: Any) -> requests.Response:
    body = {"grant_type": "refresh_token", "refresh_token": refresh_token, **overrides}
    return token_call(emu, REFRESH, **body)


def exchange(emu: BusinessEmulator, auth_code: str, **overrides: Any) -> requests.Response:
    body = {"grant_type": "authorization_code", "redirect_uri": emu.REDIRECT_URI, **overrides}
    return token_call(emu, TOKEN, auth_code=auth_code, **body)


def access_token(emu: BusinessEmulator, scopes: tuple[str, ...] = SCOPES) -> str:
    return refresh(emu, emu.issue_refresh_token(scopes)).json()["data"]["access_token"]


def call(emu: BusinessEmulator, path: str, token: str | None, **params: Any) -> requests.Response:
    """A data call; list params go out as JSON array literals, None drops business_id."""
    query = {"business_id": emu.business_id, **params}
    query = {
        k: json.dumps(v) if isinstance(v, list) else v for k, v in query.items() if v is not None
    }
    headers = {} if token is None else {"Access-Token": token}
    return requests.get(emu.url + path, params=query, headers=headers, timeout=5)


def data_of(response: requests.Response) -> dict:
    body = response.json()
    assert body["code"] == 0, body
    assert body["message"] == "OK"
    assert body["request_id"] == response.headers["x-tt-logid"]
    return body["data"]


def assert_code(response: requests.Response, code: int) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    assert body["request_id"] == response.headers["x-tt-logid"]
    assert "data" not in body


def metrics(emu: BusinessEmulator, **params: Any) -> list[dict]:
    return data_of(call(emu, PROFILE, access_token(emu), fields=["metrics"], **params))["metrics"]


def all_posts(emu: BusinessEmulator, max_count: int = 20) -> tuple[list[dict], list[int]]:
    """Follows the cursor to the end: the posts in order and each page's size."""
    token, posts, sizes, cursor = access_token(emu), [], [], None
    while True:
        data = data_of(
            call(
                emu,
                VIDEOS,
                token,
                fields=["item_id", "create_time"],
                max_count=max_count,
                cursor=cursor,
            )
        )
        posts += data["videos"]
        sizes.append(len(data["videos"]))
        if not data["has_more"]:
            return posts, sizes
        cursor = data["cursor"]


def first_post(emu: BusinessEmulator, fields: list[str], **params: Any) -> dict:
    return data_of(call(emu, VIDEOS, access_token(emu), fields=fields, **params))["videos"][0]


def post_aged(emu: BusinessEmulator, fields: list[str], low: int, high: int) -> dict:
    """The newest post at least `low` and under `high` seconds old."""
    posts = data_of(
        call(
            emu, VIDEOS, access_token(emu), fields=["item_id", "create_time", *fields], max_count=20
        )
    )
    return next(p for p in posts["videos"] if low <= NOW - int(p["create_time"]) < high)


# Tokens


def test_given_refresh_token_when_refreshing_then_business_envelope_with_token_data(emu):
    response = refresh(emu, emu.refresh_token)

    data = data_of(response)
    assert set(data) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_token_expires_in",
        "open_id",
        "scope",
    }
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 86400
    assert data["open_id"] == emu.business_id
    assert data["scope"] == ",".join(SCOPES)


def test_given_auth_code_when_exchanging_then_fresh_year_long_grant_with_its_scopes(emu):
    code = emu.issue_auth_code(["user.info.basic", "video.list"])

    data = data_of(exchange(emu, code))

    assert data["refresh_token_expires_in"] == YEAR
    assert data["scope"] == "user.info.basic,video.list"
    assert data["open_id"] == emu.business_id
    assert data_of(refresh(emu, data["refresh_token"]))["access_token"]


def test_given_used_auth_code_when_exchanging_again_then_40110(emu):
    code = emu.issue_auth_code()
    data_of(exchange(emu, code))

    assert_code(exchange(emu, code), 40110)


def test_given_auth_code_older_than_ten_minutes_when_exchanging_then_40110():
    clock = Clock()
    with running(clock=clock) as emu:
        code = emu.issue_auth_code()
        clock.now += 601

        assert_code(exchange(emu, code), 40110)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"redirect_uri": "https://elsewhere.example/"}, 40002),
        ({"client_secret": "wrong"}, 40001),
        ({"client_id": "7000000000000000002"}, 40001),
        ({"client_id": None}, 40002),
        ({"grant_type": "refresh_token"}, 40108),
    ],
)
def test_given_bad_code_exchange_when_exchanging_then_error_code(emu, overrides, code):
    assert_code(exchange(emu, emu.issue_auth_code(), **overrides), code)


def test_given_form_encoded_body_when_refreshing_then_40002(emu):
    form = {
        "client_id": emu.APP_ID,
        "client_secret": emu.APP_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": emu.refresh_token,
    }

    assert_code(requests.post(emu.url + REFRESH, data=form, timeout=5), 40002)


def test_given_wrong_grant_type_when_refreshing_then_40108(emu):
    assert_code(refresh(emu, emu.refresh_token, grant_type="authorization_code"), 40108)


def test_given_time_passed_when_refreshing_then_refresh_expiry_counts_from_original_grant():
    clock = Clock()
    with running(clock=clock) as emu:
        clock.now += 1000
        first = data_of(refresh(emu, emu.refresh_token))
        clock.now += 500
        second = data_of(refresh(emu, first["refresh_token"]))

    assert first["refresh_token_expires_in"] == YEAR - 1000
    assert second["refresh_token_expires_in"] == YEAR - 1500


@pytest.mark.parametrize("dead_code", [40103, 40107])
def test_given_strict_rotation_when_refreshing_then_new_string_and_old_one_dead(dead_code):
    with running(knobs=Knobs(rotation="strict", dead_refresh_code=dead_code)) as emu:
        new = data_of(refresh(emu, emu.refresh_token))["refresh_token"]

        assert new != emu.refresh_token
        assert_code(refresh(emu, emu.refresh_token), dead_code)
        assert data_of(refresh(emu, new))


def test_given_lenient_rotation_when_refreshing_then_new_string_and_old_one_still_works():
    with running(knobs=Knobs(rotation="lenient")) as emu:
        new = data_of(refresh(emu, emu.refresh_token))["refresh_token"]

        assert new != emu.refresh_token
        assert data_of(refresh(emu, emu.refresh_token))
        assert data_of(refresh(emu, new))


def test_given_rotation_off_when_refreshing_then_same_string_keeps_working():
    with running(knobs=Knobs(rotation="off")) as emu:
        first = data_of(refresh(emu, emu.refresh_token))
        second = data_of(refresh(emu, emu.refresh_token))

    assert first["refresh_token"] == second["refresh_token"] == emu.refresh_token
    assert first["access_token"] != second["access_token"]


@pytest.mark.parametrize("dead_code", [40103, 40107])
@pytest.mark.parametrize("death", ["expired", "revoked"])
def test_given_dead_refresh_token_when_refreshing_then_knob_code(dead_code, death):
    clock = Clock()
    with running(knobs=Knobs(dead_refresh_code=dead_code), clock=clock) as emu:
        if death == "expired":
            clock.now += YEAR
        else:
            emu.revoke_refresh_tokens()

        assert_code(refresh(emu, emu.refresh_token), dead_code)


@pytest.mark.parametrize("dead_code", [40103, 40107])
def test_given_never_issued_refresh_token_when_refreshing_then_40107(dead_code):
    with running(knobs=Knobs(dead_refresh_code=dead_code)) as emu:
        assert_code(refresh(emu, "rft.never-issued"), 40107)


# Access tokens on data calls


def test_given_no_access_token_header_when_calling_then_40104(emu):
    assert_code(call(emu, PROFILE, None), 40104)


def test_given_authorization_bearer_instead_of_access_token_when_calling_then_40104(emu):
    headers = {"Authorization": f"Bearer {access_token(emu)}"}
    response = requests.get(
        emu.url + PROFILE, params={"business_id": emu.business_id}, headers=headers, timeout=5
    )

    assert_code(response, 40104)


def test_given_unknown_access_token_when_calling_then_40105(emu):
    assert_code(call(emu, VIDEOS, "act.made-up"), 40105)


def test_given_revoked_authorization_when_calling_then_40105(emu):
    token = access_token(emu)
    emu.revoke_refresh_tokens()

    assert_code(call(emu, PROFILE, token), 40105)


def test_given_expired_access_tokens_when_calling_then_40102(emu):
    token = access_token(emu)
    emu.expire_access_tokens()

    assert_code(call(emu, PROFILE, token), 40102)


def test_given_a_day_passed_when_calling_then_40102_and_refresh_gives_a_working_token():
    clock = Clock()
    with running(clock=clock) as emu:
        token = access_token(emu)
        clock.now += 86400

        assert_code(call(emu, PROFILE, token), 40102)
        assert data_of(call(emu, PROFILE, access_token(emu)))


# business/get


def test_given_no_fields_when_getting_profile_then_display_name_and_profile_image(emu):
    data = data_of(call(emu, PROFILE, access_token(emu)))

    assert set(data) == {"display_name", "profile_image"}
    assert data["profile_image"].startswith("https://")


def test_given_every_field_when_getting_profile_then_every_field_with_its_type(emu):
    data = data_of(call(emu, PROFILE, access_token(emu), fields=list(PROFILE_FIELD_SCOPES)))

    assert set(data) == set(PROFILE_FIELD_SCOPES)
    assert data["is_business_account"] is True
    assert data["videos_count"] == 45
    for name in ("following_count", "followers_count", "total_likes"):
        assert isinstance(data[name], int)
    assert {a["age"] for a in data["audience_ages"]} == {"18-24", "25-34", "35-44", "45-54", "55+"}
    assert {g["gender"] for g in data["audience_genders"]} == {"Female", "Male", "Other"}
    assert all(len(c["country"]) == 2 for c in data["audience_countries"])
    assert all(c["city_name"] for c in data["audience_cities"])


def test_given_default_dates_when_getting_metrics_then_last_seven_days_before_today(emu):
    days = metrics(emu)

    expected = [(TODAY - dt.timedelta(days=n)).isoformat() for n in range(7, 0, -1)]
    assert [d["date"] for d in days] == expected


def test_given_end_date_today_when_getting_metrics_then_today_missing_and_yesterday_partial(emu):
    days = metrics(emu, start_date="2025-10-06", end_date=TODAY.isoformat())

    assert [d["date"] for d in days] == ["2025-10-06", "2025-10-07", "2025-10-08"]
    assert set(days[-1]) == {"date", *DAY_FIELDS}
    assert set(days[-2]) == {"date", *DAY_FIELDS, *BUSINESS_DAY_FIELDS}


def test_given_same_seed_when_getting_metrics_twice_then_same_numbers(emu):
    with running() as twin:
        assert metrics(emu) == metrics(twin)


@pytest.mark.parametrize(
    ("account_type", "is_business", "expected"),
    [
        ("personal", False, {"date", *DAY_FIELDS}),
        ("business", True, {"date", *DAY_FIELDS, *BUSINESS_DAY_FIELDS}),
        ("registered", True, {"date", *DAY_FIELDS, *BUSINESS_DAY_FIELDS, *REGISTERED_DAY_FIELDS}),
    ],
)
def test_given_account_type_when_getting_metrics_then_only_its_fields(
    account_type, is_business, expected
):
    with running(knobs=Knobs(account_type=account_type)) as emu:
        data = data_of(
            call(emu, PROFILE, access_token(emu), fields=["is_business_account", "metrics"])
        )

    assert data["is_business_account"] is is_business
    assert set(data["metrics"][0]) == expected


def test_given_business_account_when_getting_metrics_then_audience_activity_by_hour(emu):
    activity = metrics(emu)[0]["audience_activity"]

    assert [a["hour"] for a in activity] == [str(h) for h in range(24)]
    assert all(isinstance(a["count"], int) for a in activity)


def test_given_old_start_date_and_error_knob_when_getting_metrics_then_40002(emu):
    response = call(emu, PROFILE, access_token(emu), fields=["metrics"], start_date="2025-08-09")

    assert_code(response, 40002)


def test_given_old_start_date_and_clamp_knob_when_getting_metrics_then_sixty_days_back():
    with running(knobs=Knobs(old_start_date="clamp")) as emu:
        days = metrics(emu, start_date="2025-01-01", end_date="2025-08-20")

    assert days[0]["date"] == (TODAY - dt.timedelta(days=60)).isoformat()
    assert days[-1]["date"] == "2025-08-20"


def test_given_start_date_exactly_sixty_days_back_when_getting_metrics_then_answered(emu):
    days = metrics(emu, start_date="2025-08-10", end_date="2025-08-11")

    assert [d["date"] for d in days] == ["2025-08-10", "2025-08-11"]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2025-10-05", "end_date": "2025-10-04"},
        {"start_date": "10/05/2025"},
        {"end_date": "yesterday"},
    ],
)
def test_given_bad_dates_when_getting_metrics_then_40002(emu, params):
    assert_code(call(emu, PROFILE, access_token(emu), fields=["metrics"], **params), 40002)


@pytest.mark.parametrize("path", [PROFILE, VIDEOS])
def test_given_someone_elses_business_id_when_calling_then_40001(emu, path):
    assert_code(call(emu, path, access_token(emu), business_id="-000someone-else"), 40001)


@pytest.mark.parametrize("path", [PROFILE, VIDEOS])
def test_given_no_business_id_when_calling_then_40002(emu, path):
    assert_code(call(emu, path, access_token(emu), business_id=None), 40002)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        (PROFILE, '["display_name","avatar_url"]'),
        (PROFILE, "display_name,username"),
        (PROFILE, '{"display_name": 1}'),
        (VIDEOS, '["item_id","view_count"]'),
        (VIDEOS, '["caption"]'),
    ],
)
def test_given_unknown_or_malformed_fields_when_calling_then_40002(emu, path, fields):
    assert_code(call(emu, path, access_token(emu), fields=fields), 40002)


@pytest.mark.parametrize("code", [40001, 40130, 40002])
@pytest.mark.parametrize(
    ("path", "fields", "scopes"),
    [
        (PROFILE, ["username"], ("user.info.basic",)),
        (PROFILE, ["metrics"], ("user.info.basic", "user.info.stats")),
        (VIDEOS, ["item_id"], ("video.insights",)),
        (VIDEOS, ["item_id", "reach", "full_video_watched_rate"], ("video.list",)),
    ],
)
def test_given_field_without_its_scope_when_calling_then_knob_code(code, path, fields, scopes):
    with running(knobs=Knobs(unscoped_field_code=code)) as emu:
        assert_code(call(emu, path, access_token(emu, scopes), fields=fields), code)


def test_given_only_the_needed_scopes_when_calling_then_answered(emu):
    token = access_token(emu, ("user.info.username", "video.list"))

    assert data_of(call(emu, PROFILE, token, fields=["username"]))["username"]
    assert data_of(call(emu, VIDEOS, token, fields=["item_id", "reach"]))["videos"]


@pytest.mark.parametrize(("style", "shown"), [("null", None), ("minus_one", -1)])
def test_given_unavailable_knob_when_yesterday_is_partial_then_gaps_shown_as_knob_says(
    style, shown
):
    with running(knobs=Knobs(unavailable=style)) as emu:
        yesterday = metrics(emu)[-1]

    assert set(yesterday) == {"date", *DAY_FIELDS, *BUSINESS_DAY_FIELDS, *REGISTERED_DAY_FIELDS}
    assert all(yesterday[f] == shown for f in (*BUSINESS_DAY_FIELDS, *REGISTERED_DAY_FIELDS))
    assert all(isinstance(yesterday[f], int) and yesterday[f] >= 0 for f in DAY_FIELDS)


@pytest.mark.parametrize(("scale", "total"), [(1, 1.0), (100, 100.0)])
def test_given_percentage_scale_when_getting_audiences_then_breakdowns_sum_to_it(scale, total):
    with running(knobs=Knobs(percentage_scale=scale)) as emu:
        profile = data_of(call(emu, PROFILE, access_token(emu), fields=["audience_genders"]))
        post = first_post(emu, ["item_id", "impression_sources", "video_view_retention"])

    assert sum(g["percentage"] for g in profile["audience_genders"]) == pytest.approx(
        total, rel=0.01
    )
    assert sum(s["percentage"] for s in post["impression_sources"]) == pytest.approx(
        total, rel=0.01
    )
    assert post["video_view_retention"][0] == {"second": "0", "percentage": total}


def test_given_mixed_scale_when_getting_shares_then_some_arrays_on_0_100_and_others_on_0_1():
    with running(knobs=Knobs(percentage_scale="mixed")) as emu:
        profile = data_of(
            call(emu, PROFILE, access_token(emu), fields=["audience_ages", "audience_genders"])
        )
        post = first_post(emu, ["item_id", "impression_sources", "video_view_retention"])

    assert sum(a["percentage"] for a in profile["audience_ages"]) == pytest.approx(100, rel=0.01)
    assert sum(g["percentage"] for g in profile["audience_genders"]) == pytest.approx(1, rel=0.01)
    assert post["video_view_retention"][0]["percentage"] == 100.0
    assert sum(s["percentage"] for s in post["impression_sources"]) == pytest.approx(1, rel=0.01)


@pytest.mark.parametrize(("scale", "whole"), [(1, 1.0004), (100, 100.04)])
def test_given_rounding_anomaly_when_getting_shares_then_the_whole_overshoots_as_rounded(
    scale, whole
):
    with running(knobs=Knobs(percentage_scale=scale, share_anomaly="rounding")) as emu:
        profile = data_of(call(emu, PROFILE, access_token(emu), fields=["audience_genders"]))
        post = post_aged(emu, ["video_view_retention", "full_video_watched_rate"], 48 * 3600, YEAR)

    assert [g["percentage"] for g in profile["audience_genders"]] == [whole, 0, 0]
    assert post["video_view_retention"][0] == {"second": "0", "percentage": whole}
    assert 0 < post["video_view_retention"][1]["percentage"] < whole
    assert 0 < post["full_video_watched_rate"] < 1


def test_given_out_of_range_anomaly_when_getting_shares_then_a_share_below_0_and_a_rate_past_1():
    with running(knobs=Knobs(share_anomaly="out_of_range")) as emu:
        profile = data_of(call(emu, PROFILE, access_token(emu), fields=["audience_genders"]))
        post = post_aged(emu, ["video_view_retention", "full_video_watched_rate"], 48 * 3600, YEAR)

    assert profile["audience_genders"][-1]["percentage"] == -0.3
    assert post["video_view_retention"][0]["percentage"] == 1.0
    assert post["video_view_retention"][1]["percentage"] == -0.3
    assert post["full_video_watched_rate"] == 1.3


@pytest.mark.parametrize(("style", "gap"), [("missing", "absent"), ("minus_one", -1)])
def test_given_net_follower_loss_when_getting_metrics_then_every_other_day_a_real_minus_one(
    style, gap
):
    with running(knobs=Knobs(net_follower_loss=True, unavailable=style)) as emu:
        days = metrics(emu)

    *complete, yesterday = days
    losing = [day for day in complete if dt.date.fromisoformat(day["date"]).toordinal() % 2 == 0]
    assert len(losing) == 3
    for day in losing:
        assert (day["daily_new_followers"], day["daily_lost_followers"]) == (3, 4)
        assert day["daily_total_followers"] == -1
    assert all(day["daily_total_followers"] != -1 for day in complete if day not in losing)
    assert yesterday.get("daily_new_followers", "absent") == gap


def test_given_retention_entries_when_listing_then_every_post_has_a_curve_that_long():
    with running(knobs=Knobs(retention_entries=5000)) as emu:
        posts = data_of(
            call(emu, VIDEOS, access_token(emu), fields=["item_id", "video_view_retention"])
        )["videos"]

    for post in posts:
        curve = post["video_view_retention"]
        assert len(curve) == 5000
        assert curve[0] == {"second": "0", "percentage": 1.0}
        assert curve[-1]["second"] == "4999"
        assert curve[-1]["percentage"] < curve[1]["percentage"] < 1


# business/video/list


def test_given_every_field_when_listing_then_each_post_has_typed_fields(emu):
    data = data_of(call(emu, VIDEOS, access_token(emu), fields=ALL_POST_FIELDS, max_count=20))

    assert set(data) == {"videos", "cursor", "has_more"}
    assert len(data["videos"]) == 20
    assert data["has_more"] is True
    old = next(p for p in data["videos"] if NOW - int(p["create_time"]) > 48 * 3600)
    assert set(old) == set(ALL_POST_FIELDS) - {
        "website_clicks",
        "phone_number_clicks",
        "lead_submissions",
        "app_download_clicks",
        "email_clicks",
        "address_clicks",
    }
    assert isinstance(old["create_time"], str)
    assert old["create_time"].isdigit()
    assert isinstance(old["video_duration"], float)
    for name in (
        "likes",
        "comments",
        "shares",
        "favorites",
        "reach",
        "video_views",
        "new_followers",
        "profile_views",
    ):
        assert isinstance(old[name], int), name
    for name in ("total_time_watched", "average_time_watched", "full_video_watched_rate"):
        assert isinstance(old[name], float), name
    assert 0 <= old["full_video_watched_rate"] <= 1
    assert old["media_type"] in ("VIDEO", "PHOTO")
    assert isinstance(old["is_ad"], bool)
    assert old["item_id"] in old["share_url"]
    assert "x-expires=" in old["thumbnail_url"]
    assert all(isinstance(p["second"], str) for p in old["engagement_likes"])
    assert len(old["audience_countries"]) <= 10
    assert len(old["audience_cities"]) <= 10
    assert {t["type"] for t in old["audience_types"]} == {
        "NEW_VIEWER",
        "RETURN_VIEWER",
        "FOLLOWER_PERCENT",
        "NON_FOLLOWER_PERCENT",
    }


def test_given_no_fields_or_max_count_when_listing_then_ten_item_ids_newest_first(emu):
    data = data_of(call(emu, VIDEOS, access_token(emu)))

    assert [set(v) for v in data["videos"]] == [{"item_id"}] * 10
    times = [
        int(v["create_time"])
        for v in data_of(call(emu, VIDEOS, access_token(emu), fields=["item_id", "create_time"]))[
            "videos"
        ]
    ]
    assert times == sorted(times, reverse=True)


def test_given_registered_business_when_listing_then_contact_clicks_present():
    with running(knobs=Knobs(account_type="registered")) as emu:
        post = post_aged(emu, ["website_clicks", "lead_submissions"], 48 * 3600, YEAR)

    assert isinstance(post["website_clicks"], int)
    assert isinstance(post["lead_submissions"], int)


def test_given_personal_account_when_listing_then_business_only_fields_absent():
    with running(knobs=Knobs(account_type="personal")) as emu:
        post = post_aged(emu, ["profile_views", "website_clicks", "likes"], 48 * 3600, YEAR)

    assert "profile_views" not in post
    assert "website_clicks" not in post
    assert isinstance(post["likes"], int)


@pytest.mark.parametrize(
    ("style", "shown"), [("missing", "absent"), ("null", None), ("minus_one", -1)]
)
def test_given_post_younger_than_two_days_when_listing_then_counts_unavailable_per_knob(
    style, shown
):
    with running(knobs=Knobs(unavailable=style)) as emu:
        post = post_aged(emu, ["likes", "reach", "caption"], 0, 48 * 3600)

    assert post["caption"]
    assert post.get("likes", "absent") == shown
    assert post.get("reach", "absent") == shown


@pytest.mark.parametrize("lose", [False, True])
def test_given_idle_knob_when_listing_old_posts_then_idle_insights_lost_only_when_on(lose):
    with running(knobs=Knobs(idle_posts_lose_insights=lose)) as emu:
        old = post_aged(emu, [*IDLE_LOST_FIELDS, "likes"], 8 * 86400, YEAR)
        recent = post_aged(emu, [*IDLE_LOST_FIELDS, "likes"], 48 * 3600, 7 * 86400)

    assert isinstance(old["likes"], int)
    assert all((f in old) is not lose for f in IDLE_LOST_FIELDS)
    assert all(f in recent for f in IDLE_LOST_FIELDS)


@pytest.mark.parametrize("max_count", ["0", "21", "-1", "ten"])
def test_given_max_count_out_of_range_when_listing_then_40002(emu, max_count):
    assert_code(call(emu, VIDEOS, access_token(emu), max_count=max_count), 40002)


def test_given_non_integer_cursor_when_listing_then_40002(emu):
    assert_code(call(emu, VIDEOS, access_token(emu), cursor="next"), 40002)


@pytest.mark.parametrize("cursor_style", ["timestamp", "opaque"])
@pytest.mark.parametrize("short_pages", [False, True])
def test_given_cursor_style_when_paging_to_the_end_then_every_post_once_newest_first(
    cursor_style, short_pages
):
    with running(knobs=Knobs(cursor_style=cursor_style, short_pages=short_pages)) as emu:
        posts, sizes = all_posts(emu, max_count=6)
        times = emu.dataset.post_times_ms

    ids = [p["item_id"] for p in posts]
    assert len(ids) == len(set(ids)) == 45
    seconds = [int(p["create_time"]) for p in posts]
    assert seconds == sorted(seconds, reverse=True)
    assert len({t // 1000 for t in times}) < len(times)  # some posts share a second
    assert any(size < 6 for size in sizes[:-1]) is short_pages


def test_given_timestamp_cursor_when_paging_then_cursor_is_last_posts_millisecond(emu):
    data = data_of(
        call(emu, VIDEOS, access_token(emu), fields=["item_id", "create_time"], max_count=5)
    )

    assert data["cursor"] == emu.dataset.post_times_ms[4]
    assert data["cursor"] // 1000 == int(data["videos"][-1]["create_time"])


def test_given_opaque_cursor_when_paging_then_cursor_is_no_timestamp():
    with running(knobs=Knobs(cursor_style="opaque")) as emu:
        data = data_of(call(emu, VIDEOS, access_token(emu), max_count=5))

    assert data["cursor"] > 10**15


def test_given_own_timestamp_cursor_when_listing_then_posts_created_before_it(emu):
    cutoff = emu.dataset.post_times_ms[10]
    data = data_of(
        call(emu, VIDEOS, access_token(emu), fields=["item_id", "create_time"], cursor=cutoff)
    )

    assert all(int(v["create_time"]) * 1000 < cutoff for v in data["videos"])
    assert data["videos"][0]["item_id"] == emu.dataset.post(11)["item_id"]


# Rate limit, routing, counters, dataset


def test_given_small_limit_when_exceeded_then_40100_per_account_and_endpoint():
    with running(rate_limit_per_minute=3) as emu:
        token = access_token(emu)
        answers = [call(emu, PROFILE, token).json()["code"] for _ in range(4)]

        assert answers == [0, 0, 0, 40100]
        assert data_of(call(emu, VIDEOS, token))
        assert data_of(refresh(emu, emu.refresh_token))


def test_given_no_limit_when_calling_often_then_never_40100():
    with running(rate_limit_per_minute=None) as emu, requests.Session() as session:
        token = access_token(emu)
        headers, params = {"Access-Token": token}, {"business_id": emu.business_id}
        codes = {
            session.get(emu.url + PROFILE, params=params, headers=headers, timeout=5).json()["code"]
            for _ in range(45)
        }

    assert codes == {0}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/open_api/v1.3/business/comment/reply/list/"), ("GET", TOKEN), ("POST", PROFILE)],
)
def test_given_unknown_route_when_calling_then_plain_text_not_found(emu, method, path):
    response = requests.request(method, emu.url + path, timeout=5)

    assert response.status_code == 404
    assert response.text == "Not Found"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["x-tt-logid"]


def test_given_calls_when_reading_counters_then_per_path_and_code_and_resettable(emu):
    token = access_token(emu)
    call(emu, PROFILE, token)
    call(emu, PROFILE, None)

    assert emu.counts[PROFILE] == 2
    assert emu.stats()["code_counts"] == {
        f"{REFRESH} 0": 1,
        f"{PROFILE} 0": 1,
        f"{PROFILE} 40104": 1,
    }
    emu.reset_counts()
    assert emu.stats() == {"counts": {}, "code_counts": {}}


def test_given_same_seed_then_same_posts_and_other_seed_then_other_posts():
    first, twin = (
        generate_business_dataset(seed=3, now=NOW),
        generate_business_dataset(seed=3, now=NOW),
    )
    other = generate_business_dataset(seed=4, now=NOW)

    assert first.post(5) == twin.post(5)
    assert first.profile == twin.profile
    assert first.post(5) != other.post(5)


def test_given_two_thousand_posts_when_building_and_reading_the_last_page_then_quick():
    started = time.perf_counter()
    with running(posts=2000) as emu:
        cursor = emu.dataset.post_times_ms[1990]
        data = data_of(call(emu, VIDEOS, access_token(emu), fields=ALL_POST_FIELDS, cursor=cursor))

    assert len(data["videos"]) == 9
    assert data["has_more"] is False
    assert time.perf_counter() - started < 2


def test_given_invalid_knob_value_when_setting_then_value_error(emu):
    with pytest.raises(ValueError, match="unavailable"):
        emu.knobs.unavailable = "zero"
    with pytest.raises(ValueError, match="percentage_scale"):
        Knobs(percentage_scale=10)
    with pytest.raises(ValueError, match="share_anomaly"):
        Knobs(share_anomaly="huge")


def test_given_emulator_when_started_and_stopped_then_url_serves_only_in_between():
    emu = BusinessEmulator(dataset=generate_business_dataset(posts=3, now=NOW))
    with pytest.raises(RuntimeError, match="not started"):
        _ = emu.url
    url = emu.start().url
    assert url.startswith("http://127.0.0.1:")
    assert requests.get(url + "/nowhere", timeout=5).status_code == 404

    emu.stop()
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/nowhere", timeout=1)
