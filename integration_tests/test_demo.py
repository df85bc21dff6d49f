"""The README's first command, `bash scripts/demo.sh`: both account modes, end to end."""

from __future__ import annotations

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
    assert "daily_metrics: 60 days" in shown
    assert "audience by country:" in shown
    assert '{"type":' not in shown, "the summary, not the raw messages, goes to the terminal"
    for step in ("spec", "check", "discover", "read-full-refresh", "read-incremental"):
        assert (tmp_path / f"{step}.jsonl").stat().st_size > 0
    for step in ("check", "discover", "read", "read-incremental"):
        assert (tmp_path / "business" / f"{step}.jsonl").stat().st_size > 0
