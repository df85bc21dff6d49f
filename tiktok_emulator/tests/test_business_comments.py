"""Specifications of the emulator's GET /business/comment/list/ and its open variants."""

from __future__ import annotations

from typing import Any

import pytest

from tiktok_emulator.business import BusinessEmulator, Knobs, generate_business_dataset
from tiktok_emulator.business.comments import REPEATED, REPEATS_FROM
from tiktok_emulator.tests.test_business_emulator import (
    NOW,
    VIDEOS,
    access_token,
    assert_code,
    call,
    data_of,
    running,
)

COMMENTS = "/open_api/v1.3/business/comment/list/"


def first_post(emu: BusinessEmulator) -> str:
    return emu.dataset.post(0)["item_id"]


def comments(emu: BusinessEmulator, token: str | None = None, **params: Any) -> dict:
    token = token or access_token(emu)
    return data_of(call(emu, COMMENTS, token, video_id=first_post(emu), **params))


def every_page(emu: BusinessEmulator, **params: Any) -> list[list[dict]]:
    """Follows the cursor to the end, sorted newest first: each page's comments."""
    token, pages, cursor = access_token(emu), [], None
    while True:
        data = comments(emu, token, sort_field="create_time", cursor=cursor, **params)
        pages.append(data["comments"])
        if not data["has_more"]:
            return pages
        cursor = data["cursor"]


def ids(page: list[dict]) -> list[str]:
    return [comment["comment_id"] for comment in page]


@pytest.mark.parametrize("cursor", ["offset", "opaque"])
def test_given_a_cursor_style_when_paging_then_every_comment_once_newest_first(cursor: str):
    knobs = Knobs(comment_cursor=cursor, comments_per_post=95)
    with running(knobs=knobs) as emu:
        pages = every_page(emu, max_count=30)
        first = comments(emu, sort_field="create_time", max_count=30)
    assert [len(page) for page in pages] == [30, 30, 30, 5]
    listed = [comment for page in pages for comment in page]
    assert len(set(ids(listed))) == 95
    times = [comment["create_time"] for comment in listed]
    assert times == sorted(times, reverse=True)
    assert (first["cursor"] == 30) is (cursor == "offset")


def test_given_no_count_set_then_a_post_has_as_many_comments_as_its_comments_field():
    with running(knobs=Knobs(comment_repeats=False)) as emu:
        pages = every_page(emu, max_count=30)
        assert sum(len(page) for page in pages) == emu.dataset.post(0)["comments"]


def test_given_more_than_500_comments_then_later_pages_repeat_some_yet_none_is_lost():
    with running(knobs=Knobs(comments_per_post=620)) as emu:
        pages = every_page(emu, max_count=30)
    seen = [ids(page) for page in pages]
    flat = [comment_id for page in seen for comment_id in page]
    assert len(set(flat)) == 620
    assert len(flat) > 620
    past = REPEATS_FROM // 30 + 1  # the first page that starts at or past the 500th comment
    assert seen[past][:REPEATED] == seen[past - 1][-REPEATED:]
    assert len(set(flat[:REPEATS_FROM])) == REPEATS_FROM, "no repeats before the 500th"


def test_given_repeats_switched_off_then_no_comment_comes_twice():
    with running(knobs=Knobs(comments_per_post=620, comment_repeats=False)) as emu:
        flat = [comment_id for page in every_page(emu, max_count=30) for comment_id in ids(page)]
    assert len(flat) == len(set(flat)) == 620


def test_given_short_pages_then_some_pages_are_short_while_has_more_and_none_is_lost():
    with running(knobs=Knobs(comments_per_post=200, short_pages=True)) as emu:
        pages = every_page(emu, max_count=30)
    assert any(len(page) < 30 for page in pages[:-1])
    assert len({comment_id for page in pages for comment_id in ids(page)}) == 200


@pytest.mark.parametrize(("unsorted", "random"), [("random", True), ("create_time", False)])
def test_given_no_sort_field_then_the_order_is_as_the_knob_says(unsorted: str, random: bool):
    with running(knobs=Knobs(comments_per_post=60, unsorted_comments=unsorted)) as emu:
        token = access_token(emu)
        orders = [ids(comments(emu, token, max_count=30)["comments"]) for _ in range(3)]
        newest = ids(comments(emu, token, max_count=30, sort_field="create_time")["comments"])
    assert (len({tuple(order) for order in orders}) > 1) is random
    assert (orders[0] == newest) is not random


@pytest.mark.parametrize(
    ("accepted", "refused"), [("sort_order", "sort_type"), ("sort_type", "sort_order")]
)
def test_given_the_direction_name_the_knob_picks_then_it_sorts_and_the_other_is_refused(
    accepted: str, refused: str
):
    with running(knobs=Knobs(comments_per_post=40, comment_sort_param=accepted)) as emu:
        token = access_token(emu)
        oldest_first = comments(emu, token, sort_field="likes", **{accepted: "asc"})["comments"]
        assert_code(call(emu, COMMENTS, token, video_id=first_post(emu), **{refused: "asc"}), 40002)
    likes = [comment["likes"] for comment in oldest_first]
    assert likes == sorted(likes)


@pytest.mark.parametrize(("style", "kind"), [("int", int), ("string", str)])
def test_given_the_comment_time_knob_then_create_time_is_a_number_or_digits(style: str, kind: type):
    with running(knobs=Knobs(comments_per_post=3, comment_time=style)) as emu:
        page = comments(emu)["comments"]
    assert all(type(comment["create_time"]) is kind for comment in page)
    assert all(str(comment["create_time"]).isdigit() for comment in page)


def test_given_a_comment_then_it_names_its_post_and_has_tiktoks_fields():
    with running(knobs=Knobs(comments_per_post=1)) as emu:
        [comment] = comments(emu)["comments"]
        post = emu.dataset.post(0)
    assert comment["video_id"] == post["item_id"]
    assert int(post["create_time"]) <= comment["create_time"] <= emu.dataset.now
    assert {"comment_id", "text", "likes", "replies", "user_id", "status"} <= set(comment)


def test_given_status_public_then_hidden_comments_are_left_out():
    with running(knobs=Knobs(comments_per_post=300)) as emu:
        every = comments(emu, max_count=30, sort_field="create_time")
        public = [c for page in every_page(emu, max_count=30, status="PUBLIC") for c in page]
        all_of_them = [c for page in every_page(emu, max_count=30) for c in page]
    assert every["comments"]
    assert {comment["status"] for comment in public} == {"PUBLIC"}
    assert len(public) < len({c["comment_id"] for c in all_of_them})


@pytest.mark.parametrize(
    "params",
    [
        {"video_id": None},
        {"video_id": "12345"},
        {"max_count": 31},
        {"max_count": 0},
        {"sort_field": "views"},
        {"status": "HIDDEN"},
        {"cursor": -1},
    ],
)
def test_given_a_bad_parameter_then_40002(params: dict[str, Any]):
    with running() as emu:
        query = {"video_id": first_post(emu), **params}
        assert_code(call(emu, COMMENTS, access_token(emu), **query), 40002)


def test_given_an_opaque_cursor_never_handed_out_then_40002():
    with running(knobs=Knobs(comment_cursor="opaque")) as emu:
        assert_code(
            call(emu, COMMENTS, access_token(emu), video_id=first_post(emu), cursor=30), 40002
        )


@pytest.mark.parametrize("code", [40001, 40130, 40002])
def test_given_no_comment_list_scope_then_the_knobs_code(code: int):
    with running(knobs=Knobs(unscoped_field_code=code)) as emu:
        token = access_token(emu, ("user.info.basic", "video.list"))
        assert_code(call(emu, COMMENTS, token, video_id=first_post(emu)), code)


def test_given_the_rate_limit_then_the_comment_list_has_its_own_window():
    with running(rate_limit_per_minute=1) as emu:
        token = access_token(emu)
        comments(emu, token)
        assert_code(call(emu, COMMENTS, token, video_id=first_post(emu)), 40100)
        data_of(call(emu, VIDEOS, token))
        assert emu.code_counts[COMMENTS, 40100] == 1


def test_given_a_burst_of_server_errors_then_the_comment_list_answers_50000_then_recovers():
    with running() as emu:
        token = access_token(emu)
        emu.faults.server_error_burst = 1
        assert_code(call(emu, COMMENTS, token, video_id=first_post(emu)), 50000)
        assert "comments" in comments(emu, token)


def test_given_post_every_then_one_post_each_period_the_newest_half_a_period_old():
    dataset = generate_business_dataset(posts=3, now=NOW, post_every=86_400)
    assert [ms // 1000 for ms in dataset.post_times_ms] == [
        NOW - 43_200,
        NOW - 43_200 - 86_400,
        NOW - 43_200 - 2 * 86_400,
    ]


@pytest.mark.parametrize("refused_posts", ["first", "every"])
def test_given_refused_comments_then_those_posts_answer_the_code_and_the_others_their_comments(
    refused_posts: str,
):
    with running(knobs=Knobs(refused_comments_code=40002)) as emu:
        first, second = first_post(emu), emu.dataset.post(1)["item_id"]
        emu.knobs.refused_comment_posts = frozenset({first}) if refused_posts == "first" else None
        token = access_token(emu)
        assert_code(call(emu, COMMENTS, token, video_id=first), 40002)
        other = call(emu, COMMENTS, token, video_id=second)
        if refused_posts == "first":
            assert "comments" in data_of(other)
        else:
            assert_code(other, 40002)


def test_given_a_refusal_code_tiktok_does_not_use_for_it_then_the_knob_refuses_it():
    with pytest.raises(ValueError, match="refused_comments_code must be one of"):
        Knobs(refused_comments_code=50000)
