"""Console entry point: `source-tiktok-organic spec|check|discover|read ...`."""

import json
import os
import signal
import sys
from argparse import Namespace
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from types import FrameType
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import ConnectorSpecification, FailureType
from airbyte_cdk.utils import AirbyteTracedException
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.print_buffer import PrintBuffer

from source_tiktok_organic.core.errors import traced_error
from source_tiktok_organic.source import SourceTiktokOrganic


class TikTokEntrypoint(AirbyteEntrypoint):
    """The CDK's entrypoint, with config errors worded for a person before `check` runs."""

    def run(self, parsed_args: Namespace) -> Iterable[str]:
        """`check` answers with a CONNECTION_STATUS even when its config file cannot be read."""
        try:
            yield from super().run(parsed_args)
        except FileNotFoundError as error:
            if "temporary directory" not in str(error):  # tempfile's words when none is usable
                raise
            raise traced_error(
                f"The connector found no usable temporary folder ({error}). Set TMPDIR to a "
                "writable folder with free space."
            ) from error
        except AirbyteTracedException as error:
            status = error.as_connection_status_message()
            if parsed_args.command != "check" or status is None:
                raise
            yield self.airbyte_message_to_string(status)

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Any) -> None:
        """Left to the source's check, which names the field and format, not the schema's regex."""


def launch(argv: Sequence[str], write: Callable[[str], None]) -> int:
    """airbyte_cdk.entrypoint.launch with this entrypoint and the caller's writer, returning the
    exit code: a config error ends the run with its one TRACE message and 1, no traceback."""
    entrypoint = TikTokEntrypoint(SourceTiktokOrganic())
    try:
        for message in entrypoint.run(entrypoint.parse_args(list(argv))):
            write(message)
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise
        write(filter_secrets(entrypoint.airbyte_message_to_string(error.as_airbyte_message())))
        return 1
    return 0


# The CDK's shared buffer writes every 0.1 s. The workers' records wait in the queue and come out
# in bursts; a shorter interval holds fewer of them as text at once.
FLUSH_INTERVAL_S = 0.01


def stop_now(buffer: PrintBuffer, signum: int, _frame: FrameType | None) -> None:
    """Ctrl-C or SIGTERM: flush, say so, exit 128 + the signal, as a shell does, unwinding nothing
    through the CDK (a traceback per thread, the stream logged as finished)."""
    said = (
        f"Stopped by {signal.Signals(signum).name}: the command did not finish. A read resumes "
        "from the last STATE message it printed, losing nothing."
    )
    buffer.write(json.dumps({"type": "LOG", "log": {"level": "WARN", "message": said}}) + "\n")
    buffer.flush()
    if not (sys.__stdout__ and sys.__stdout__.isatty()) and sys.__stderr__:
        sys.__stderr__.write(f"{said}\n")  # stdout goes to a file: the person sees this
        sys.__stderr__.flush()
    os._exit(128 + signum)


def run() -> None:
    # The CDK's log handler writes to its PRINT_BUFFER: messages through the same buffer share its
    # lock, so a worker's log line never lands inside a record line.
    PRINT_BUFFER.flush_interval = FLUSH_INTERVAL_S
    with PRINT_BUFFER as buffer:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, partial(stop_now, buffer))
        code = launch(sys.argv[1:], lambda message: print(f"{message}\n", end=""))
    if code:
        sys.exit(code)
