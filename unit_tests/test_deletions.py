"""The roll of listed videos: its compact form and what a finished walk judges gone."""

import base64
import zlib

import pytest

from source_tiktok_organic.core.deletions import Listing, SavedRoll, WalkLog, settle
from source_tiktok_organic.core.roll import FORMAT, Roll, as_number, decode, encode, merged, rolled
from source_tiktok_organic.core.windows import PAGE_SIZE, Window

T = 1_700_000_000


def snowflake(created: int, low: int) -> str:
    return str((created << 32) | low)


def pairs(roll: Roll) -> dict[str, int]:
    return dict(roll.items())


@pytest.mark.parametrize(
    "videos",
    [
        {},
        {snowflake(T, 5): T, snowflake(T, 2**32 - 1): T, snowflake(T + 9, 0): T + 9},
        {snowflake(T, 3): T + 5, "0": 0, str(2**64 - 1): 7},  # high bits not the second
        {"v_abc": T, "12": T + 1, "007": T + 2, snowflake(T, 1): T},  # not all TikTok-made
    ],
)
def test_a_roll_reads_back_as_written(videos: dict[str, int]) -> None:
    roll = rolled(videos.items())
    assert pairs(decode(encode(roll))) == videos
    assert len(roll) == len(videos)
    assert all(video_id in roll for video_id in videos)


def test_only_tiktok_made_ids_are_numbers() -> None:
    assert as_number(snowflake(T, 1), T) == (T << 32) | 1
    assert as_number(snowflake(T, 1), T + 1) is None  # redated: its own time is kept
    assert as_number("007", 0) is None  # a leading zero would not survive as a number
    assert as_number(str(2**64), 2**32) is None
    assert as_number("\uff11\uff12", 0) is None  # digits, but not ASCII ones
    roll = rolled([(snowflake(T, 1), T), ("x", 5)])
    assert list(roll.numbers) == [(T << 32) | 1]
    assert roll.other == {"x": 5}
    assert "y" not in roll
    assert f"0{snowflake(T, 1)}" not in roll  # another id, whatever its number
    assert snowflake(T, 2) not in roll


def test_merged_rolls_hold_each_id_once_with_the_later_time() -> None:
    first = rolled([(snowflake(T, 1), T), (snowflake(T, 2), T), ("x", 1)])
    second = rolled([(snowflake(T, 1), T + 60), (snowflake(T, 3), T), ("x", 2)])
    assert pairs(merged([first, second])) == {
        snowflake(T, 1): T + 60,
        snowflake(T, 2): T,
        snowflake(T, 3): T,
        "x": 2,
    }


def squeezed(raw: bytes) -> str:
    return FORMAT + base64.b64encode(zlib.compress(raw)).decode()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "an unknown format"),
        ("x1:abc", "an unknown format"),
        (FORMAT + "%%%", "not base64 of zlib data"),
        (FORMAT + base64.b64encode(b"not zlib").decode(), "not base64 of zlib data"),
        (FORMAT + base64.b64encode(zlib.compress(b"\x00[]")[:-3]).decode(), "cut short, or"),
        (squeezed(b"\x05"), "a number cut short"),  # five videos, no data
        (squeezed(b"\x80\x80\x80\x80\x80\x00[]"), "a number cut short or too long"),
        (squeezed(b"\x01\x00\x00\x01"), "^cut short$"),  # one video, its low bits cut short
        (squeezed(b"\x01\x00" + bytes(4)), "the other ids are not JSON"),
        (squeezed(b"\x02\x01\x00" + bytes(8) + b"[]"), "ids out of order or range"),
        (squeezed(b"\x01\x80\x80\x80\x80\x10" + bytes(4) + b"[]"), "out of order or range"),
        (squeezed(b"\x01\x00" + bytes(4) + b"{"), "the other ids are not JSON"),
        (squeezed(b"\x01\x00" + bytes(4) + b'{"a": 1}'), r"not \[create_time, id\] pairs"),
        (squeezed(b"\x00[[1, 2]]"), "pairs"),
        (squeezed(b'\x00[[true, "1"]]'), "pairs"),
        (squeezed(b"\x00" * (65 * 2**20)), "cut short, or too large"),
    ],
)
def test_anything_else_is_refused_with_its_reason(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        decode(text)


def test_a_creation_second_past_2038_still_fits() -> None:
    """Ids from 2038 on pass 2**63: they must stay unsigned in memory and in the state."""
    late = snowflake(2**31 + 5, 1)
    assert pairs(decode(encode(rolled([(late, 2**31 + 5)])))) == {late: 2**31 + 5}
    log = walked([ALL], {late: 2**31 + 5})
    assert list(log.seen().numbers) == [int(late)]


def walked(windows: list[Window], videos: dict[str, int], whole: bool = False) -> WalkLog:
    log = WalkLog(whole)
    for _ in windows:
        log.opened()
    log.saw({"id": video_id, "create_time": t} for video_id, t in videos.items())
    for window in windows:
        log.closed(window)
    log.planned()
    return log


ALL = Window(None, None, 0, 0)


def test_gone_is_what_the_roll_held_in_covered_windows_and_no_walk_saw() -> None:
    previous = rolled({"a": 10, "b": 20, "c": 30, "d": 40}.items())
    recent = Window(25, None, 26, 99)  # covers c and d
    gone, kept = settle(previous, [walked([recent], {"d": 40, "e": 50})])
    assert gone == [("c", 30)]
    assert kept is not None
    assert pairs(kept) == {"a": 10, "b": 20, "d": 40, "e": 50}


def test_a_video_seen_by_any_walk_is_not_gone_and_keeps_its_newest_second() -> None:
    previous = rolled({"a": 10, snowflake(T, 7): T}.items())
    logs = [walked([ALL], {"a": 10}), walked([ALL], {snowflake(T, 7): T + 1})]
    gone, kept = settle(previous, logs)
    assert gone == []
    assert kept is not None
    assert pairs(kept) == {"a": 10, snowflake(T, 7): T + 1}


def test_without_a_roll_only_a_whole_walk_starts_one() -> None:
    assert settle(None, [walked([ALL], {"a": 1}, whole=False)]) == ([], None)
    gone, kept = settle(None, [walked([ALL], {"a": 1}, whole=True)])
    assert gone == []
    assert kept is not None
    assert pairs(kept) == {"a": 1}


def test_a_broken_window_makes_the_walk_unclean_and_nothing_is_judged() -> None:
    ended: list[str] = []
    log = WalkLog(True, lambda: ended.append("judged"))
    log.opened()
    log.opened()
    log.closed(ALL)
    log.planned()
    assert not log.clean
    log.closed(None)
    assert not log.clean
    assert ended == []


def test_the_last_window_to_close_after_the_plan_ends_the_walk_once() -> None:
    ended: list[str] = []
    log = WalkLog(True, lambda: ended.append("judged"))
    log.opened()
    log.opened()
    log.planned()
    log.closed(ALL)
    assert ended == []
    log.closed(ALL)
    assert ended == ["judged"]
    assert log.clean


def test_a_plan_finished_after_its_windows_closed_ends_the_walk_once() -> None:
    ended: list[str] = []
    log = WalkLog(True, lambda: ended.append("judged"))
    log.opened()
    log.closed(ALL)
    assert ended == []
    assert not log.clean  # more windows may come
    log.planned()
    assert ended == ["judged"]


def test_non_snowflake_ids_are_seen_too() -> None:
    log = walked([ALL], {"x-1": 5, snowflake(T, 1): T, snowflake(T, 2): T})
    log.saw([{"id": snowflake(T, 1), "create_time": T}])  # the same video on two pages
    seen = log.seen()
    assert pairs(seen) == {"x-1": 5, snowflake(T, 1): T, snowflake(T, 2): T}
    assert seen.other == {"x-1": 5}, "a TikTok-made id is kept as a number"


def test_returning_videos_are_the_seconds_another_walk_saw_outside_the_planned_windows() -> None:
    listing = Listing()
    listing.logs.append(walked([ALL], {"a": 10, "back": 20, "new": 90, "early": 3, "edge": 5}))
    planned = [Window(50, None, 51, 99)]
    # one window: a single video (a) lies between the two returning ones
    assert listing.returning(rolled([("a", 10)]), planned, bottom=5) == [Window(4, 20, 5, 20)]


def test_returning_videos_a_page_apart_or_across_a_planned_window_get_windows_of_their_own() -> (
    None
):
    between = {f"v{i}": 100 + i for i in range(PAGE_SIZE)}  # listed and rolled: not returning
    seen = {**between, "top": 200, "mid": 150, "low": 99, "lowest": 98, "far": 40}
    listing = Listing()
    listing.logs.append(walked([ALL], seen))
    previous = rolled(list(between.items()))
    planned = [Window(60, 80, 61, 80), Window(300, None, 301, 400)]
    assert listing.returning(previous, planned, bottom=0) == [
        Window(149, 200, 150, 200),  # top and mid: nothing listed between them
        Window(97, 99, 98, 99),  # a page of listed videos lies above low: a window of its own
        Window(39, 40, 40, 40),  # below a planned window, which it must not walk again
    ]


def test_returning_videos_at_a_planned_windows_floor_and_below_share_a_window() -> None:
    """The floor is not the window's: a video created at it is outside, and walks on down."""
    listing = Listing()
    listing.logs.append(walked([ALL], {"at_floor": 200, "below": 150, "kept": 250}))
    planned = [Window(200, None, 201, 300)]
    windows = listing.returning(rolled([("kept", 250)]), planned, bottom=0)
    assert windows == [Window(149, 200, 150, 200)]


def test_returning_videos_of_a_whole_account_cost_one_window() -> None:
    seen = {f"v{i}": T - 3600 * i for i in range(30)}
    listing = Listing()
    listing.logs.append(walked([ALL], seen))
    planned = [Window(T - 1, None, T, T)]  # an incremental walk above the newest
    windows = listing.returning(rolled([]), planned, bottom=0)
    assert windows == [Window(T - 3600 * 29 - 1, T - 3600, T - 3600 * 29, T - 3600)]


def test_a_saved_roll_is_kept_as_it_was_until_settled() -> None:
    saved = {"open_id": "me", "videos": encode(rolled([("a", 1)]))}
    roll = SavedRoll(saved)
    assert roll.state() == {"listed_videos": saved}
    roll.settled("me", None)
    assert roll.state() == {"listed_videos": saved}
    roll.settled("me", rolled([("b", 2)]))
    assert pairs(decode(roll.state()["listed_videos"]["videos"])) == {"b": 2}
    assert SavedRoll("not an object").state() == {}
