"""The README's first command, `bash scripts/demo.sh`: both account modes, end to end."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from integration_tests import demo


def test_the_demo_runs_both_modes_and_keeps_every_steps_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["demo", "--videos", "30", "--output", str(tmp_path)])
    demo.main()
    shown = capsys.readouterr().out
    assert "Creator mode: TikTok emulator" in shown
    assert "Business mode: API for Business emulator" in shown
    assert "records: user_info 1, videos 30, video_stats 30, user_stats 1" in shown
    assert re.search(r"records: user_info 1, videos \d+, video_stats 33, user_stats 1", shown)
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3})? UTC"
    for stream in ("videos", "video_stats", "user_stats"):
        assert re.search(rf"^    {stream} +after the \w+ \w+ {when}$", shown, re.MULTILINE), stream
    assert "create_time" not in shown, "dates, not the state's epoch seconds"
    followers = re.search(r"@\w+\), ([\d,]+) followers, 30 videos", shown)
    assert followers, shown
    assert 10_000 <= int(followers.group(1).replace(",", "")) <= 200_000, "a mid-size creator"
    assert "daily_metrics: 60 days" in shown
    assert "audience by country:" in shown
    assert '{"type":' not in shown, "the summary, not the raw messages, goes to the terminal"
    for step in ("spec", "check", "discover", "read-full-refresh", "read-incremental"):
        assert (tmp_path / f"{step}.jsonl").stat().st_size > 0
    for step in ("check", "discover", "read", "read-incremental"):
        assert (tmp_path / "business" / f"{step}.jsonl").stat().st_size > 0
