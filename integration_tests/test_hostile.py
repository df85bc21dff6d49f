"""Hostile and broken inputs, through the installed command against the emulator."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import Status, Type

from integration_tests.cli import run_connector
from integration_tests.conftest import config_for
from integration_tests.emulator import TikTokEmulator


@pytest.mark.parametrize(
    "template",
    ["http://user:hunter2pw@{host}", "http://{host}\\@evil.example", "https://ex%61mple.com"],
    ids=["userinfo", "backslash", "two-readings"],
)
def test_given_an_api_base_url_that_could_send_elsewhere_then_check_refuses_it_unsent(
    emulator: TikTokEmulator, template: str
) -> None:
    host = emulator.url.removeprefix("http://")
    config = config_for(emulator, api_base_url=template.format(host=host))
    run = run_connector("check", config)
    [status] = run.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.FAILED
    assert "Config field 'api_base_url'" in status.connectionStatus.message
    assert sum(emulator.counts.values()) == 0
    assert "hunter2pw" not in run.stdout + run.stderr
