"""The profile's counters from business/get, for user_stats and the progress estimates."""

from __future__ import annotations

from typing import Any

from source_tiktok_organic.business.auth import business_id
from source_tiktok_organic.business.backoff import BusinessBackoff
from source_tiktok_organic.business.envelope import business_data
from source_tiktok_organic.business.errors import BusinessErrorHandler
from source_tiktok_organic.business.fields import PROFILE_STATS_FIELDS, json_list
from source_tiktok_organic.business.records import to_profile
from source_tiktok_organic.business.streams import API_PREFIX
from source_tiktok_organic.core.counters import READER, ProfileCounters
from source_tiktok_organic.core.errors import naming


class BusinessProfileCounters(ProfileCounters):
    def _request(self) -> dict[str, Any]:
        owner = business_id(self._auth)
        response = self._send(
            BusinessErrorHandler,
            BusinessBackoff(waiting=self.waiting),
            self._settings.api_base_url + API_PREFIX + "business/get/",
            {"business_id": owner, "fields": json_list(PROFILE_STATS_FIELDS)},
        )
        data, envelope = business_data(response, READER)
        with naming(envelope.ids):
            return to_profile(data, owner)
