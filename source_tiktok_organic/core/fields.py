"""What both APIs share about fields: the common count columns, asking only for granted ones,
and leaving out those a deployment does not serve."""

import logging
import threading
from collections.abc import Iterable

# Both APIs name these scopes alike: the profile, the video list and the profile counters.
BASIC_SCOPE = "user.info.basic"
VIDEO_LIST_SCOPE = "video.list"
STATS_SCOPE = "user.info.stats"
STATS_FIELDS: tuple[str, ...] = ("follower_count", "following_count", "likes_count", "video_count")
VIDEO_COUNT_FIELDS: tuple[str, ...] = ("view_count", "like_count", "comment_count", "share_count")


def granted_fields(
    field_scopes: dict[str, str],
    scopes: frozenset[str],
    what: str = "",
    logger: logging.Logger | None = None,
) -> list[str]:
    """The granted fields, as TikTok fails the whole call when one requested field lacks its
    scope; given a logger, each scope held back is named once, with what it leaves out of `what`."""
    for scope in dict.fromkeys(field_scopes.values()):
        if logger and scope not in scopes:
            left_out = ", ".join(field for field, needs in field_scopes.items() if needs == scope)
            logger.warning(
                "Scope '%s' is not granted, so %s leaves out: %s.", scope, what, left_out
            )
    return [field for field, scope in field_scopes.items() if scope in scopes]


class UnservedFields:
    """Fields a deployment refused as unknown (documented lately, not served there yet): the rest
    of the sync asks without them, and says so once. Shared by the threads walking the list."""

    def __init__(self) -> None:
        self._refused: set[str] = set()
        self._lock = threading.Lock()

    def left(self, fields: Iterable[str]) -> list[str]:
        """The fields still to ask for."""
        with self._lock:
            return [field for field in fields if field not in self._refused]

    def refused(self, field: str, said: str, logger: logging.Logger) -> None:
        """`field` is asked no more; the first refusal is logged with what TikTok `said`."""
        with self._lock:
            first = field not in self._refused
            self._refused.add(field)
        if first:
            logger.warning(
                "TikTok refused the field '%s', which this deployment does not serve yet: %s. "
                "The rest of the sync asks without it, and the column '%s' stays null.",
                field,
                said,
                field,
            )
