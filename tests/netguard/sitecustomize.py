"""Loaded by every Python subprocess the tests start (via PYTHONPATH): no network, ever.

A build reads notes and templates and writes files; any attempt to reach a host is a bug
(a leak of confidential notes, or a fetch a report must not depend on), so it raises.
"""

import os
import socket

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


_LOOPBACK = os.environ.get("ALLYREPORT_ALLOW_LOOPBACK") == "1"  # the benchmark's client of `allyreport serve`


def _refuse(sock: socket.socket, address: object) -> None:
    if _LOOPBACK and isinstance(address, tuple) and address[0] in {"127.0.0.1", "::1"}:
        return
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        raise RuntimeError(f"network access attempted: {address!r}")


def _connect(self: socket.socket, address: object) -> None:
    _refuse(self, address)
    _real_connect(self, address)  # type: ignore[arg-type]


def _connect_ex(self: socket.socket, address: object) -> int:
    _refuse(self, address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _connect  # type: ignore[method-assign]
socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
