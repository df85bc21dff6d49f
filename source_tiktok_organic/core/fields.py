"""What both APIs share about fields: the common count columns, and asking only for granted ones."""

STATS_SCOPE = "user.info.stats"  # both APIs name the profile counters' scope alike
STATS_FIELDS: tuple[str, ...] = ("follower_count", "following_count", "likes_count", "video_count")
VIDEO_COUNT_FIELDS: tuple[str, ...] = ("view_count", "like_count", "comment_count", "share_count")


def granted_fields(
    field_scopes: dict[str, str], scopes: frozenset[str]
) -> tuple[list[str], dict[str, list[str]]]:
    """The granted fields, and each missing scope with the fields it holds back: TikTok fails the
    whole call when one requested field lacks its scope."""
    withheld: dict[str, list[str]] = {}
    for field, scope in field_scopes.items():
        if scope not in scopes:
            withheld.setdefault(scope, []).append(field)
    return [field for field, scope in field_scopes.items() if scope in scopes], withheld
