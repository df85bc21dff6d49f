"""Seeded, deterministic fake creator: one profile and its videos, shaped like TikTok's."""

from __future__ import annotations

import base64
import html
import random
import string
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list")

USER_FIELD_SCOPES = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}

VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
    "is_aigc",
)
AIGC_FIELD = "is_aigc"  # on the Video Object page since 2026-08-24: a deployment may not know it

COUNT_FIELDS = ("view_count", "like_count", "comment_count", "share_count")
INT32_MAX = 2**31 - 1
MAX_TEXT = 150
PAGE_BOUNDARY = 20  # the API's max_count: same-second groups are forced across these indices
COVER_TTL = 6 * 3600
CDN = "https://p16-sign-va.tiktokcdn.com"

_WORDS = (
    "day in my life",
    "recipe",
    "tutorial",
    "POV:",
    "wait for it",
    "part 2",
    "storytime",
    "café",
    "jalapeño",
    "crème brûlée",
    "Zürich",
    "naïve",
    "señora",
    "東京",
    "ラーメン",
    "서울",
    "Ελλάδα",
    "Москва",
    "مرحبا",
    "שלום",
    "हिन्दी",
    "ça va?",
    'say "cheese"',
    "50% off & more",
    "<3",
    "back\\slash",
    "new\nline",
    "tab\tbed",
    "don\u2019t",
    "— em dash —",
    "\U0001d4bb\U0001d4b6\U0001d4c3\U0001d4b8\U0001d4ce",
    "ﬁnal",
    "sourdough",
    "street food",
    "packing hacks",
    "get ready with me",
)
_EMOJI = ("🔥", "😂", "🍜", "✨", "❤️", "👩🏽‍🍳", "🇯🇵", "🧵", "🎧", "🐈‍⬛", "💯", "🌶️", "🙌🏾", "🏳️‍🌈")
_HASHTAGS = ("#fyp", "#foryou", "#cooking", "#travel", "#été", "#料理", "#tiktokfood", "#viral")
_TOKENS = _WORDS + _EMOJI * 2 + _HASHTAGS
_CREATORS = (
    (
        "Mara 🌿 Cooks",
        "mara.cooks",
        "Home cook 👩🏽‍🍳 | Zürich → 東京\nNew recipes every Tuesday ✨",
    ),
    ("Kenji\u2019s Kitchen 🍜", "kenjis_kitchen", "Ramen nerd 🍜 · 料理 · DMs open for collabs 📩"),
    (
        "Zoë ✨ Travels",
        "zoe.travels",
        "Carry-on only ✈️ 43 countries 🌍\n«Slow travel» > fast travel",
    ),
)


@dataclass
class Dataset:
    """Everything the emulator serves; `videos` is kept newest first."""

    profile: dict
    videos: list[dict]
    mid_size: bool = False  # a mid-size creator's counts, for videos added later too


# A mid-size creator: followers, total likes per follower, and each video's views (a lognormal:
# median about 10,000, a hit in a hundred near 100,000).
MID_SIZE_FOLLOWERS = (20_000, 120_000)
MID_SIZE_LIKES_PER_FOLLOWER = (8, 25)
MID_SIZE_VIEWS = (9.2, 1.0)


def listing_key(video: dict) -> tuple[int, int]:
    """Sort key of the listing order (newest first, same-second ties by id), used reversed."""
    return video["create_time"], int(video["id"])


def resign_cover(url: str, rng: random.Random, expires: int) -> str:
    """Give a CDN URL a fresh expiry and signature, as TikTok does every few hours."""
    return f"{url.split('?', 1)[0]}?x-expires={expires}&x-signature={_signature(rng)}"


def _signature(rng: random.Random) -> str:
    raw = base64.b64encode(rng.randbytes(20)).decode()
    return raw.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def _text(rng: random.Random, length: int) -> str:
    """Unicode-heavy caption of at most `length` code points (TikTok counts characters)."""
    return " ".join(rng.choices(_TOKENS, k=length // 5 + 1))[:length].strip()


class VideoFactory:
    """Makes videos in one creator's style; shared by the generator and `add_videos`."""

    def __init__(
        self,
        rng: random.Random,
        username: str,
        now: int,
        taken: Iterable[str] = (),
        mid_size: bool = False,
    ):
        self.rng = rng
        self.username = username
        self.now = now
        self.mid_size = mid_size
        self._taken = set(taken)

    def new_id(self, create_time: int) -> str:
        """Snowflake-like 19-digit id: creation second in the high bits, like real TikTok ids."""
        while True:
            video_id = str((create_time << 32) | self.rng.getrandbits(32))
            if video_id not in self._taken:
                self._taken.add(video_id)
                return video_id

    def make(self, create_time: int, index: int | None = None) -> dict:
        """One video; `index` (position in the generated set) pins some quirks deterministically."""
        rng = self.rng
        video_id = self.new_id(create_time)
        roll = rng.random()
        description = (
            "" if roll < 0.08 else _text(rng, MAX_TEXT if roll < 0.18 else rng.randint(1, 149))
        )
        title = _text(rng, rng.randint(1, MAX_TEXT)) if rng.random() < 0.35 else ""
        height, width = rng.choice(((1920, 1080), (1280, 720), (1024, 576), (720, 1280)))
        page = f"https://www.tiktok.com/@{self.username}/video/{video_id}"
        cover = f"{CDN}/obj/tos-maliva-p-0068/{rng.getrandbits(128):032x}"
        video = {
            "id": video_id,
            "create_time": create_time,
            "cover_image_url": resign_cover(cover, rng, self.now + COVER_TTL),
            "share_url": f"{page}?utm_campaign=tt4d_open_api&utm_source=emulator",
            "video_description": description,
            "duration": rng.randint(3, 600),
            "height": height,
            "width": width,
            "title": title,
            "embed_html": _embed_html(page, video_id, self.username, description),
            "embed_link": f"https://www.tiktok.com/player/v1/{video_id}?utm_campaign=tt4d_open_api",
        }
        video.update(self._counts(index))
        # From the id, so the rest of the seeded dataset stays as it was: one video in eight is
        # AI-generated; some generated (older) ones lack the field, as TikTok may leave it out.
        if index is None or index % 13 != 7:
            video[AIGC_FIELD] = int(video_id) % 8 == 0
        return video

    def _counts(self, index: int | None) -> dict:
        rng = self.rng
        if self.mid_size:
            views = int(rng.lognormvariate(*MID_SIZE_VIEWS))
        else:
            views = min(int(rng.lognormvariate(8, 2.5)), 2**40)
            if (index is not None and index % 31 == 3) or rng.random() < 0.01:
                views = rng.randint(2**31, 2**33)  # beyond int32: the schema must be int64
        likes = int(views * rng.uniform(0.01, 0.15))
        counts: dict[str, int | None] = {
            "like_count": min(likes, INT32_MAX),
            "comment_count": min(int(likes * rng.uniform(0.005, 0.05)), INT32_MAX),
            "share_count": min(int(likes * rng.uniform(0.001, 0.1)), INT32_MAX),
            "view_count": views,
        }
        if index == 0:
            return counts  # the newest video is always complete, handy for tests
        if (index is not None and index % 17 == 5) or rng.random() < 0.03:
            counts[rng.choice(COUNT_FIELDS) if index is None else "like_count"] = None
        if (index is not None and index % 19 == 9) or rng.random() < 0.02:
            del counts["comment_count"], counts["share_count"]
        return counts


def _embed_html(page: str, video_id: str, username: str, description: str) -> str:
    return (
        f'<blockquote class="tiktok-embed" cite="{page}" data-video-id="{video_id}" '
        f'data-embed-from="oembed" style="max-width:605px; min-width:325px;"> <section> '
        f'<a target="_blank" title="@{username}" href="https://www.tiktok.com/@{username}'
        f'?refer=embed">@{username}</a> <p>{html.escape(description)}</p> </section> '
        '</blockquote> <script async src="https://www.tiktok.com/embed.js"></script>'
    )


def timeline(rng: random.Random, count: int, newest: int) -> list[int]:
    """Descending create_times at irregular gaps, with same-second groups of 2-4 videos.

    A group is forced across every 20-video boundary so that paging by the API maximum
    always splits one second between two pages.
    """
    mean_gap = min(2 * 86400, 5 * 365 * 86400 / max(count, 1))
    times: list[int] = []
    current = newest
    while len(times) < count:
        index = len(times)
        boundary = (index // PAGE_BOUNDARY + 1) * PAGE_BOUNDARY
        if boundary - index <= 2 and boundary < count:
            size = boundary - index + rng.randint(1, 2)
        elif rng.random() < 0.06:
            size = min(rng.randint(2, 4), max(1, boundary - 2 - index))
        else:
            size = 1
        if times:
            current -= 60 + int(rng.expovariate(1 / mean_gap))
        times.extend([current] * min(size, count - index))
    return times


def generate_dataset(
    videos: int = 45, seed: int = 7, now: int = 1_760_000_000, mid_size: bool = False
) -> Dataset:
    """Deterministic for a given (videos, seed, now, mid_size); 100k videos take about a second.

    By default the counts are the extremes the connector must survive (views past int32,
    millions of followers and billions of likes); `mid_size` makes a creator a person would
    believe, for the demo and the emulator run by hand.
    """
    rng = random.Random(seed)
    display_name, username, bio = rng.choice(_CREATORS)
    avatar = f"{CDN}/tos-maliva-avt-0068/{rng.getrandbits(128):032x}"
    link = "".join(rng.choices(string.ascii_letters + string.digits, k=7))
    profile = {
        "open_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "union_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "avatar_url": resign_cover(f"{avatar}~c5_168x168.jpeg", rng, now + COVER_TTL),
        "avatar_url_100": resign_cover(f"{avatar}~c5_100x100.jpeg", rng, now + COVER_TTL),
        "avatar_large_url": resign_cover(f"{avatar}~c5_1080x1080.jpeg", rng, now + COVER_TTL),
        "display_name": display_name,
        "bio_description": bio,
        "profile_deep_link": f"https://vm.tiktok.com/ZM{link}/",
        "is_verified": rng.random() < 0.3,
        "username": username,
        "follower_count": rng.randint(1_000, 5_000_000),
        "following_count": rng.randint(0, 2_000),
        "likes_count": rng.randint(10_000, 3 * 2**31),
        "video_count": videos,
    }
    if mid_size:
        followers = rng.randint(*MID_SIZE_FOLLOWERS)
        profile["follower_count"] = followers
        profile["likes_count"] = followers * rng.randint(*MID_SIZE_LIKES_PER_FOLLOWER)
    factory = VideoFactory(rng, username, now, mid_size=mid_size)
    made = [factory.make(t, i) for i, t in enumerate(timeline(rng, videos, now))]
    made.sort(key=listing_key, reverse=True)
    return Dataset(profile=profile, videos=made, mid_size=mid_size)
