"""The import floor: a CDK source that does nothing, so start-up cost can be split in two.

    python -m bench.bare spec|check|discover [--config config.json]

Whatever `spec` or `discover` of this program costs is Python plus the CDK's entry point; what the
connector costs beyond it is its own imports and work.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.entrypoint import launch
from airbyte_cdk.models import ConnectorSpecification
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream

SPEC = ConnectorSpecification(
    connectionSpecification={"type": "object", "properties": {}, "additionalProperties": True}
)


class BareSource(AbstractSource):
    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return SPEC

    def check_connection(
        self, logger: logging.Logger, config: Mapping[str, Any]
    ) -> tuple[bool, Any]:
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        return []


if __name__ == "__main__":
    launch(BareSource(), sys.argv[1:])
