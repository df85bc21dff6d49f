"""The comments stream end to end: the CLI against the API for Business emulator, on an account
that posts once a day, each post half a day off a day boundary so no window edge is close."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from integration_tests.cli import Run, catalog_for, run_connector
from integration_tests.test_business import config_of
from tiktok_emulator.business import BusinessEmulator, Knobs, generate_business_dataset
from tiktok_emulator.business.api import COMMENT_LIST_PATH, VIDEO_LIST_PATH
from tiktok_emulator.business.comments import post_comments

DAY = 86_400
POSTS = 30


@pytest.fixture
def daily() -> Iterator[BusinessEmulator]:
    """A post a day for 30 days, the newest half a day old, on today's calendar."""
    dataset = generate_business_dataset(posts=POSTS, now=int(time.time()), post_every=DAY)
    with BusinessEmulator(dataset=dataset) as emu:
        yield emu


def read_comments(
    emu: BusinessEmulator, streams: dict[str, str] | None = None, **config: Any
) -> Run:
    catalog = catalog_for(streams or {"comments": "full_refresh"})
    return run_connector("read", config_of(emu, **config), catalog)


def expected(emu: BusinessEmulator, days: int) -> dict[str, list[dict[str, Any]]]:
    """Each post of the last `days` days with its comments, as the emulator holds them."""
    return {
        emu.dataset.post(index)["item_id"]: post_comments(
            emu.dataset, emu.dataset.post(index)["item_id"], emu.knobs
        )
        for index in range(days)
    }


def test_given_a_post_a_day_then_the_last_7_days_comments_once_each_for_one_list_page_and_a_page_per_30(
    daily: BusinessEmulator,
) -> None:
    run = read_comments(daily)
    posts = expected(daily, 7)
    rows = run.records("comments")
    assert sorted(row["comment_id"] for row in rows) == sorted(
        comment["comment_id"] for comments in posts.values() for comment in comments
    )
    assert {row["video_id"] for row in rows} <= set(posts)
    assert all(row["open_id"] == daily.business_id for row in rows)
    assert all(type(row["create_time"]) is int for row in rows)
    pages = sum(max(1, math.ceil(len(comments) / 30)) for comments in posts.values())
    assert daily.counts[VIDEO_LIST_PATH] == 1
    assert daily.counts[COMMENT_LIST_PATH] == pages


def test_given_a_post_a_day_with_under_30_comments_each_then_a_week_costs_8_requests(
    daily: BusinessEmulator,
) -> None:
    daily.knobs.comments_per_post = 12
    assert len(read_comments(daily).records("comments")) == 7 * 12
    assert daily.counts[VIDEO_LIST_PATH] + daily.counts[COMMENT_LIST_PATH] == 1 + 7


def test_given_a_second_sync_then_it_reads_every_comment_of_the_window_again(
    daily: BusinessEmulator,
) -> None:
    daily.knobs.comments_per_post = 2
    first = read_comments(daily, comments_days=1)
    assert len(first.records("comments")) == 2
    config = first.latest_config(config_of(daily, comments_days=1))
    second = run_connector("read", config, catalog_for({"comments": "full_refresh"}))
    assert second.records("comments") == first.records("comments")
    assert daily.counts[COMMENT_LIST_PATH] == 2


def test_given_more_than_500_comments_that_tiktok_partly_repeats_then_each_comes_once(
    daily: BusinessEmulator,
) -> None:
    daily.knobs.comments_per_post = 620
    rows = read_comments(daily, comments_days=1).records("comments")
    assert len(rows) == len({row["comment_id"] for row in rows}) == 620
    assert daily.code_counts[COMMENT_LIST_PATH, 0] <= math.ceil(620 / 30) + 1


@pytest.mark.parametrize(
    "knobs",
    [
        Knobs(comment_cursor="opaque", comment_time="string"),
        Knobs(comment_sort_param="sort_type", short_pages=True),
        Knobs(unsorted_comments="create_time", comment_repeats=False),
    ],
    ids=["opaque-cursor-string-times", "sort_type-short-pages", "sorted-unless-asked"],
)
def test_given_each_open_variant_then_every_comment_of_the_window_once(
    daily: BusinessEmulator, knobs: Knobs
) -> None:
    daily.knobs = knobs
    knobs.comments_per_post = 75
    rows = read_comments(daily, comments_days=3).records("comments")
    assert len(rows) == len({row["comment_id"] for row in rows}) == 3 * 75
    assert all(type(row["create_time"]) is int for row in rows)


def test_given_server_errors_and_a_rate_limit_then_the_comments_are_still_all_read(
    daily: BusinessEmulator,
) -> None:
    daily.knobs.comments_per_post = 40
    daily.faults.server_error_burst = 2
    daily.faults.rate_limit_burst = 1
    rows = read_comments(daily, comments_days=2).records("comments")
    assert len({row["comment_id"] for row in rows}) == len(rows) == 80


def test_given_no_comment_list_scope_then_no_comment_row_the_scope_named_and_the_rest_synced(
    daily: BusinessEmulator,
) -> None:
    token = daily.issue_refresh_token(["user.info.basic", "video.list"])
    run = read_comments(
        daily, {"user_info": "full_refresh", "comments": "full_refresh"}, refresh_token=token
    )
    assert run.records("comments") == []
    assert len(run.records("user_info")) == 1
    assert "Stream comments is unavailable: the scope 'comment.list' is not granted" in run.logs()
    assert daily.counts[COMMENT_LIST_PATH] == 0


def test_given_comments_days_0_then_the_stream_sends_no_request(daily: BusinessEmulator) -> None:
    run = read_comments(daily, comments_days=0)
    assert run.records("comments") == []
    assert daily.counts == {}
    assert "'comments_days' is 0" in run.logs()


@pytest.mark.parametrize("code", [40001, 40002, 40130])
def test_given_one_posts_comments_refused_then_it_is_skipped_and_said_and_every_stream_goes_on(
    daily: BusinessEmulator, code: int
) -> None:
    """What a post with comments turned off gets is undocumented: whatever the refusal, that
    post is skipped with a warning naming it, and neither the other posts nor the other streams
    (read after comments) lose a row."""
    daily.knobs.comments_per_post = 3
    refused = daily.dataset.post(1)["item_id"]
    daily.knobs.refused_comments_code = code
    daily.knobs.refused_comment_posts = frozenset({refused})
    run = read_comments(daily, {"comments": "full_refresh", "videos": "full_refresh"})
    assert run.returncode == 0, run.errors()
    rows = run.records("comments")
    assert len(rows) == 6 * 3
    assert refused not in {row["video_id"] for row in rows}
    assert (
        f"TikTok refused the comments of post {refused} (TikTok API for Business code {code}"
        in (run.logs())
    )
    assert len(run.records("videos")) == POSTS


def test_given_every_posts_comments_refused_then_the_stream_is_unavailable_after_three(
    daily: BusinessEmulator,
) -> None:
    """Refused for the first three posts asked, none read: the account or app may not read
    comments; asking the other posts would only spend the 40 calls a minute."""
    daily.knobs.refused_comments_code = 40001
    run = read_comments(daily, {"comments": "full_refresh", "videos": "full_refresh"})
    assert run.returncode == 0, run.errors()
    assert run.records("comments") == []
    assert "Stream comments is unavailable: TikTok refused the comments of the first 3 posts" in (
        run.logs()
    )
    assert "(the last: TikTok API for Business code 40001" in run.logs()
    assert daily.counts[COMMENT_LIST_PATH] == 3
    assert len(run.records("videos")) == POSTS


def test_given_posts_refused_after_one_was_read_then_each_is_skipped_not_the_stream(
    daily: BusinessEmulator,
) -> None:
    daily.knobs.comments_per_post = 1
    daily.knobs.refused_comments_code = 40001
    daily.knobs.refused_comment_posts = frozenset(
        daily.dataset.post(index)["item_id"] for index in range(1, 7)
    )
    run = read_comments(daily)
    assert [row["video_id"] for row in run.records("comments")] == [
        daily.dataset.post(0)["item_id"]
    ]
    assert run.logs().count("TikTok refused the comments of post") == 6
    assert "is unavailable" not in run.logs()
