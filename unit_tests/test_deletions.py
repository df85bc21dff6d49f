"""The roll of listed videos: its compact form and what a finished walk judges gone."""

import base64
import threading
import zlib

import pytest

from source_tiktok_organic.core.deletions import Listing, SavedRoll, WalkLog, settle
from source_tiktok_organic.core.roll import SNOWFLAKES, TEXT, decode, encode
from source_tiktok_organic.core.windows import Window

T = 1_700_000_000
REFUSALS = "unknown format|base64|cut short|too large|id section|number of ids|after the last|pairs"


def snowflake(created: int, low: int) -> str:
    return str((created << 32) | low)


@pytest.mark.parametrize(
    "roll",
    [
        {},
        {snowflake(T, 5): T, snowflake(T, 2**32 - 1): T, snowflake(T + 9, 0): T + 9},
        {"0": 0, str(2**64 - 1): 7},  # ids whose high bits are not their creation second
        {"v_abc": T, "12": T + 1, "007": T + 2},  # not all decimal numbers
    ],
)
def test_a_roll_reads_back_as_written(roll: dict[str, int]) -> None:
    assert decode(encode(roll)) == roll


def test_snowflake_ids_take_the_compact_form_and_others_the_text_form() -> None:
    assert encode({snowflake(T, 1): T}).startswith(SNOWFLAKES)
    assert encode({"007": T}).startswith(TEXT)  # a leading zero would not survive as a number
    assert encode({str(2**64): T}).startswith(TEXT)
    assert encode({"\uff11\uff12": T}).startswith(TEXT)  # digits, but not ASCII ones


def test_a_creation_second_far_from_the_ids_high_bits_still_reads_back() -> None:
    roll = {snowflake(T, 3): T + 5, snowflake(T + 5, 3): T}
    assert decode(encode(roll)) == roll


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x1:abc",
        SNOWFLAKES + "%%%",
        SNOWFLAKES + base64.b64encode(b"not zlib").decode(),
        SNOWFLAKES + base64.b64encode(zlib.compress(b"\x05")).decode(),  # five videos, no data
        SNOWFLAKES + base64.b64encode(zlib.compress(b"\x01\x00\x00\x01\x02\x03")).decode(),
        SNOWFLAKES + base64.b64encode(zlib.compress(b"\x01\x00\x02")).decode(),
        SNOWFLAKES + base64.b64encode(zlib.compress(b"\x01\x00\x01\x02\x09")).decode(),
        SNOWFLAKES + base64.b64encode(zlib.compress(b"\x01\x80")).decode(),
        TEXT + base64.b64encode(zlib.compress(b'{"a": 1}')).decode(),
        TEXT + base64.b64encode(zlib.compress(b"[[1, 2]]")).decode(),
        TEXT + base64.b64encode(zlib.compress(b'[[true, "1"]]')).decode(),
        SNOWFLAKES + base64.b64encode(zlib.compress(b"\x00" * (65 * 2**20))).decode(),
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=REFUSALS):
        decode(text)


def test_a_zigzag_id_below_its_second_reads_back() -> None:
    below = {str((T << 32) - 1): T}
    assert decode(encode(below)) == below


def walked(windows: list[Window], videos: dict[str, int], whole: bool = False) -> WalkLog:
    log = WalkLog(whole)
    for _ in windows:
        log.opened()
    log.saw({"id": video_id, "create_time": t} for video_id, t in videos.items())
    for window in windows:
        log.closed(window)
    return log


ALL = Window(None, None, 0, 0)


def test_gone_is_what_the_roll_held_in_covered_windows_and_no_walk_saw() -> None:
    previous = {"a": 10, "b": 20, "c": 30, "d": 40}
    recent = Window(25, None, 26, 99)  # covers c and d
    gone, kept = settle(previous, [walked([recent], {"d": 40, "e": 50})])
    assert gone == {"c": 30}
    assert kept == {"a": 10, "b": 20, "d": 40, "e": 50}


def test_a_video_seen_by_any_walk_is_not_gone_and_keeps_its_newest_second() -> None:
    previous = {"a": 10, "b": 20}
    gone, kept = settle(previous, [walked([ALL], {"a": 10}), walked([ALL], {"b": 21})])
    assert gone == {}
    assert kept == {"a": 10, "b": 21}


def test_without_a_roll_only_a_whole_walk_starts_one() -> None:
    assert settle(None, [walked([ALL], {"a": 1}, whole=False)]) == ({}, None)
    assert settle(None, [walked([ALL], {"a": 1}, whole=True)]) == ({}, {"a": 1})


def test_a_broken_window_makes_the_walk_unclean_and_wait_says_so() -> None:
    log = WalkLog(True)
    log.opened()
    log.opened()
    log.closed(ALL)
    assert not log.clean
    log.closed(None)
    assert not log.clean
    assert log.wait(threading.Event()) is False


def test_wait_returns_once_the_last_window_closes() -> None:
    log = WalkLog(True)
    log.opened()
    closer = threading.Timer(0.05, log.closed, (ALL,))
    closer.start()
    assert log.wait(threading.Event()) is True
    closer.join()


def test_wait_gives_up_when_the_sync_stops() -> None:
    log, stopped = WalkLog(True), threading.Event()
    log.opened()
    stopped.set()
    assert log.wait(stopped) is False


def test_non_snowflake_ids_are_seen_too() -> None:
    log = walked([ALL], {"x-1": 5, snowflake(T, 1): T})
    assert log.seen() == {"x-1": 5, snowflake(T, 1): T}


def test_returning_videos_are_the_seconds_another_walk_saw_outside_the_planned_windows() -> None:
    listing = Listing()
    listing.logs.append(walked([ALL], {"a": 10, "back": 20, "new": 90, "early": 3}))
    planned = [Window(50, None, 51, 99)]
    assert listing.returning({"a": 10}, planned, bottom=5) == [20]


def test_a_saved_roll_is_kept_as_it_was_until_settled() -> None:
    saved = {"open_id": "me", "videos": encode({"a": 1})}
    roll = SavedRoll(saved)
    assert roll.state() == {"listed_videos": saved}
    roll.settled("me", None)
    assert roll.state() == {"listed_videos": saved}
    roll.settled("me", {"b": 2})
    assert decode(roll.state()["listed_videos"]["videos"]) == {"b": 2}
    assert SavedRoll("not an object").state() == {}
