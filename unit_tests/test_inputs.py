import json
import logging
from pathlib import Path

import pytest
from airbyte_cdk.models import AirbyteStream, FailureType, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic import SourceTiktokOrganic
from source_tiktok_organic.core.inputs import check_catalog

READERS = {
    "config": SourceTiktokOrganic().read_config,
    "catalog": SourceTiktokOrganic().read_catalog,
    "state": SourceTiktokOrganic().read_state,
}


@pytest.mark.parametrize("kind", list(READERS))
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot be read: No such file or directory"),
        ("{not json", "Expecting property name"),
        ('"a string"', "is not "),
    ],
    ids=["missing", "not JSON", "wrong shape"],
)
def test_given_an_unreadable_input_file_then_a_config_error_names_the_file(
    tmp_path: Path, kind: str, content: str | None, reason: str
) -> None:
    path = tmp_path / f"{kind}.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(AirbyteTracedException) as raised:
        READERS[kind](str(path))
    assert raised.value.failure_type == FailureType.config_error
    assert f"The {kind} file {path} " in raised.value.message
    assert reason in raised.value.message


def test_given_readable_inputs_then_they_are_read_as_the_cdk_reads_them(tmp_path: Path) -> None:
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "videos"}}}]
    (tmp_path / "state.json").write_text(json.dumps(state))
    (tmp_path / "config.json").write_text('{"client_id": "k"}')
    assert READERS["config"](str(tmp_path / "config.json")) == {"client_id": "k"}
    [read] = READERS["state"](str(tmp_path / "state.json"))
    assert read.stream.stream_descriptor.name == "videos"


STREAMS = [
    AirbyteStream(name="user_info", json_schema={}, supported_sync_modes=[SyncMode.full_refresh]),
    AirbyteStream(
        name="videos",
        json_schema={},
        supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
    ),
]


LOGGER = logging.getLogger("test_inputs")


def test_given_a_catalog_of_known_streams_in_supported_modes_then_it_passes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    catalog = (
        CatalogBuilder()
        .with_stream("user_info", SyncMode.full_refresh)
        .with_stream("videos", SyncMode.incremental)
        .build()
    )
    check_catalog(catalog, STREAMS, LOGGER)
    assert caplog.text == ""


def test_given_some_unknown_streams_then_each_is_logged_as_an_error_and_the_rest_pass(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The CDK's read then marks each INCOMPLETE and reads the known ones."""
    catalog = (
        CatalogBuilder()
        .with_stream("reels", SyncMode.full_refresh)
        .with_stream("videos", SyncMode.full_refresh)
        .with_stream("stories", SyncMode.full_refresh)
        .build()
    )
    check_catalog(catalog, STREAMS, LOGGER)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    for name, error in zip(("reels", "stories"), errors, strict=True):
        assert error.startswith(f"Stream '{name}' is not synced: the configured catalog selects it")
        assert "which this source does not have (its streams: user_info, videos)" in error


def test_given_only_unknown_streams_then_one_error_names_them_all() -> None:
    catalog = (
        CatalogBuilder()
        .with_stream("reels", SyncMode.full_refresh)
        .with_stream("stories", SyncMode.full_refresh)
        .build()
    )
    with pytest.raises(AirbyteTracedException) as raised:
        check_catalog(catalog, STREAMS, LOGGER)
    assert raised.value.failure_type == FailureType.config_error
    assert "selects 'reels', 'stories', which this source does not have" in raised.value.message
    assert "(its streams: user_info, videos)" in raised.value.message


def test_given_an_unknown_stream_then_only_its_error_is_logged_not_its_mode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    catalog = (
        CatalogBuilder()
        .with_stream("videos", SyncMode.incremental)
        .with_stream("reels", SyncMode.incremental)
        .build()
    )
    check_catalog(catalog, STREAMS, LOGGER)
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


def test_given_a_mode_a_stream_lacks_then_it_is_said_and_the_stream_read_its_way(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PyAirbyte asks for every stream incrementally."""
    catalog = CatalogBuilder().with_stream("user_info", SyncMode.incremental).build()
    check_catalog(catalog, STREAMS, LOGGER)
    assert "Stream user_info cannot be read as incremental, only as full_refresh" in caplog.text


def test_given_a_catalog_without_streams_then_it_is_refused() -> None:
    with pytest.raises(AirbyteTracedException, match="selects no stream at all"):
        check_catalog(CatalogBuilder().build(), STREAMS, LOGGER)
