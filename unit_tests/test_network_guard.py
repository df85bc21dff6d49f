import socket

import pytest


def test_given_a_public_address_when_a_test_connects_then_the_suite_refuses() -> None:
    with pytest.raises(ConnectionRefusedError, match="beyond loopback"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
