"""What both APIs share about fields: here, leaving out those a deployment does not serve."""

import logging
import threading

import pytest

from source_tiktok_organic.core.fields import UnservedFields


def test_given_a_field_refused_then_it_is_left_out_and_the_others_keep_their_order() -> None:
    unserved = UnservedFields()
    unserved.refused("is_aigc", "said", logging.getLogger("test"))
    assert unserved.left(["id", "is_aigc", "title"]) == ["id", "title"]


def test_given_workers_refused_at_once_then_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    unserved, workers = UnservedFields(), 8
    together = threading.Barrier(workers)

    def refuse() -> None:
        together.wait()
        unserved.refused("is_aigc", "Unknown fields: is_aigc", logging.getLogger("test"))

    threads = [threading.Thread(target=refuse) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [warning] = caplog.records
    assert "'is_aigc' stays null" in warning.message
