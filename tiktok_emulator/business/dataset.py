"""A seeded business account: profile, daily insights and posts, each derived on demand.

Only the posts' timestamps are made up front (a few microseconds each), so a 2,000-post account
builds at once; a post's or a day's numbers come from its own seed when a page asks for them.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from tiktok_emulator.business.fields import CONTACT_FIELDS
from tiktok_emulator.dataset import CDN, COVER_TTL, resign_cover

HISTORY_DAYS = 90
SAME_SECOND_EVERY = 7  # every 7th post shares its second with the one before it
_CAPTION_WORDS = (
    "day in my life",
    "recipe",
    "tutorial",
    "POV:",
    "storytime",
    "café",
    "東京",
    "#fyp",
)
_AGES = ("18-24", "25-34", "35-44", "45-54", "55+")
_GENDERS = ("Female", "Male", "Other")
_COUNTRIES = ("US", "GB", "DE", "FR", "BR", "JP", "KR", "MX", "CA", "AU", "IN", "ES", "IT")
_CITIES = (
    "New York",
    "London",
    "Berlin",
    "Paris",
    "São Paulo",
    "Tokyo",
    "Seoul",
    "Toronto",
    "Sydney",
    "Madrid",
    "Rome",
    "Mumbai",
)
_SOURCES = ("For You", "Follow", "Sound", "Personal Profile", "Search", "Others", "Direct Message")


@dataclass(frozen=True)
class BusinessDataset:
    seed: int
    now: int  # epoch seconds: "today" and every age are measured from it
    profile: dict
    post_times_ms: tuple[int, ...]  # newest first, all distinct
    created: dt.date  # the account's first day: no metrics before it

    @property
    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.now, dt.UTC).date()

    def post(self, index: int, created_ms: int | None = None) -> dict:
        """The `index`-th newest post with lifetime totals, as video/list would show it.

        With `created_ms`, a post posted then that the account's list and count leave out.
        """
        rng = random.Random(f"{self.seed}:post:{index}")
        created = (self.post_times_ms[index] if created_ms is None else created_ms) // 1000
        item_id = str((created << 32) | index)
        photo = rng.random() < 0.15
        duration = round(rng.uniform(3, 30) if photo else rng.uniform(5, 180), 3)
        views = int(rng.lognormvariate(8, 1.5)) + 1
        average = round(duration * rng.uniform(0.2, 0.8), 3)
        seconds = [str(s) for s in range(0, int(duration) + 1, max(1, int(duration) // 30))]
        username = self.profile["username"]
        return {
            "item_id": item_id,
            "media_type": "PHOTO" if photo else "VIDEO",
            "is_ad": rng.random() < 0.05,
            "thumbnail_url": resign_cover(
                f"{CDN}/obj/tos-maliva-p-0068/{rng.getrandbits(128):032x}",
                rng,
                self.now + COVER_TTL,
            ),
            "share_url": f"https://www.tiktok.com/@{username}/video/{item_id}",
            "embed_url": f"https://www.tiktok.com/player/v1/{item_id}",
            "caption": " ".join(rng.sample(_CAPTION_WORDS, rng.randint(1, 4))),
            "create_time": str(created),
            "video_duration": duration,
            "likes": int(views * rng.uniform(0.02, 0.12)),
            "comments": int(views * rng.uniform(0.001, 0.01)),
            "shares": int(views * rng.uniform(0.001, 0.02)),
            "favorites": int(views * rng.uniform(0.002, 0.03)),
            "reach": int(views * rng.uniform(0.6, 0.95)),
            "video_views": views,
            "total_time_watched": round(views * average, 3),
            "average_time_watched": average,
            "full_video_watched_rate": round(rng.uniform(0.02, 0.5), 4),
            "new_followers": int(views * rng.uniform(0, 0.005)),
            "profile_views": int(views * rng.uniform(0.005, 0.03)),
            "website_clicks": rng.randint(0, 40),
            **{f: rng.randint(0, 15) for f in CONTACT_FIELDS},
            "video_view_retention": _retention(rng, seconds),
            "engagement_likes": [
                {"second": s, "percentage": round(rng.uniform(0, 0.05), 4)} for s in seconds
            ],
            "impression_sources": _shares(rng, "impression_source", _SOURCES),
            "audience_genders": _shares(rng, "gender", _GENDERS),
            "audience_countries": _shares(rng, "country", rng.sample(_COUNTRIES, 10)),
            "audience_cities": _shares(rng, "city_name", rng.sample(_CITIES, 10)),
            "audience_types": [
                *_shares(rng, "type", ("NEW_VIEWER", "RETURN_VIEWER")),
                *_shares(rng, "type", ("FOLLOWER_PERCENT", "NON_FOLLOWER_PERCENT")),
            ],
        }

    def day(self, date: dt.date) -> dict:
        """One day of account insights, complete; what is not out yet is the API's business."""
        rng = random.Random(f"{self.seed}:day:{date.isoformat()}")
        followers = self._followers_on(date)
        net = followers - self._followers_on(date - dt.timedelta(days=1))
        new = rng.randint(0, 30) + max(net, 0)
        views = rng.randint(500, 50_000)
        return {
            "date": date.isoformat(),
            "video_views": views,
            "profile_views": rng.randint(10, 2_000),
            "likes": int(views * rng.uniform(0.02, 0.1)),
            "comments": rng.randint(0, 300),
            "shares": rng.randint(0, 200),
            "followers_count": followers,
            "unique_video_views": int(views * rng.uniform(0.5, 0.9)),
            "daily_total_followers": net,
            "daily_new_followers": new,
            "daily_lost_followers": new - net,
            "engaged_audience": rng.randint(10, 3_000),
            "audience_activity": [
                {"hour": str(h), "count": rng.randint(0, 900)} for h in range(24)
            ],
            **{f: rng.randint(0, 20) for f in (*CONTACT_FIELDS, "bio_link_clicks")},
        }

    def _followers_on(self, date: dt.date) -> int:
        days_back = (self.today - date).days
        wobble = random.Random(f"{self.seed}:followers:{date.isoformat()}").randint(-20, 20)
        return max(0, int(self.profile["followers_count"] * (1 - 0.003 * days_back)) + wobble)


def generate_business_dataset(
    posts: int = 45, seed: int = 7, now: int = 1_760_000_000, post_every: int | None = None
) -> BusinessDataset:
    """Posts from a few hours back to months ago, or one each `post_every` seconds from half
    that ago (no post near a whole number of periods back); the account predates its oldest."""
    rng = random.Random(f"{seed}:account")
    username = f"shop.{rng.getrandbits(24):06x}"
    followers = rng.randint(5_000, 500_000)
    profile = {
        "open_id": f"-000{uuid.UUID(int=rng.getrandbits(128)).hex}",
        "username": username,
        "display_name": f"Shop {username[5:].upper()}",
        "profile_image": resign_cover(
            f"{CDN}/tos-maliva-avt-0068/{rng.getrandbits(128):032x}", rng, now + COVER_TTL
        ),
        "profile_deep_link": f"https://vm.tiktok.com/{rng.getrandbits(40):010X}/",
        "bio_description": "Handmade things ✨ ships worldwide",
        "is_verified": False,
        "following_count": rng.randint(10, 900),
        "followers_count": followers,
        "total_likes": followers * rng.randint(5, 40),
        "videos_count": posts,
        "audience_ages": _shares(rng, "age", _AGES),
        "audience_genders": _shares(rng, "gender", _GENDERS),
        "audience_countries": _shares(rng, "country", _COUNTRIES),
        "audience_cities": _shares(rng, "city_name", _CITIES),
    }
    if post_every is None:
        times = _timeline(rng, posts, now)
    else:
        times = tuple((now - post_every // 2 - k * post_every) * 1000 + 500 for k in range(posts))
    oldest = (
        min(times[-1] // 1000, now - HISTORY_DAYS * 86400) if times else now - HISTORY_DAYS * 86400
    )
    created = dt.datetime.fromtimestamp(oldest, dt.UTC).date()
    return BusinessDataset(seed, now, profile, times, created)


def _timeline(rng: random.Random, count: int, now: int) -> tuple[int, ...]:
    """Newest first, in ms; posts that share a second differ in their milliseconds."""
    times: list[int] = []
    second = now - rng.randint(2 * 3600, 20 * 3600)
    for index in range(count):
        if times and index % SAME_SECOND_EVERY == SAME_SECOND_EVERY - 1:
            times.append(second * 1000 + rng.randrange(times[-1] % 1000))
            continue
        if times:
            second -= rng.randint(600, 40 * 3600)
        times.append(second * 1000 + rng.randrange(500, 1000))
    return tuple(times)


def _shares(rng: random.Random, key: str, labels: tuple[str, ...] | list[str]) -> list[dict]:
    """A breakdown whose percentages (0-1) sum to about 1, largest first."""
    weights = sorted((rng.random() ** 2 + 0.01 for _ in labels), reverse=True)
    total = sum(weights)
    return [
        {key: label, "percentage": round(w / total, 4)}
        for label, w in zip(labels, weights, strict=True)
    ]


def long_retention(entries: int) -> list[dict]:
    """A retention curve of `entries` seconds, falling evenly from all viewers to none."""
    return [
        {"second": str(second), "percentage": round(1 - second / entries, 4)}
        for second in range(entries)
    ]


def _retention(rng: random.Random, seconds: list[str]) -> list[dict]:
    remaining, points = 1.0, []
    for second in seconds:
        points.append({"second": second, "percentage": round(remaining, 4)})
        remaining *= rng.uniform(0.8, 0.99)
    return points
