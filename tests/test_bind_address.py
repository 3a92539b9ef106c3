"""The server listens on the loopback address unless told otherwise: nothing on the intranet reaches an
unconfigured install."""

from __future__ import annotations

from urllib.parse import urlparse

from tests.browser import copy_store, streamlit_server


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp* writes them) with a socket listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_app_listens_on_loopback_only(demo_db, tmp_path):
    with streamlit_server(copy_store(demo_db, tmp_path)) as base:
        addresses = _listening(urlparse(base).port)
    assert addresses == {"0100007F"}  # 127.0.0.1 and nothing else (0.0.0.0 would be 00000000, :: all zeros)
