"""The comments stream against a mocked API for Business: which posts, which pages, which rows."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read

from source_tiktok_organic import SourceTiktokOrganic
from unit_tests.test_business_auth import API, REFRESH_URL, business_config, grant
from unit_tests.test_business_streams import LIST_URL, answer, query

COMMENTS_URL = API + "/open_api/v1.3/business/comment/list/"
SCOPES = "user.info.basic,video.list,comment.list"
DAY = 86_400
NOW = int(time.time())


def post(item_id: str, days_old: float) -> dict[str, Any]:
    return {"item_id": item_id, "create_time": str(int(NOW - days_old * DAY))}


def posts_page(*posts: dict[str, Any], has_more: bool = False) -> dict[str, Any]:
    oldest = min(int(p["create_time"]) for p in posts)
    return answer({"videos": list(posts), "cursor": oldest * 1000, "has_more": has_more})


def comment(comment_id: str, video_id: str, **fields: Any) -> dict[str, Any]:
    return {"comment_id": comment_id, "video_id": video_id, "text": "nice", **fields}


def comments_page(*items: dict[str, Any], cursor: Any = 30, has_more: bool = False) -> Any:
    return {"json": answer({"comments": list(items), "cursor": cursor, "has_more": has_more})}


@pytest.fixture
def api(requests_mock: Any) -> Any:
    requests_mock.post(REFRESH_URL, json=grant(scope=SCOPES))
    requests_mock.get(
        LIST_URL, json=posts_page(post("v1", 1), post("v3", 3), post("old", 10), has_more=True)
    )
    requests_mock.get(COMMENTS_URL, json=comments_page()["json"])
    return requests_mock


def read_comments(**config: Any) -> EntrypointOutput:
    catalog = CatalogBuilder().with_stream("comments", SyncMode.full_refresh).build()
    output = read(SourceTiktokOrganic(), business_config(**config), catalog)
    assert not output.errors, [e.trace.error.message for e in output.errors]
    return output


def calls(mock: Any, url: str) -> list[dict[str, Any]]:
    return [query(r) for r in mock.request_history if r.url.startswith(url)]


def rows(output: EntrypointOutput) -> list[dict[str, Any]]:
    return [message.record.data for message in output.records]


def test_given_posts_of_the_last_days_then_one_list_page_and_their_comments_only(
    api: Any,
) -> None:
    read_comments()
    [listed] = calls(api, LIST_URL)
    assert json.loads(listed["fields"]) == ["item_id", "create_time"]
    asked = calls(api, COMMENTS_URL)
    assert [call["video_id"] for call in asked] == ["v1", "v3"]
    for call in asked:
        assert (call["business_id"], call["max_count"], call["sort_field"]) == (
            "biz-open-id",
            "30",
            "create_time",
        )
        assert not {"cursor", "sort_order", "sort_type"} & set(call)


def test_given_comments_days_then_the_walk_goes_to_older_pages_only_while_posts_are_recent(
    api: Any,
) -> None:
    first = posts_page(post("v1", 1), post("v3", 3), has_more=True)
    api.get(LIST_URL, [{"json": first}, {"json": posts_page(post("v8", 8), post("v20", 20))}])
    read_comments(comments_days=10)
    listed = calls(api, LIST_URL)
    assert [call.get("cursor") for call in listed] == [None, str((NOW - 3 * DAY + 1) * 1000)]
    assert [call["video_id"] for call in calls(api, COMMENTS_URL)] == ["v1", "v3", "v8"]


def test_given_pages_of_comments_then_each_cursor_is_sent_back_and_each_comment_kept_once(
    api: Any,
) -> None:
    api.get(
        COMMENTS_URL,
        [
            comments_page(comment("c1", "v1"), comment("c2", "v1"), cursor="abc", has_more=True),
            comments_page(comment("c2", "v1"), comment("c3", "v1")),
            comments_page(comment("c4", "v3")),
        ],
    )
    output = read_comments()
    assert [row["comment_id"] for row in rows(output)] == ["c1", "c2", "c3", "c4"]
    assert [call.get("cursor") for call in calls(api, COMMENTS_URL)] == [None, "abc", None]


@pytest.mark.parametrize("create_time", [1_760_000_000, "1760000000", 1_760_000_000.0])
def test_given_a_comment_then_a_row_in_tiktoks_names_with_its_time_as_an_integer(
    api: Any, create_time: Any
) -> None:
    sent = comment("c1", "v1", likes=4, replies=2, create_time=create_time, pinned=True)
    api.get(COMMENTS_URL, [comments_page(sent), comments_page()])
    [row, *_] = rows(read_comments())
    assert row == {
        "comment_id": "c1",
        "video_id": "v1",
        "text": "nice",
        "likes": 4,
        "replies": 2,
        "create_time": 1_760_000_000,
        "pinned": True,
        "open_id": "biz-open-id",
    }
    assert type(row["create_time"]) is int


@pytest.mark.parametrize("said", [None, 7301, "another"])
def test_given_a_comment_then_its_video_id_is_the_post_asked_for(api: Any, said: Any) -> None:
    """The join key to videos: missing, a number or another id in the comment, it is the post's."""
    sent = {"comment_id": "c1", "likes": -1} | ({} if said is None else {"video_id": said})
    api.get(COMMENTS_URL, [comments_page(sent), comments_page()])
    [row] = rows(read_comments())
    assert (row["video_id"], row.get("likes")) == ("v1", None)


def test_given_comments_days_0_then_no_request_and_the_log_says_why(api: Any) -> None:
    output = read_comments(comments_days=0)
    assert calls(api, LIST_URL) == calls(api, COMMENTS_URL) == []
    assert any("'comments_days' is 0" in m.log.message for m in output.logs)


@pytest.mark.parametrize(
    ("granted", "missing"),
    [
        ("user.info.basic,video.list", "comment.list"),
        ("user.info.basic,comment.list", "video.list"),
    ],
)
def test_given_a_scope_missing_then_no_row_no_request_and_the_scope_named(
    requests_mock: Any, granted: str, missing: str
) -> None:
    """comment.list for the comments, video.list for the posts they are on."""
    requests_mock.post(REFRESH_URL, json=grant(scope=granted))
    output = read_comments()
    assert output.records == []
    assert [r.url for r in requests_mock.request_history if "/business/" in r.url] == []
    assert any(
        f"Stream comments is unavailable: the scope '{missing}' is not granted" in m.log.message
        for m in output.logs
    )


def test_given_a_post_at_the_first_second_then_it_is_read_and_the_walk_stops_below_it(
    api: Any,
) -> None:
    first = NOW - 2 * DAY
    edge = {"item_id": "edge", "create_time": str(first)}
    below = {"item_id": "below", "create_time": str(first - 1)}
    api.get(LIST_URL, json=posts_page(post("v1", 1), edge, below, has_more=True))
    read_comments(start_date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(first)))
    assert [call["video_id"] for call in calls(api, COMMENTS_URL)] == ["v1", "edge"]
    assert len(calls(api, LIST_URL)) == 1, "the next page could only hold older posts"


def test_given_a_start_date_inside_the_window_then_older_posts_are_left_out(api: Any) -> None:
    start = time.strftime("%Y-%m-%d", time.gmtime(NOW - 2 * DAY))
    read_comments(start_date=start)
    assert [call["video_id"] for call in calls(api, COMMENTS_URL)] == ["v1"]


def test_given_a_comment_whose_time_is_not_a_number_then_the_error_names_it(api: Any) -> None:
    api.get(COMMENTS_URL, json=comments_page(comment("c1", "v1", create_time="yesterday"))["json"])
    catalog = CatalogBuilder().with_stream("comments", SyncMode.full_refresh).build()
    output = read(SourceTiktokOrganic(), business_config(), catalog, expecting_exception=True)
    error = str(output.errors[0].trace.error.message)
    assert "comments record (id 'c1')" in error
    assert "'create_time' is 'yesterday'" in error
