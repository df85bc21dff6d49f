"""The videos a walk of the list saw, kept small in memory and in the state: TikTok's video ids are
decimal numbers whose high 32 bits are the creation second, so such a video is one 64-bit
number, and in the state its second's step from the one before plus its low 32 bits; any other id
is kept beside them with its create_time."""

import base64
import bisect
import heapq
import json
import zlib
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

FORMAT = "s1:"
LOW_BITS = 32
# A saved roll unpacks to at most this much: far beyond any account, far below a bomb.
MOST_BYTES = 64 * 2**20
# Numbers sorted this many at a time: as a list, a number costs 36 bytes, in an array 8.
SORTED_AT_ONCE = 10_000


def as_number(video_id: str, created: int) -> int | None:
    """The id as a number, when it is one whose high bits are its creation second."""
    if not (video_id.isascii() and video_id.isdigit()) or video_id.startswith("0"):
        return None
    number = int(video_id)
    return number if number < 2**64 and number >> LOW_BITS == created else None


@dataclass
class Roll:
    """Listed videos: `numbers` sorted and unique, `other` every id that is not one (id -> time)."""

    numbers: "array[int]" = field(default_factory=lambda: array("Q"))
    other: dict[str, int] = field(default_factory=dict)

    def __contains__(self, video_id: str) -> bool:
        if video_id in self.other:
            return True
        if not (video_id.isascii() and video_id.isdigit()) or video_id.startswith("0"):
            return False  # not a number in the roll's form: "007" is not the video 7
        number = int(video_id)
        at = bisect.bisect_left(self.numbers, number)
        return at < len(self.numbers) and self.numbers[at] == number

    def __len__(self) -> int:
        return len(self.numbers) + len(self.other)

    def items(self) -> Iterator[tuple[str, int]]:
        """(id, create_time) of every video."""
        for number in self.numbers:
            yield str(number), number >> LOW_BITS
        yield from self.other.items()


def rolled(videos: Iterable[tuple[str, int]]) -> Roll:
    """The roll of (id, create_time) pairs; a repeated id keeps its last time."""
    numbers: list[int] = []
    other: dict[str, int] = {}
    for video_id, created in videos:
        number = as_number(video_id, created)
        if number is None:
            other[video_id] = created
        else:
            numbers.append(number)
    return merged([Roll(sorted_numbers(array("Q", numbers)), other)])


def sorted_numbers(numbers: "array[int]") -> "array[int]":
    """The numbers sorted and unique, a chunk at a time, so a large walk's never sit in a list."""
    chunks = [
        array("Q", sorted(numbers[at : at + SORTED_AT_ONCE]))
        for at in range(0, len(numbers), SORTED_AT_ONCE)
    ]
    return _unique(heapq.merge(*chunks))


def merged(rolls: list[Roll]) -> Roll:
    """One roll of several; for an id in two, the later roll's time."""
    other: dict[str, int] = {}
    for roll in rolls:
        other |= roll.other
    numbers = _unique(heapq.merge(*(roll.numbers for roll in rolls)))
    if other:  # an id seen once with its creation second and once redated stays once
        numbers = array("Q", (n for n in numbers if str(n) not in other))
    return Roll(numbers, other)


def encode(roll: Roll) -> str:
    steps, before = bytearray(), 0
    low = array("I")
    for number in roll.numbers:
        second = number >> LOW_BITS
        steps += _varint(second - before)
        before = second
        low.append(number & (2**LOW_BITS - 1))
    others = sorted((created, video_id) for video_id, created in roll.other.items())
    packed = _varint(len(roll.numbers)) + steps + low.tobytes() + json.dumps(others).encode()
    return FORMAT + base64.b64encode(zlib.compress(packed, 9)).decode("ascii")


def decode(text: str) -> Roll:
    """The roll `encode` wrote; ValueError for anything else."""
    if not text.startswith(FORMAT):
        raise ValueError("an unknown format")
    packed = _unsqueeze(text.removeprefix(FORMAT))
    [count], at = _read_varints(packed, 0, 1)
    steps, at = _read_varints(packed, at, count)
    low = array("I")
    if low.itemsize != 4 or len(packed) < at + 4 * count:
        raise ValueError("cut short")
    low.frombytes(packed[at : at + 4 * count])
    numbers, second = array("Q"), 0
    for step, bits in zip(steps, low, strict=True):
        second += step
        if second >= 2**LOW_BITS or (numbers and (second << LOW_BITS) + bits <= numbers[-1]):
            raise ValueError("ids out of order or range")
        numbers.append((second << LOW_BITS) + bits)
    try:
        pairs = json.loads(packed[at + 4 * count :])
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError("the other ids are not JSON") from error
    if not isinstance(pairs, list) or not all(_pair(pair) for pair in pairs):
        raise ValueError("the other ids are not [create_time, id] pairs")
    return Roll(numbers, {video_id: created for created, video_id in pairs})


def _unique(ordered: Iterable[int]) -> "array[int]":
    numbers = array("Q")
    for number in ordered:
        if not numbers or numbers[-1] != number:
            numbers.append(number)
    return numbers


def _pair(pair: object) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and type(pair[0]) is int
        and isinstance(pair[1], str)
    )


def _varint(number: int) -> bytes:
    out = bytearray()
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _read_varints(packed: bytes, at: int, count: int) -> tuple["array[int]", int]:
    numbers = array("Q")  # a large roll's steps, 8 bytes each
    for _ in range(count):
        number = shift = 0
        while True:
            if at >= len(packed) or shift > 28:  # every number here fits in 32 bits
                raise ValueError("a number cut short or too long")
            byte = packed[at]
            at += 1
            number |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        numbers.append(number)
    return numbers, at


def _unsqueeze(text: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(base64.b64decode(text, validate=True), MOST_BYTES)
    except (zlib.error, ValueError) as error:
        raise ValueError("not base64 of zlib data") from error
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("cut short, or too large")
    return raw
