"""The videos a walk of the list saw, as one short string for the state: TikTok's video ids are
decimal numbers whose high 32 bits are the creation second, so each video costs its creation
time's step from the one before plus the id's low 32 bits; any other id is kept as text."""

import base64
import json
import struct
import zlib
from collections.abc import Iterable

Roll = dict[str, int]  # video id -> create_time
SNOWFLAKES = "s1:"  # creation-time steps, then the ids' low bits, 4 bytes each or as varints
TEXT = "t1:"  # [[create_time, id], ...] for ids that are not such numbers
LARGEST_ID = 2**64
# A saved roll unpacks to at most this much: far beyond any account, far below a bomb.
MOST_BYTES = 64 * 2**20


def encode(roll: Roll) -> str:
    ordered = sorted((created, video_id) for video_id, created in roll.items())
    if all(_snowflake(video_id) and created >= 0 for created, video_id in ordered):
        return SNOWFLAKES + _squeeze(_pack(ordered))
    return TEXT + _squeeze(json.dumps(ordered, separators=(",", ":")).encode())


def decode(text: str) -> Roll:
    """The roll `encode` wrote; ValueError for anything else."""
    if text.startswith(SNOWFLAKES):
        return _unpack(_unsqueeze(text.removeprefix(SNOWFLAKES)))
    if text.startswith(TEXT):
        pairs = json.loads(_unsqueeze(text.removeprefix(TEXT)))
        if not isinstance(pairs, list) or not all(_pair(pair) for pair in pairs):
            raise ValueError("not a list of [create_time, id] pairs")
        return {video_id: created for created, video_id in pairs}
    raise ValueError("an unknown format")


def _snowflake(video_id: str) -> bool:
    return (
        video_id.isascii()
        and video_id.isdigit()
        and (video_id == "0" or not video_id.startswith("0"))
        and int(video_id) < LARGEST_ID
    )


def _pair(pair: object) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and type(pair[0]) is int
        and isinstance(pair[1], str)
    )


def _pack(ordered: list[tuple[int, str]]) -> bytes:
    times = [created for created, _ in ordered]
    steps = [created - before for before, created in zip([0, *times], times, strict=False)]
    low = [int(video_id) - (created << 32) for created, video_id in ordered]
    head = _varints([len(ordered), *steps])
    if all(0 <= bits < 2**32 for bits in low):
        return head + b"\x00" + struct.pack(f"<{len(low)}I", *low)
    return head + b"\x01" + _varints(bits * 2 if bits >= 0 else -bits * 2 - 1 for bits in low)


def _unpack(packed: bytes) -> Roll:
    numbers, at = _read_varints(packed, 0, 1)
    count = numbers[0]
    steps, at = _read_varints(packed, at, count)
    if at >= len(packed) or packed[at] not in (0, 1):
        raise ValueError("no id section")
    if packed[at] == 0:
        if len(packed) - at - 1 != 4 * count:
            raise ValueError("a wrong number of ids")
        low = list(struct.unpack(f"<{count}I", packed[at + 1 :]))
    else:
        zigzag, end = _read_varints(packed, at + 1, count)
        if end != len(packed):
            raise ValueError("bytes after the last id")
        low = [bits // 2 if bits % 2 == 0 else -(bits + 1) // 2 for bits in zigzag]
    roll: Roll = {}
    created = 0
    for step, bits in zip(steps, low, strict=True):
        created += step
        video_id = (created << 32) + bits
        if not 0 <= video_id < LARGEST_ID:
            raise ValueError("an id out of range")
        roll[str(video_id)] = created
    return roll


def _varints(numbers: Iterable[int]) -> bytes:
    out = bytearray()
    for number in numbers:
        while number >= 0x80:
            out.append(number & 0x7F | 0x80)
            number >>= 7
        out.append(number)
    return bytes(out)


def _read_varints(packed: bytes, at: int, count: int) -> tuple[list[int], int]:
    numbers = []
    for _ in range(count):
        number = shift = 0
        while True:
            if at >= len(packed) or shift > 70:
                raise ValueError("a number cut short")
            byte = packed[at]
            at += 1
            number |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        numbers.append(number)
    return numbers, at


def _squeeze(raw: bytes) -> str:
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def _unsqueeze(text: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(base64.b64decode(text, validate=True), MOST_BYTES)
    except (zlib.error, ValueError) as error:
        raise ValueError("not base64 of zlib data") from error
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("cut short, or too large")
    return raw
