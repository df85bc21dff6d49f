"""GET /business/comment/list/: a post's seeded comments, sorted or not, paged by a cursor, with
the open variants of the reference (section 5) played as the knobs say."""

from __future__ import annotations

import random
import secrets
import threading

from tiktok_emulator.business.dataset import BusinessDataset
from tiktok_emulator.business.envelope import ApiError
from tiktok_emulator.business.knobs import Knobs
from tiktok_emulator.business.params import int_param
from tiktok_emulator.messages import Request

COMMENT_SCOPE = "comment.list"
DEFAULT_MAX_COUNT = 20
MAX_COUNT = 30
SORT_FIELDS = ("likes", "replies", "create_time")
SORT_ORDERS = ("asc", "desc")
STATUSES = ("ALL", "PUBLIC")
REPEATS_FROM = 500  # past this many comments, TikTok "may" send some twice
REPEATED = 5  # comments of the page before that such a page repeats
OPAQUE_FLOOR = 10**15
_WORDS = ("love this", "where is it from?", "😍", "so good", "need it", "first!", "wow", "ok")


def post_comments(dataset: BusinessDataset, video_id: str, knobs: Knobs) -> list[dict]:
    """Every comment on the post, oldest first; raises 40002 when the account has no such post."""
    index = int(video_id) & 0xFFFFFFFF if video_id.isdigit() else -1
    post = dataset.post(index) if 0 <= index < len(dataset.post_times_ms) else {}
    if post.get("item_id") != video_id:
        raise ApiError(40002, f"video_id {video_id} is not a post of this account")
    count = post["comments"] if knobs.comments_per_post is None else knobs.comments_per_post
    posted = int(post["create_time"])
    return [_comment(dataset, video_id, posted, number) for number in range(count)]


def _comment(dataset: BusinessDataset, video_id: str, posted: int, number: int) -> dict:
    rng = random.Random(f"{dataset.seed}:comment:{video_id}:{number}")
    created = rng.randint(posted, max(posted, dataset.now - 60))
    user = rng.getrandbits(40)
    return {
        "comment_id": f"{video_id}{number:06d}",
        "video_id": video_id,
        "user_id": f"{user:010x}",
        "username": f"fan.{user:010x}",
        "display_name": f"Fan {user % 1000}",
        "create_time": created,
        "text": rng.choice(_WORDS),
        "likes": int(rng.lognormvariate(1, 1.5)),
        "replies": rng.choice((0, 0, 0, 1, 2, 5)),
        "parent_comment_id": video_id,
        "owner": rng.random() < 0.05,
        "liked": rng.random() < 0.1,
        "pinned": number == 0,
        "status": "HIDDEN" if rng.random() < 0.03 else "PUBLIC",
    }


class CommentLists:
    """Answers comment/list from a post's comments: filter, order, then one page at a cursor."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._opaque: dict[int, int] = {}  # opaque cursor handed out -> offset it stands for

    def page(
        self, request: Request, scopes: frozenset[str], dataset: BusinessDataset, knobs: Knobs
    ) -> dict:
        if COMMENT_SCOPE not in scopes:
            raise ApiError(knobs.unscoped_field_code, f"Scope {COMMENT_SCOPE} is not authorized.")
        video_id = request.query.get("video_id")
        if not video_id:
            raise ApiError(40002, "video_id is required")
        refused = knobs.refused_comment_posts
        if knobs.refused_comments_code and (refused is None or video_id in refused):
            raise ApiError(knobs.refused_comments_code, "Comments of this post can not be read.")
        max_count = int_param(request, "max_count")
        max_count = DEFAULT_MAX_COUNT if max_count is None else max_count
        if not 1 <= max_count <= MAX_COUNT:
            raise ApiError(40002, f"max_count must be in 1..{MAX_COUNT}")
        comments = _ordered(request, post_comments(dataset, video_id, knobs), knobs)
        start = self._offset(int_param(request, "cursor"), knobs)
        size = random.Random(f"{video_id}:{start}").randint(1, max_count)
        size = size if knobs.short_pages else max_count
        repeated = min(REPEATED, size - 1) if knobs.comment_repeats and start >= REPEATS_FROM else 0
        end = min(start + size - repeated, len(comments))
        shown = comments[start - repeated : end]
        if knobs.comment_time == "string":
            shown = [{**comment, "create_time": str(comment["create_time"])} for comment in shown]
        cursor = self._cursor(end, knobs)
        return {"comments": shown, "cursor": cursor, "has_more": end < len(comments)}

    def _offset(self, cursor: int | None, knobs: Knobs) -> int:
        if cursor is None:
            return 0
        if knobs.comment_cursor == "opaque":
            with self._lock:
                if cursor not in self._opaque:
                    raise ApiError(40002, "cursor is invalid")
                return self._opaque[cursor]
        if cursor < 0:
            raise ApiError(40002, "cursor must not be negative")
        return cursor

    def _cursor(self, offset: int, knobs: Knobs) -> int:
        if knobs.comment_cursor == "offset":
            return offset
        token = OPAQUE_FLOOR + secrets.randbelow(OPAQUE_FLOOR)
        with self._lock:
            self._opaque[token] = offset
        return token


def _ordered(request: Request, comments: list[dict], knobs: Knobs) -> list[dict]:
    """Filtered by `status`, sorted by `sort_field` in the direction the knob names, or random."""
    query = request.query
    status = query.get("status", "ALL")
    if status not in STATUSES:
        raise ApiError(40002, f"status must be one of {STATUSES}")
    if status == "PUBLIC":
        comments = [comment for comment in comments if comment["status"] == "PUBLIC"]
    ignored = ({"sort_order", "sort_type"} - {knobs.comment_sort_param}) & set(query)
    if ignored:
        raise ApiError(40002, f"Unknown parameter: {ignored.pop()}")
    order = query.get(knobs.comment_sort_param, "desc")
    if order not in SORT_ORDERS:
        raise ApiError(40002, f"{knobs.comment_sort_param} must be one of {SORT_ORDERS}")
    field = query.get("sort_field")
    if field is None:
        if knobs.unsorted_comments == "random":
            return random.sample(comments, len(comments))  # a new order on every call
        field = "create_time"
    if field not in SORT_FIELDS:
        raise ApiError(40002, f"sort_field must be one of {SORT_FIELDS}")
    return sorted(comments, key=lambda c: (c[field], c["comment_id"]), reverse=order == "desc")
