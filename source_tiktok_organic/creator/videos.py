"""The creator's video list (Display API "List Videos"), for `videos` and `video_stats`."""

from __future__ import annotations

from typing import Any

import requests

from source_tiktok_organic.core.fields import VIDEO_COUNT_FIELDS
from source_tiktok_organic.core.list_streams import VIDEO_STATS, VIDEOS, ListSource
from source_tiktok_organic.core.pagination import VideoPage, to_video_page
from source_tiktok_organic.core.records import conform
from source_tiktok_organic.core.streams import SyncContext
from source_tiktok_organic.core.video_list import PageRequest
from source_tiktok_organic.core.windows import PAGE_SIZE
from source_tiktok_organic.creator.answers import answer_data
from source_tiktok_organic.creator.errors import naming_log_id, read_envelope
from source_tiktok_organic.creator.fields import VIDEO_FIELDS, VIDEO_LIST_SCOPE


class CreatorVideoList:
    """POST /v2/video/list/: the fields in the query, the page size and cursor in the body."""

    def page_request(self, cursor: int | None) -> PageRequest:
        body: dict[str, Any] = {"max_count": PAGE_SIZE}
        if cursor is not None:
            body["cursor"] = cursor
        return PageRequest("POST", "video/list/", {"fields": VIDEO_FIELDS}, body)

    def read_page(self, response: requests.Response) -> VideoPage:
        """The answer's videos, held to the schema, and where the list goes on."""
        envelope = read_envelope(response)
        with naming_log_id(envelope.log_id):
            page = to_video_page(answer_data(envelope, "the video list"), envelope.log_id)
            for video in page.videos:
                conform(video, VIDEOS)
        return page


def creator_list(context: SyncContext) -> ListSource:
    return ListSource(
        api=lambda _logger: CreatorVideoList(),
        schemas={VIDEOS: VIDEOS, VIDEO_STATS: VIDEO_STATS},
        # what video_stats keeps of a video at each sync: its engagement counts
        snapshot_of=lambda video: {field: video.get(field) for field in VIDEO_COUNT_FIELDS},
        scope=VIDEO_LIST_SCOPE,
    )
