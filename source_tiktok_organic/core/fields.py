"""What both APIs share about fields: the common count columns, and asking only for granted ones."""

import logging

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
