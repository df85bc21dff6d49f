"""Console entry point: `source-tiktok-organic spec|check|discover|read ...`."""

import sys

from airbyte_cdk.entrypoint import launch

from source_tiktok_organic.source import SourceTiktokOrganic


def run() -> None:
    launch(SourceTiktokOrganic(), sys.argv[1:])
