"""The creator's videos behind the list and query endpoints, indexed for cheap paging."""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from tiktok_emulator.dataset import (
    COUNT_FIELDS,
    COVER_TTL,
    INT32_MAX,
    Dataset,
    VideoFactory,
    listing_key,
    resign_cover,
    timeline,
)


@dataclass(frozen=True)
class Snapshot:
    """Immutable view; request threads read one while tests mutate the catalog."""

    videos: tuple[dict, ...]  # listing order: newest first, same-second ties by id descending
    neg_cursor_keys: list[int]  # -create_time*1000 per video: ascending, so bisect works
    by_id: dict[str, dict]

    def start_before(self, cursor: int | None) -> int:
        """Index of the first video with create_time*1000 < cursor (0 without a cursor)."""
        return 0 if cursor is None else bisect_right(self.neg_cursor_keys, -cursor)


class Catalog:
    """Owns the live Dataset: mutations rewrite `dataset.videos` in place and re-index."""

    def __init__(self, dataset: Dataset, seed: int):
        self.dataset = dataset
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._factory = VideoFactory(
            self._rng,
            dataset.profile.get("username", "creator"),
            int(time.time()),
            taken=(v["id"] for v in dataset.videos),
            mid_size=dataset.mid_size,
        )
        self.snapshot = self._reindex(dataset.videos)

    def _reindex(self, videos: Iterable[dict]) -> Snapshot:
        ordered = sorted(videos, key=listing_key, reverse=True)
        self.dataset.videos[:] = ordered
        self.dataset.profile["video_count"] = len(ordered)
        return Snapshot(
            videos=tuple(ordered),
            neg_cursor_keys=[-v["create_time"] * 1000 for v in ordered],
            by_id={v["id"]: v for v in ordered},
        )

    def add_videos(self, count: int, newer: bool = True) -> list[dict]:
        """New videos strictly newer (or older) than every existing one, newest first."""
        with self._lock:
            current = self.snapshot.videos
            if newer:
                top = current[0]["create_time"] if current else int(time.time())
                times = [top + 60 * (count - i) for i in range(count)]
            else:
                bottom = current[-1]["create_time"] if current else int(time.time())
                times = timeline(self._rng, count, bottom - 3600)
            added = [self._factory.make(t) for t in times]
            self.snapshot = self._reindex([*current, *added])
        return added

    def unlisted_video(self, create_time: int) -> dict:
        """A video in the creator's style that the catalog (and the profile's count) leaves out."""
        with self._lock:
            return self._factory.make(create_time)

    def redate(self, video_id: str, create_time: int) -> None:
        """An API glitch: one video's create_time changes (to the future, say)."""
        with self._lock:
            videos = self.snapshot.videos
            self.snapshot = self._reindex(
                {**v, "create_time": create_time} if v["id"] == video_id else v for v in videos
            )

    def add_videos_at(self, times: Iterable[int]) -> list[dict]:
        """New videos posted at the given times."""
        with self._lock:
            added = [self._factory.make(t) for t in times]
            self.snapshot = self._reindex([*self.snapshot.videos, *added])
        return added

    def delete_videos(self, ids: Iterable[str]) -> None:
        doomed = set(ids)
        with self._lock:
            missing = doomed.difference(self.snapshot.by_id)
            if missing:
                raise KeyError(f"no such videos: {sorted(missing)}")
            self.snapshot = self._reindex(v for v in self.snapshot.videos if v["id"] not in doomed)

    def put_back(self, videos: Iterable[dict]) -> None:
        """Deleted videos listed again, as when a creator makes a private video public."""
        with self._lock:
            returning = [v for v in videos if v["id"] not in self.snapshot.by_id]
            self.snapshot = self._reindex([*self.snapshot.videos, *returning])

    def bump_counts(self, ids: Iterable[str] | None, factor: float) -> list[dict]:
        """Engagement grows (by at least 1) and the cover gets a fresh signature.

        Counts that are null or missing stay so: TikTok does not start reporting them later.
        Videos are replaced, not mutated, so a page being serialized never sees a half update.
        """
        with self._lock:
            by_id = self.snapshot.by_id
            wanted = set(by_id) if ids is None else set(ids)
            missing = wanted.difference(by_id)
            if missing:
                raise KeyError(f"no such videos: {sorted(missing)}")
            expires = int(time.time()) + COVER_TTL
            bumped = {}
            for video_id in wanted:
                video = dict(by_id[video_id])
                for name in COUNT_FIELDS:
                    value = video.get(name)
                    if isinstance(value, int):
                        grown = max(int(value * factor), value + 1)
                        video[name] = grown if name == "view_count" else min(grown, INT32_MAX)
                video["cover_image_url"] = resign_cover(
                    video["cover_image_url"], self._rng, expires
                )
                bumped[video_id] = video
            self.snapshot = self._reindex(bumped.get(v["id"], v) for v in self.snapshot.videos)
        return [v for v in self.snapshot.videos if v["id"] in bumped]
