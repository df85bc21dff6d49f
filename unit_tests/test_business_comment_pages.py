"""The comment list's pager and page parser: every guard, without HTTP."""

from typing import Any

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.business.comment_pages import (
    CommentPage,
    CommentPager,
    to_comment_page,
)
from source_tiktok_organic.core.pagination import MAX_BARREN_PAGES, MAX_STALLS


def comments(*ids: str) -> list[dict[str, Any]]:
    return [{"comment_id": comment_id, "text": "hi"} for comment_id in ids]


def page(*ids: str, cursor: int | str | None = 30, has_more: bool = True) -> CommentPage:
    return CommentPage(comments(*ids), cursor, has_more, "req-9")


def test_given_pages_then_the_cursor_tiktok_sent_is_passed_back_as_it_came() -> None:
    pager = CommentPager("v1", set())
    assert pager.cursor is None
    assert [c["comment_id"] for c in pager.accept(page("a", "b", cursor="opaque-1"))] == ["a", "b"]
    assert pager.cursor == "opaque-1"
    pager.accept(page("c", has_more=False))
    assert pager.done


def test_given_a_comment_repeated_on_a_later_page_or_post_then_it_comes_out_once() -> None:
    seen: set[str] = set()
    first = CommentPager("v1", seen)
    assert len(first.accept(page("a", "b", cursor=30))) == 2
    assert [c["comment_id"] for c in first.accept(page("b", "c", cursor=60))] == ["c"]
    assert CommentPager("v2", seen).accept(page("a", "d", has_more=False)) == comments("d")


def test_given_a_cursor_that_comes_back_then_the_sync_stops_after_a_few_tries() -> None:
    pager = CommentPager("v1", set())
    pager.accept(page("a", cursor=30))
    for number in range(MAX_STALLS):
        pager.accept(page(f"new{number}", cursor=30))
    with pytest.raises(AirbyteTracedException) as raised:
        pager.accept(page("later", cursor=30))
    assert raised.value.failure_type == FailureType.transient_error
    assert "comment list of post v1" in str(raised.value.message)
    assert "request_id: req-9" in str(raised.value.message)


def test_given_pages_of_only_repeats_then_the_sync_stops_instead_of_looping() -> None:
    pager = CommentPager("v1", set())
    pager.accept(page("a", cursor=0))
    for offset in range(1, MAX_BARREN_PAGES + 1):
        assert pager.accept(page("a", cursor=offset * 30)) == []
    with pytest.raises(AirbyteTracedException, match="pages in a row brought no new comment"):
        pager.accept(page("a", cursor=999))


def test_given_barren_pages_from_the_first_then_as_many_as_allowed_before_stopping() -> None:
    pager = CommentPager("v1", {"a"})  # "a" came on another post already
    for offset in range(MAX_BARREN_PAGES):
        assert pager.accept(page("a", cursor=offset * 30)) == []
    with pytest.raises(AirbyteTracedException, match="pages in a row brought no new comment"):
        pager.accept(page("a", cursor=999))


def test_given_has_more_without_a_cursor_then_a_clear_error() -> None:
    with pytest.raises(AirbyteTracedException, match="more comments on post v1 follow but"):
        CommentPager("v1", set()).accept(page("a", cursor=None))


@pytest.mark.parametrize("comment_id", [None, "", True, -12, 1.5])
def test_given_a_comment_without_a_string_id_then_a_clear_error(comment_id: object) -> None:
    broken = CommentPage([{"comment_id": comment_id}], 30, True)
    with pytest.raises(AirbyteTracedException, match="without a string comment_id"):
        CommentPager("v1", set()).accept(broken)


def test_given_a_whole_number_comment_id_then_it_is_kept_as_its_digits() -> None:
    """The reference leaves the id's type open: a number comes out as the string of its digits."""
    pager = CommentPager("v1", {"7"})
    fresh = pager.accept(CommentPage([{"comment_id": 7}, {"comment_id": 8}], 30, False))
    assert fresh == [{"comment_id": "8"}]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"comments": {}, "has_more": False}, "'comments' is not a list of objects"),
        ({"comments": ["x"], "has_more": False}, "'comments' is not a list of objects"),
        ({"comments": [], "has_more": "false"}, "'has_more' is 'false', not a boolean"),
        ({"comments": [], "has_more": True, "cursor": True}, "'cursor' is True"),
        ({"comments": [], "has_more": True, "cursor": 1.5}, "'cursor' is 1.5"),
    ],
)
def test_given_a_malformed_page_then_the_error_says_what_is_wrong(
    data: dict[str, Any], said: str
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        to_comment_page(data, "req-1")
    assert said in str(raised.value.message)


def test_given_null_comments_then_an_empty_page() -> None:
    parsed = to_comment_page({"comments": None, "has_more": False, "cursor": 0}, "req-1")
    assert parsed == CommentPage([], 0, False, "req-1")
