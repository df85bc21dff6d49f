import logging

import pytest

from source_tiktok_organic.core.progress import LOG_EVERY_SECONDS, WAIT_LOG_EVERY_SECONDS, Progress


def test_given_pages_when_time_passes_then_logs_at_most_every_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    progress = Progress(logging.getLogger("progress-test"), clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="progress-test"):
        for second in range(95):
            now[0] = float(second)
            progress.page()
            progress.took("videos", 20)
        progress.rate_limited()
        progress.log("Done")
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1 + int(94 // LOG_EVERY_SECONDS)
    assert lines[-1] == (
        "Done: 95 list pages; records emitted: videos 1900; 1 rate-limit answers; 0 s waited for "
        "the rate budget; 94 s in."
    )


def test_given_two_streams_reading_one_walk_then_each_is_counted_apart_not_added_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A resumed read once said 39,403 videos for a 20,000-video account."""
    progress = Progress(logging.getLogger("progress-test"))
    for _ in range(1000):
        progress.page()
        progress.took("videos", 20)
        progress.took("video_stats", 20)
    with caplog.at_level(logging.INFO, logger="progress-test"):
        progress.log("Listing done")
    assert "1000 list pages; records emitted: video_stats 20000, videos 20000;" in caplog.text


def test_given_a_long_budget_wait_then_it_is_said_while_it_lasts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A two-minute wait in the budget's 20 s steps: a line every step, none a minute apart."""
    now = [0.0]
    progress = Progress(logging.getLogger("progress-test"), clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="progress-test"):
        for step in range(6):
            now[0] = 20.0 * step
            progress.waiting_for_budget(20)
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 5  # at 20, 40, ... 100 s: the first step comes right after the start
    assert all(line.startswith("Waiting 20 s for the client-side rate budget") for line in said)
    assert said[-1].endswith(
        "records emitted: none yet; 0 rate-limit answers; 120 s waited for the rate budget; "
        "100 s in."
    )
    assert WAIT_LOG_EVERY_SECONDS < LOG_EVERY_SECONDS


def test_each_count_adds_exactly_what_it_is_told(caplog: pytest.LogCaptureFixture) -> None:
    progress = Progress(logging.getLogger("progress-test"))
    for _ in range(3):
        progress.page()
        progress.rate_limited()
    progress.took("videos", 7)
    progress.took("videos", 5)
    progress.waiting_for_budget(2.5)
    progress.waiting_for_budget(2.5)
    assert (progress.pages, progress.rate_limit_waits, progress.budget_seconds) == (3, 3, 5.0)
    assert progress.emitted == {"videos": 12}
    with caplog.at_level(logging.INFO, logger="progress-test"):
        progress.log("Now")
    assert (
        caplog.records[0]
        .getMessage()
        .startswith(
            "Now: 3 list pages; records emitted: videos 12; 3 rate-limit answers; 5 s waited"
        )
    )


@pytest.mark.parametrize("event", ["page", "took"])
def test_given_half_a_minute_of_pages_or_records_then_a_line_and_not_before(
    caplog: pytest.LogCaptureFixture, event: str
) -> None:
    now = [0.0]
    progress = Progress(logging.getLogger("progress-test"), clock=lambda: now[0])
    report = progress.page if event == "page" else lambda: progress.took("videos", 1)
    with caplog.at_level(logging.INFO, logger="progress-test"):
        now[0] = LOG_EVERY_SECONDS - 0.5
        report()
        assert caplog.records == []
        now[0] = LOG_EVERY_SECONDS
        report()
    [line] = caplog.records
    assert line.getMessage().startswith("Still listing videos: ")
