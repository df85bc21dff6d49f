"""What both APIs share about fields: the common count columns and the rule that asks only for
what the grant allows."""

# Both APIs name the profile's counters' scope alike.
STATS_SCOPE = "user.info.stats"
STATS_FIELDS: tuple[str, ...] = ("follower_count", "following_count", "likes_count", "video_count")
VIDEO_COUNT_FIELDS: tuple[str, ...] = ("view_count", "like_count", "comment_count", "share_count")


def granted_fields(
    field_scopes: dict[str, str], scopes: frozenset[str]
) -> tuple[list[str], dict[str, list[str]]]:
    """The fields the grant allows, and the missing scopes with the fields they hold back.

    TikTok fails the whole call when one requested field lacks its scope, so asking only for
    granted fields is what keeps a partial grant working.
    """
    allowed: list[str] = []
    withheld: dict[str, list[str]] = {}
    for field, scope in field_scopes.items():
        if scope in scopes:
            allowed.append(field)
        else:
            withheld.setdefault(scope, []).append(field)
    return allowed, withheld
