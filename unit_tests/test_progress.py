import logging

import pytest

from source_tiktok_organic.progress import LOG_EVERY_SECONDS, Progress


def test_given_pages_when_time_passes_then_logs_at_most_every_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    progress = Progress(logging.getLogger("progress-test"), clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="progress-test"):
        for second in range(95):
            now[0] = float(second)
            progress.page(20)
        progress.rate_limited()
        progress.log("Done")
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1 + int(94 // LOG_EVERY_SECONDS)
    assert lines[-1] == "Done: 95 pages, 1900 videos, 1 rate-limit waits in 94 s."
