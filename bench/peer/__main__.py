"""Runs manifest.yaml as `source-declarative-manifest` runs a bundled manifest, minus the image.

    python -m bench.peer read --config config.json --catalog catalog.json

The CDK's own entry point only loads a manifest from /airbyte/integration_code/ or from the
config, so this does the same few steps (parse the arguments, read config, catalog and state,
build a YamlDeclarativeSource, launch) with the manifest next to this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

MANIFEST = Path(__file__).with_name("manifest.yaml")


def main(args: list[str]) -> None:
    parsed = AirbyteEntrypoint.parse_args(args)
    config_path = getattr(parsed, "config", None)
    catalog_path = getattr(parsed, "catalog", None)
    state_path = getattr(parsed, "state", None)
    source = YamlDeclarativeSource(
        path_to_yaml=str(MANIFEST),
        config=YamlDeclarativeSource.read_config(config_path) if config_path else None,
        catalog=YamlDeclarativeSource.read_catalog(catalog_path) if catalog_path else None,
        state=YamlDeclarativeSource.read_state(state_path) if state_path else None,
        config_path=config_path,
    )
    launch(source, args)


if __name__ == "__main__":
    main(sys.argv[1:])
