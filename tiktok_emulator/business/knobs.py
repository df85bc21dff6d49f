"""The API for Business behaviours the docs leave open: tests flip these while the emulator runs."""

from __future__ import annotations

from dataclasses import dataclass

from tiktok_emulator.tokens import ROTATIONS

ACCOUNT_TYPES = ("personal", "business", "registered")  # registered: a registered Business
UNAVAILABLE_STYLES = ("missing", "null", "minus_one")  # -1 was seen in production
CURSOR_STYLES = ("timestamp", "opaque")
OLD_START_DATES = ("error", "clamp")
PERCENTAGE_SCALES = (1, 100, "mixed")  # mixed: some arrays on 0-100, the others on 0-1
SHARE_ANOMALIES = ("none", "rounding", "out_of_range")
COMMENT_CURSORS = ("offset", "opaque")
COMMENT_SORT_PARAMS = ("sort_order", "sort_type")  # the reference's sources disagree
UNSORTED_COMMENTS = ("random", "create_time")
COMMENT_TIMES = ("int", "string")

CHOICES: dict[str, tuple[object, ...]] = {
    "rotation": ROTATIONS,
    "dead_refresh_code": (40103, 40107),
    "unscoped_field_code": (40001, 40130, 40002),
    "old_start_date": OLD_START_DATES,
    "unavailable": UNAVAILABLE_STYLES,
    "percentage_scale": PERCENTAGE_SCALES,
    "share_anomaly": SHARE_ANOMALIES,
    "net_follower_loss": (False, True),
    "account_type": ACCOUNT_TYPES,
    "cursor_style": CURSOR_STYLES,
    "short_pages": (False, True),
    "idle_posts_lose_insights": (False, True),
    "comment_cursor": COMMENT_CURSORS,
    "comment_sort_param": COMMENT_SORT_PARAMS,
    "unsorted_comments": UNSORTED_COMMENTS,
    "comment_repeats": (False, True),
    "comment_time": COMMENT_TIMES,
    "refused_comments_code": (0, 40000, 40001, 40002, 40130, 40131),
}


@dataclass
class Knobs:
    """One plausible answer to each open question of the reference (section 7), all switchable.

    rotation: "strict" (a new refresh token, the old one dies), "lenient" (a new one, the old one
    keeps working) or "off" (the same string comes back).
    """

    rotation: str = "strict"
    dead_refresh_code: int = 40107  # what an expired, revoked or rotated-away refresh token gets
    unscoped_field_code: int = 40001  # a requested field whose scope was not granted
    old_start_date: str = "error"  # a start_date more than 60 days back: 40002, or clamped
    unavailable: str = "missing"
    percentage_scale: int | str = 1  # audience and retention percentages: 0-1, 0-100 or mixed
    # rounding: a share that is the whole comes as 1.0004 of it; out_of_range: a share below 0
    # and a full-watch rate of 1.3
    share_anomaly: str = "none"
    net_follower_loss: bool = False  # every other day loses one follower net: 3 new, 4 lost
    retention_entries: int | None = None  # a retention curve this long on every post, if set
    account_type: str = "business"
    cursor_style: str = "timestamp"  # video/list's next cursor: UTC ms, or an opaque integer
    short_pages: bool = False  # list pages shorter than max_count while has_more is true
    idle_posts_lose_insights: bool = False  # posts idle over 7 days lose reach, watch times, ...
    future_daily_row: str = ""  # a YYYY-MM-DD: business/get's metrics also hold a row of that day
    # comment/list: its next cursor is an offset or an opaque number; the sort direction's name
    # (the other name is refused as unknown); the order without sort_field; some comments sent
    # twice past the 500th; create_time as a number or a string of digits
    comment_cursor: str = "offset"
    comment_sort_param: str = "sort_order"
    unsorted_comments: str = "random"
    comment_repeats: bool = True
    comment_time: str = "int"
    comments_per_post: int | None = None  # every post has this many comments, if set
    # the comment list of these posts (every post: None) answers this code; 0: none refused, as
    # the docs leave open what a post with comments turned off, or an ad, gets
    refused_comments_code: int = 0
    refused_comment_posts: frozenset[str] | None = None

    def __setattr__(self, name: str, value: object) -> None:
        """Checked on every change, so a typo in a test fails there and not in a later assert."""
        allowed = CHOICES.get(name)
        if allowed is not None and not any(
            type(value) is type(choice) and value == choice for choice in allowed
        ):
            raise ValueError(f"{name} must be one of {allowed}, not {value!r}")
        super().__setattr__(name, value)
