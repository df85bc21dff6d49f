"""Switchable misbehaviour; tests flip these fields while the emulator runs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

# What a deployment makes of video/list's is_aigc: it serves the field; refuses it as an unknown
# field (invalid_params, as before the docs added it); or knows it but never sends it.
AIGC_VARIANTS = ("served", "unknown", "withheld")


@dataclass
class Faults:
    """All off by default. Counters count down as they fire, so a test sets a number of shots.

    Unless noted, faults hit only the three Display API endpoints, not the token endpoint.
    """

    rate_limit_burst: int = 0  # next N answer 429 rate_limit_exceeded
    server_error_burst: int = 0  # next N answer 500 internal_error
    undocumented_codes: int = 0  # next N video/list answer 200 with a code TikTok never documented
    slow_ms: int = 0  # extra latency on every request, token endpoint included
    hang_requests: int = 0  # next N sleep hang_seconds before answering
    hang_seconds: float = 10.0
    drop_connections: int = 0  # next N close the socket without a response
    truncated_bodies: int = 0  # next N answer 200 with half of the JSON body
    drip_bodies: int = 0  # next N send their body one byte at a time, drip_seconds apart
    drip_token_bodies: int = 0  # likewise for the next N token answers
    drip_heads: int = 0  # next N drip their status line and headers instead
    drip_token_heads: int = 0  # likewise for the next N token answers
    drip_seconds: float = 0.05
    non_json_bodies: int = 0  # next N answer 200 with an HTML gateway page
    access_token_dies_after: int | None = None  # successful calls before all tokens die
    short_pages: bool = False  # video/list pages of a random size in 1..max_count
    empty_page_every: int = 0  # every Kth video/list is empty with has_more and the same cursor
    duplicate_across_pages: bool = False  # a page repeats the previous page's last video
    stuck_cursor_after_pages: int | None = None  # pages before video/list repeats itself forever
    endless_empty_pages: bool = False  # after the first page: empty, has_more, cursor 1 s older
    # each video/list page: one post never seen before, a second older than the cursor, has_more
    # forever; the profile's count does not grow with them (both emulators)
    endless_new_posts: bool = False
    token_endpoint_errors: int = 0  # next N token requests answer 500 server_error
    partial_success: int = 0  # API for Business only: next N data answers say code 20001, with data
    redirects: int = 0  # next N requests, token endpoint included, answer 307 to redirect_to
    redirect_to: str = ""  # a base URL; the request's path is appended
    # Token answers, both APIs: after `token_overrides_after` plain refreshes, every refresh answer
    # says these fields instead (a huge lifetime, a refresh_token that is not a string, another
    # account's open_id); the API for Business's also carries `token_code` as its envelope code.
    token_overrides: dict[str, object] = field(default_factory=dict)
    token_overrides_after: int = 0
    token_code: object = 0
    aigc: str = "served"  # one of AIGC_VARIANTS
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def __setattr__(self, name: str, value: object) -> None:
        """A misspelt variant fails where a test sets it, not in a later assert."""
        if name == "aigc" and value not in AIGC_VARIANTS:
            raise ValueError(f"aigc must be one of {AIGC_VARIANTS}, not {value!r}")
        super().__setattr__(name, value)

    def take(self, name: str) -> bool:
        """Fire one shot of counter `name` if any are left."""
        with self._lock:
            left = getattr(self, name)
            if not left or left <= 0:
                return False
            setattr(self, name, left - 1)
            return True

    def tokens_due_to_die(self) -> bool:
        """True once, when the countdown of access_token_dies_after has run out."""
        with self._lock:
            if self.access_token_dies_after is None or self.access_token_dies_after > 0:
                return False
            self.access_token_dies_after = None
            return True

    def note_success(self) -> None:
        """Count a successful Display API call towards access_token_dies_after."""
        with self._lock:
            if self.access_token_dies_after:
                self.access_token_dies_after -= 1

    def cursor_stuck(self) -> bool:
        """Count a video/list page towards stuck_cursor_after_pages; True once it has run out."""
        with self._lock:
            left = self.stuck_cursor_after_pages
            if left is None:
                return False
            if left <= 0:
                return True
            self.stuck_cursor_after_pages = left - 1
            return False

    def token_answer(self, plain: dict[str, object]) -> dict[str, object]:
        """A refresh answer's fields, with the overrides once the plain refreshes have run out."""
        with self._lock:
            if self.token_overrides_after > 0:
                self.token_overrides_after -= 1
                return plain
            return {**plain, **self.token_overrides}
