import pytest
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.records import conform, field_types


def test_field_types_come_from_the_schema_files() -> None:
    assert field_types("videos")["create_time"] == "integer"
    assert field_types("videos")["title"] == "string"
    assert field_types("user_info")["is_verified"] == "boolean"


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ({"view_count": 12.0}, 12),
        ({"view_count": "12"}, 12),
        ({"view_count": " -12 "}, -12),
        ({"view_count": None}, None),
        ({"title": "a title"}, "a title"),
    ],
)
def test_given_lossless_variant_when_conforming_then_fixed(raw: dict, fixed: object) -> None:
    [(field, _)] = raw.items()
    assert conform({"id": "1", **raw}, "videos")[field] == fixed


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


@pytest.mark.parametrize(
    "value",
    [2**63, -(2**63) - 1, 18446744073709551617, 1.8446744073709552e19, "18446744073709551617"],
    ids=["2**63", "below int64", "above uint64", "rounded float", "digits"],
)
def test_given_a_count_that_does_not_fit_64_bits_then_the_error_names_record_and_field(
    value: object,
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        conform({"id": "7", "view_count": value}, "videos")
    assert "videos record (id '7') whose 'view_count' is" in raised.value.message
    assert "not a 64-bit integer it can keep exactly" in raised.value.message


@pytest.mark.parametrize(
    ("value", "kept"),
    [(2**63 - 1, 2**63 - 1), (-(2**63), -(2**63)), (float(2**53), 2**53), ("42", 42)],
)
def test_given_a_count_within_64_bits_then_it_is_kept_exactly(value: object, kept: int) -> None:
    assert conform({"id": "7", "view_count": value}, "videos")["view_count"] == kept


def test_given_a_float_beyond_2_to_the_53_then_it_may_be_rounded_so_it_is_refused() -> None:
    with pytest.raises(AirbyteTracedException):
        conform({"id": "7", "view_count": float(2**53 + 2)}, "videos")


@pytest.mark.parametrize(
    "value", ["0\x1f", "²", "12\x1c"], ids=["unit separator", "superscript", "fs"]
)
def test_given_digits_int_cannot_read_then_a_clear_error_not_a_crash(value: str) -> None:
    with pytest.raises(AirbyteTracedException, match="'view_count' is"):
        conform({"id": "7", "view_count": value}, "videos")


def test_given_a_profile_with_a_lossy_value_then_the_error_names_it_by_open_id() -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        conform({"open_id": "open-1", "follower_count": 1.5}, "user_info")
    assert "TikTok sent a user_info record (id 'open-1')" in raised.value.message
    assert "'follower_count'" in raised.value.message


@pytest.mark.parametrize(
    ("value", "kept"),
    [(15, 15.0), (2.5, 2.5), (2**53, float(2**53)), (None, None)],
)
def test_given_a_number_column_then_exact_integers_become_floats(
    value: object, kept: object
) -> None:
    record = conform({"id": "1", "video_duration": value}, "business/videos")
    assert record["video_duration"] == kept
    assert type(record["video_duration"]) is type(kept)


@pytest.mark.parametrize("value", [True, "15", 2**53 + 1, [15]])
def test_given_a_number_column_holding_something_else_then_a_clear_error(value: object) -> None:
    with pytest.raises(
        AirbyteTracedException, match=r"'video_duration' is .* which is not a number"
    ):
        conform({"id": "1", "video_duration": value}, "business/videos")


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [("video_view_retention", {"second": "0"}, "array"), ("video_view_retention", "x", "array")],
)
def test_given_an_array_column_holding_something_else_then_a_clear_error(
    column: str, value: object, kind: str
) -> None:
    with pytest.raises(AirbyteTracedException, match=f"which is not a {kind}"):
        conform({"id": "1", column: value}, "business/videos")
