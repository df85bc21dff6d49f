"""The comment list's paging, pure so every guard is testable: the reference (section 5) leaves
the cursor's meaning open and warns that past about 500 comments some come twice."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.models import FailureType

from source_tiktok_organic.core.errors import naming, traced_error
from source_tiktok_organic.core.pagination import MAX_BARREN_PAGES, MAX_STALLS

COMMENTS_PER_PAGE = 30  # the most max_count allows
Cursor = int | str  # an offset by the docs, but passed back as it came: it may be opaque


@dataclass(frozen=True)
class CommentPage:
    """One `data` object of GET /business/comment/list/."""

    comments: list[dict[str, Any]]
    cursor: Cursor | None
    has_more: bool
    request_id: str = ""


class CommentPager:
    """Feeds on one post's pages, returns the comments `seen` lacks and knows the next cursor.

    `seen` is the sync's, so a comment TikTok repeats, on this post or any other, comes out once.
    """

    def __init__(self, post_id: str, seen: set[str]) -> None:
        self.post_id = post_id
        self.cursor: Cursor | None = None
        self.done = False
        self._seen = seen
        self._stalls = 0
        self._barren = 0

    def accept(self, page: CommentPage) -> list[dict[str, Any]]:
        with naming(f"request_id: {page.request_id or 'none'}"):
            fresh = [comment for comment in page.comments if self._is_new(comment)]
            self._barren = 0 if fresh else self._barren + 1
            if self._barren > MAX_BARREN_PAGES:
                raise self._endless(f"{self._barren} pages in a row brought no new comment")
            if not page.has_more:
                self.done = True
            elif page.cursor is None:
                raise traced_error(
                    f"TikTok said more comments on post {self.post_id} follow but sent no cursor."
                )
            elif page.cursor == self.cursor:
                self._stalls += 1
                if self._stalls > MAX_STALLS:
                    raise self._endless(
                        f"its cursor {page.cursor!r} came back {self._stalls} times"
                    )
            else:
                self._stalls = 0
                self.cursor = page.cursor
        return fresh

    def _is_new(self, comment: dict[str, Any]) -> bool:
        comment_id = comment.get("comment_id")
        if type(comment_id) is int and comment_id >= 0:  # the reference leaves its type open
            comment_id = comment["comment_id"] = str(comment_id)
        if not isinstance(comment_id, str) or not comment_id:
            raise traced_error(
                f"TikTok sent a comment on post {self.post_id} without a string comment_id "
                f"({comment_id!r:.40})."
            )
        if comment_id in self._seen:
            return False
        self._seen.add(comment_id)
        return True

    def _endless(self, reason: str) -> Exception:
        return traced_error(
            f"TikTok's comment list of post {self.post_id} says more comments follow, but "
            f"{reason}. The sync stops here instead of looping; run it again later, and if it "
            "persists report it to TikTok.",
            FailureType.transient_error,
        )


def to_comment_page(data: Mapping[str, Any], request_id: str) -> CommentPage:
    """Strict about shape: a wrong `has_more` or `comments` must stop the sync, not end it."""
    comments = [] if data.get("comments") is None else data["comments"]
    has_more, cursor = data.get("has_more"), data.get("cursor")
    if not isinstance(comments, list) or not all(isinstance(item, dict) for item in comments):
        raise _malformed("'comments' is not a list of objects")
    if not isinstance(has_more, bool):
        raise _malformed(f"'has_more' is {has_more!r:.40}, not a boolean")
    if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int | str)):
        raise _malformed(f"'cursor' is {cursor!r:.40}, neither a number nor a string")
    return CommentPage(comments, cursor, has_more, request_id)


def _malformed(reason: str) -> Exception:
    return traced_error(f"TikTok's comment list answer is malformed: {reason}.")
