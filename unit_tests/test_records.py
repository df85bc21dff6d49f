import pytest
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.records import conform, field_types


def test_field_types_come_from_the_schema_files() -> None:
    assert field_types("videos")["create_time"] == "integer"
    assert field_types("videos")["title"] == "string"
    assert field_types("user_info")["is_verified"] == "boolean"


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [({"view_count": 12.0}, 12), ({"view_count": "12"}, 12), ({"view_count": None}, None)],
)
def test_given_lossless_variant_when_conforming_then_fixed(raw: dict, fixed: object) -> None:
    assert conform({"id": "1", **raw}, "videos")["view_count"] == fixed


@pytest.mark.parametrize(
    "raw",
    [{"view_count": 12.5}, {"view_count": "lots"}, {"view_count": True}, {"title": 5}],
)
def test_given_lossy_value_when_conforming_then_clear_error_naming_field(raw: dict) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        conform({"id": "9", **raw}, "videos")
    assert next(iter(raw)) in raised.value.message
    assert "'9'" in raised.value.message


def test_given_unknown_field_when_conforming_then_passed_through() -> None:
    assert conform({"id": "1", "new_field": [1]}, "videos")["new_field"] == [1]
