"""Which fields each Accounts endpoint knows, the scope each needs, and who gets them."""

from __future__ import annotations

SCOPES = (
    "user.info.basic",
    "user.info.username",
    "user.info.profile",
    "user.info.stats",
    "user.account.type",
    "user.insights",
    "video.list",
    "video.insights",
    "comment.list",
)

PROFILE_FIELD_SCOPES = {
    "is_business_account": "user.account.type",
    "profile_image": "user.info.basic",
    "username": "user.info.username",
    "display_name": "user.info.basic",
    "profile_deep_link": "user.info.profile",
    "bio_description": "user.info.profile",
    "is_verified": "user.info.profile",
    "following_count": "user.info.stats",
    "followers_count": "user.info.stats",
    "total_likes": "user.info.stats",
    "videos_count": "user.info.stats",
    "metrics": "user.insights",
    "audience_ages": "user.insights",
    "audience_genders": "user.insights",
    "audience_countries": "user.insights",
    "audience_cities": "user.insights",
}
DEFAULT_PROFILE_FIELDS = ["display_name", "profile_image"]

DAY_FIELDS = ("video_views", "profile_views", "likes", "comments", "shares", "followers_count")
BUSINESS_DAY_FIELDS = (
    "unique_video_views",
    "daily_total_followers",
    "daily_new_followers",
    "daily_lost_followers",
    "engaged_audience",
    "audience_activity",
)
CONTACT_FIELDS = (  # registered Business accounts only, on days and on posts
    "phone_number_clicks",
    "lead_submissions",
    "app_download_clicks",
    "email_clicks",
    "address_clicks",
)
REGISTERED_DAY_FIELDS = (*CONTACT_FIELDS, "bio_link_clicks")

# T+24-48 h on the "Get data of TikTok posts" page: a post younger than that lacks them.
_DELAYED_COUNTS = ("video_duration", "likes", "comments", "shares", "favorites", "reach")
_WATCH = ("total_time_watched", "average_time_watched", "full_video_watched_rate")
POST_FIELD_SCOPES = {
    **dict.fromkeys(
        (
            "item_id",
            "media_type",
            "is_ad",
            "thumbnail_url",
            "share_url",
            "embed_url",
            "caption",
            "create_time",
            *_DELAYED_COUNTS,
            "video_views",
        ),
        "video.list",
    ),
    **dict.fromkeys(
        (
            *_WATCH,
            "new_followers",
            "profile_views",
            "website_clicks",
            *CONTACT_FIELDS,
            "video_view_retention",
            "engagement_likes",
            "impression_sources",
            "audience_genders",
            "audience_countries",
            "audience_cities",
            "audience_types",
        ),
        "video.insights",
    ),
}
DEFAULT_POST_FIELDS = ["item_id"]
BUSINESS_POST_FIELDS = ("profile_views",)
REGISTERED_POST_FIELDS = ("website_clicks", *CONTACT_FIELDS)
DELAYED_POST_FIELDS = (*_DELAYED_COUNTS, "video_views", *_WATCH)
IDLE_LOST_FIELDS = (  # may go missing after 7 days without activity
    "reach",
    "full_video_watched_rate",
    "total_time_watched",
    "average_time_watched",
    "impression_sources",
    "audience_countries",
)
