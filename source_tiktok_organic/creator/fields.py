"""Which fields the Display API serves, and which scope unlocks each (the reference's tables)."""

from source_tiktok_organic.core.fields import STATS_FIELDS, STATS_SCOPE

BASIC_SCOPE = "user.info.basic"
VIDEO_LIST_SCOPE = "video.list"
USER_FIELD_SCOPES: dict[str, str] = {
    **dict.fromkeys(
        ("open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name"),
        BASIC_SCOPE,
    ),
    **dict.fromkeys(
        ("bio_description", "profile_deep_link", "is_verified", "username"), "user.info.profile"
    ),
    **dict.fromkeys(STATS_FIELDS, STATS_SCOPE),
}
# The `fields` of POST /v2/video/list/, as its query spells them.
VIDEO_FIELDS = (
    "id,create_time,cover_image_url,share_url,video_description,duration,height,width,title,"
    "embed_html,embed_link,like_count,comment_count,share_count,view_count"
)
