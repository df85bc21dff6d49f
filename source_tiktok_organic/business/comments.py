"""The comments on the account's recent posts, re-read whole each sync so their likes and reply
counts stay fresh: the posts come from one bounded walk of the video list, newest first."""

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.core import StreamData

from source_tiktok_organic.business.auth import business_id
from source_tiktok_organic.business.comment_pages import (
    COMMENTS_PER_PAGE,
    CommentPager,
    to_comment_page,
)
from source_tiktok_organic.business.errors import (
    POST_REFUSALS,
    BusinessEnvelope,
    business_data,
    read_business_envelope,
)
from source_tiktok_organic.business.records import honest_row
from source_tiktok_organic.business.streams import BusinessVideoList, scopes_granted
from source_tiktok_organic.core.fields import VIDEO_LIST_SCOPE
from source_tiktok_organic.core.pagination import VideoPager
from source_tiktok_organic.core.records import conform
from source_tiktok_organic.core.streams import ApiStream

COMMENT_SCOPE = "comment.list"
# A post's id and age are all the walk needs of the video list.
POST_TIMES = {"item_id": VIDEO_LIST_SCOPE, "create_time": VIDEO_LIST_SCOPE}
# Sorted, so a cursor pages through one order: unsorted, TikTok answers in random order
# (reference, section 5). No direction is sent: the docs disagree on its name.
SORT_FIELD = "create_time"
# Refused posts in a row, none read yet, after which comments are taken to be refused outright.
REFUSED_BEFORE_GIVING_UP = 3


class Comments(ApiStream):
    """GET /open_api/v1.3/business/comment/list/ for each post of the last `comments_days` days."""

    name = "comments"
    primary_key = "comment_id"

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        days = self.context.settings.comments_days
        if not days:
            self.logger.info("Stream comments is off: config field 'comments_days' is 0.")
            return
        if not scopes_granted(self, COMMENT_SCOPE, VIDEO_LIST_SCOPE):
            return
        owner = business_id(self._auth)
        seen: set[str] = set()  # TikTok may repeat a comment past about 500 on a post
        refused = RefusedPosts(self.logger)
        for post_id in self.recent_posts(self.floor(days)):
            for comment in self.post_comments(owner, post_id, seen, refused):
                # the post asked about, whatever the comment says: the join key to videos
                row = {**honest_row(comment), "video_id": post_id, "open_id": owner}
                yield conform(row, self.name)
            if refused.of_every_post:
                return

    def floor(self, days: int) -> int:
        """The oldest creation second read: `days` before the sync, or start_date if later."""
        since = datetime.fromisoformat(self.context.snapshot_at) - timedelta(days=days)
        return max(int(since.timestamp()), self.context.settings.start_time or 0)

    def recent_posts(self, floor: int) -> Iterator[str]:
        """The ids of the posts created at or after `floor`, newest first, stopping below it."""
        api = BusinessVideoList(self._auth, self.logger, POST_TIMES)
        pager = VideoPager()
        while True:
            wanted = api.page_request(pager.cursor)
            page = api.read_page(self.fetch(wanted.path, wanted.params))
            for post in pager.accept(page):
                if post["create_time"] >= floor:
                    yield post["id"]
            if pager.done or (pager.cursor is not None and pager.cursor <= floor * 1000):
                return  # the next page could only hold older posts

    def post_comments(
        self, owner: str, post_id: str, seen: set[str], refused: "RefusedPosts"
    ) -> Iterator[dict[str, Any]]:
        """One post's comments not yet in `seen`, a page of 30 a request; none if refused."""
        pager = CommentPager(post_id, seen)
        while not pager.done:
            params = {
                "business_id": owner,
                "video_id": post_id,
                "max_count": COMMENTS_PER_PAGE,
                "sort_field": SORT_FIELD,
            }
            if pager.cursor is not None:
                params["cursor"] = pager.cursor
            response = self.fetch("business/comment/list/", params)
            if (answer := read_business_envelope(response)).code in POST_REFUSALS:
                refused.add(post_id, answer)
                return
            with business_data(response, f"the comments of post {post_id}") as (data, envelope):
                fresh = pager.accept(to_comment_page(data, envelope.request_id))
            refused.read_one = True
            yield from fresh


class RefusedPosts:
    """Posts whose comments TikTok refused: each skipped with a warning, unless the first ones
    asked all were, which says the account or app may not read comments at all."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.read_one = False
        self.of_every_post = False
        self._refused = 0

    def add(self, post_id: str, answer: BusinessEnvelope) -> None:
        self._refused += 1
        if self.read_one or self._refused < REFUSED_BEFORE_GIVING_UP:
            self.logger.warning(
                "TikTok refused the comments of post %s (%s): stream comments skips it.",
                post_id,
                answer.describe(),
            )
            return
        self.of_every_post = True
        self.logger.warning(
            "Stream comments is unavailable: TikTok refused the comments of the first %d posts "
            "asked (the last: %s). Check that your TikTok API for Business app may read comments "
            "and that the account granted 'comment.list', then re-authorize it; the other "
            "streams go on.",
            self._refused,
            answer.describe(),
        )
