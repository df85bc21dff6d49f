"""The sync's one allowance of rate-limit waiting."""

import threading

from source_tiktok_organic.core.waiting import MOST_WAITING_SECONDS, WaitAllowance


def test_the_allowance_is_twenty_minutes() -> None:
    assert MOST_WAITING_SECONDS == 20 * 60
    assert WaitAllowance().seconds == MOST_WAITING_SECONDS


def test_given_waits_spent_then_only_a_wait_that_still_fits_is_held() -> None:
    waiting = WaitAllowance(600)
    assert not waiting.reserve(600.5)
    waiting.spend(300)
    assert waiting.spent == 300
    assert not waiting.reserve(300.5)
    assert waiting.reserve(300)


def test_given_a_wait_held_then_no_other_fits_in_the_same_seconds_until_it_is_taken() -> None:
    waiting = WaitAllowance(600)
    assert waiting.reserve(400)
    assert not waiting.reserve(300), "two waits admitted at once must not share the last minutes"
    waiting.spend(100, reserved=400)  # it took less than the longest it could have
    assert waiting.spent == 100
    assert waiting.reserve(500)


def test_given_windows_asking_at_once_then_no_more_is_held_than_the_allowance() -> None:
    waiting = WaitAllowance(1_200)
    held: list[bool] = []
    threads = [threading.Thread(target=lambda: held.append(waiting.reserve(301))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert held.count(True) == 3


def test_given_streams_spending_at_once_then_every_wait_is_counted() -> None:
    waiting = WaitAllowance()

    def spend() -> None:
        for _ in range(1_000):
            waiting.spend(0.25)

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert waiting.spent == 1_000


def test_the_refusal_says_how_long_the_sync_waited_and_its_bound() -> None:
    waiting = WaitAllowance()
    waiting.spend(900)
    refusal = waiting.refusal()
    assert "waited 15 minutes in all before retrying TikTok" in refusal
    assert "past the 20 minutes a sync waits at most" in refusal


def test_the_refusal_counts_whole_minutes_of_sixty_seconds() -> None:
    waiting = WaitAllowance()
    waiting.spend(60 * 60)
    assert "waited 60 minutes" in waiting.refusal()
