"""Property tests: arbitrary and malformed TikTok payloads never crash the parser unhandled.

Whatever comes back, the parsing path either yields records valid against the published schema
or raises the connector's own AirbyteTracedException with a message.
"""

import json
import logging
from collections.abc import Callable
from typing import Any

import jsonschema
import requests
from airbyte_cdk.utils import AirbyteTracedException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_tiktok_organic.core.errors import INVALID_TEXT
from source_tiktok_organic.core.pagination import VideoPager, to_video_page
from source_tiktok_organic.core.records import conform
from source_tiktok_organic.creator.errors import CreatorErrorHandler
from source_tiktok_organic.creator.streams import profile_user
from unit_tests.conftest import LIST_URL

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
VIDEO_VALUES = st.one_of(SCALARS, st.just("123"), st.just(1.0))
VIDEOS = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "id": st.one_of(
                    st.text(min_size=1, max_size=5), st.text(min_size=1, max_size=5), st.integers()
                ),
                "create_time": st.one_of(
                    st.integers(0, 2**40), st.integers(0, 2**40), VIDEO_VALUES
                ),
            },
            optional=dict.fromkeys(
                ("view_count", "like_count", "title", "duration", "cover_image_url"), VIDEO_VALUES
            ),
        ),
        JSON,
    ),
    max_size=6,
)
WELL_FORMED_PAGE = st.fixed_dictionaries(
    {"videos": VIDEOS, "has_more": st.booleans(), "cursor": st.integers(0, 2**44)}
)
DATA = st.one_of(
    WELL_FORMED_PAGE,
    WELL_FORMED_PAGE,
    st.fixed_dictionaries(
        {},
        optional={
            "videos": st.one_of(VIDEOS, JSON),
            "has_more": st.one_of(st.booleans(), JSON),
            "cursor": st.one_of(st.integers(), JSON),
        },
    ),
    JSON,
)


def schema(name: str) -> dict[str, Any]:
    with open(f"source_tiktok_organic/schemas/{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


VIDEO_SCHEMA = schema("videos")
USER_SCHEMA = schema("user_info")


def assert_valid_or_clear_error(parse: Callable[[], None]) -> None:
    """Schema-invalid output would raise jsonschema's error and fail the property."""
    message = None
    try:
        parse()
    except AirbyteTracedException as error:
        message = error.message or ""
    assert message is None or message.strip()


def respond(body: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.url = LIST_URL
    response._content = body
    return response


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(DATA)
def test_any_list_payload_yields_schema_valid_videos_or_a_clear_error(data: Any) -> None:
    def parse() -> None:
        page = to_video_page(data if isinstance(data, dict) else {"videos": data}, "log-1")
        for video in VideoPager().accept(page):
            jsonschema.validate(conform(video, "videos"), VIDEO_SCHEMA)

    assert_valid_or_clear_error(parse)


@settings(max_examples=300)
@given(
    st.one_of(st.binary(max_size=200), JSON.map(lambda v: json.dumps(v).encode())),
    st.sampled_from([200, 400, 401, 429, 500, 503]),
)
def test_any_body_and_status_gets_a_policy_never_an_exception(body: bytes, status: int) -> None:
    """Only an HTTP 200 carrying code `ok` and a `data` object passes; all else is acted on."""
    handler, answer = CreatorErrorHandler(logging.getLogger("test")), respond(body, status)
    policy = handler.policy_for(answer, handler.read(answer))
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    envelope = parsed if isinstance(parsed, dict) else {}
    error = envelope.get("error")
    passes = (
        status == 200
        and isinstance(error, dict)
        and error.get("code") == "ok"
        and isinstance(envelope.get("data"), dict)
    )
    if policy is None:
        assert passes, (status, body)
    else:
        assert policy.advice
        assert not passes or policy is INVALID_TEXT, (status, body)  # a lone surrogate


@settings(max_examples=300)
@given(
    st.one_of(
        JSON,
        st.fixed_dictionaries(
            {
                "user": st.dictionaries(
                    st.sampled_from(["open_id", "display_name", "is_verified", "follower_count"]),
                    VIDEO_VALUES,
                )
            }
        ),
    )
)
def test_any_profile_payload_yields_a_schema_valid_user_or_a_clear_error(data: Any) -> None:
    def parse() -> None:
        jsonschema.validate(
            profile_user(data if isinstance(data, dict) else {"user": data}), USER_SCHEMA
        )

    assert_valid_or_clear_error(parse)
