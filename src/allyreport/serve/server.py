"""The preview's HTTP side: the output folder, read-only, to this machine, and a reload channel.

The notes are confidential and a browser runs code from the whole web, so the server trusts
nothing about a request: only GET and HEAD; only the files the last completed publish wrote
(by name, then by resolved real path inside the output folder: no `..`, no symlink out, no
folder listing); only requests whose `Host` is the address it is bound to (a page elsewhere
on the web that rebinds its own name to 127.0.0.1 cannot read the reports); no CORS headers,
and `Cross-Origin-Resource-Policy: same-origin` so another site cannot even embed a file.

Pages get a small script, added to the response only (the files on disk are exactly what
`build` writes), that listens on `/__allyreport/events` (server-sent events) and reloads
when the output changes. The channel carries one random token per completed build, so it
tells a listener that something changed and nothing else. When the last build failed, each
page comes with the problems listed on top of it (as `check` prints them).
"""

from __future__ import annotations

import html
import ipaddress
import mimetypes
import os
import secrets
import socket
import threading
import urllib.parse
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..build.publish import MARKER, SWAPPING

EVENTS = "/__allyreport/events"
KEEPALIVE = 15.0  # seconds between comments on an idle event stream: a closed tab is noticed
_SCRIPT = """<script>/* allyreport serve: reload when the output changes (not in the built files) */
(function(){var t="%s",s=new EventSource("%s");s.onmessage=function(e){if(e.data!==t){s.close();location.reload();}};})();
</script>"""
_PANEL = ('<div id="allyreport-problems" role="alert" style="position:fixed;top:0;left:0;right:0;max-height:70vh;'
          'overflow:auto;z-index:2147483647;margin:0;padding:1em 1.5em;background:#fff1f0;color:#1a1a1a;'
          'border-bottom:4px solid #b3261e;font:14px/1.45 system-ui,sans-serif">'
          '<strong>allyreport: the last save did not build ({count})</strong>'
          '<pre style="white-space:pre-wrap;font:13px/1.45 ui-monospace,monospace;margin:.6em 0">{lines}</pre>'
          '<span>{note}</span></div>')
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class Site:
    """What is shown: the files of the last completed publish, the last build's problems, and a
    token that changes whenever either does (the reload event)."""

    def __init__(self, out: Path) -> None:
        self.root = os.path.realpath(out)
        self._changed = threading.Condition()
        self.names: frozenset[str] = frozenset()
        self.problems: tuple[str, ...] = ()
        self.token = secrets.token_hex(8)
        self.closed = False

    def show(self, names: Iterable[str] | None, problems: Iterable[str]) -> None:
        """A build completed: its files (None: the last good ones stand) and its problems."""
        with self._changed:
            if names is not None:
                self.names = frozenset(n for n in names if n != MARKER)
            self.problems = tuple(problems)
            self.token = secrets.token_hex(8)
            self._changed.notify_all()

    def wait(self, token: str, timeout: float) -> str:
        """The token once it differs from `token` (or after `timeout`, or at shutdown)."""
        with self._changed:
            self._changed.wait_for(lambda: self.token != token or self.closed, timeout)
            return self.token

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def real_file(self, name: str) -> str | None:
        """The file to send for `name`, or None: a published name whose real path is a file
        inside the output folder (a symlink put there pointing out is refused)."""
        if name not in self.names:
            return None
        real = os.path.realpath(os.path.join(self.root, name))
        if not real.startswith(self.root + os.sep) or not os.path.isfile(real):
            return None
        return real


def request_name(path: str) -> str | None:
    """The output file a URL path asks for ("" and folders mean their index.html), or None when
    the path is malformed or tries to leave the folder (`..`, a NUL, a backslash)."""
    try:
        text = urllib.parse.unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    parts = text.split("/")
    if not text.startswith("/") or any(p in {".", ".."} for p in parts) or "\0" in text or "\\" in text:
        return None
    name = text.lstrip("/")
    return name + "index.html" if name == "" or name.endswith("/") else name


class Server(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream never holds up the exit
    block_on_close = False

    def __init__(self, host: str, port: int, site: Site) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)
        self.site = site
        self.hosts = Hosts(host, self.server_address[1])
        self.refusals = 0

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"


class Hosts:
    """The `Host` headers to answer: the bound address (and `localhost` when it is a loopback one).
    Bound to every address (0.0.0.0, ::), also any IP literal and this machine's name: DNS
    rebinding needs a name the attacker controls, never a literal."""

    def __init__(self, host: str, port: int) -> None:
        self.port = port
        names = {f"[{host}]" if ":" in host else host.lower()}
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
        except ValueError:
            address = None
        self.any_ip = address is not None and address.is_unspecified
        if host.lower() == "localhost" or (address is not None and address.is_loopback):
            names |= {"localhost", "127.0.0.1", "[::1]"}
        if self.any_ip:
            names |= {socket.gethostname().lower(), "localhost"}
        self.names = frozenset(names)

    def allow(self, header: str | None) -> bool:
        name, _, port = (header or "").strip().lower().rpartition(":")
        if port != str(self.port) or not name:
            return False
        if name in self.names:
            return True
        if not self.any_ip:
            return False
        try:
            ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
        except ValueError:
            return False
        return True


class Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "allyreport"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _refuse_method(self) -> None:
        self._plain(405, "only GET and HEAD are served\n", {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse_method

    def _answer(self, body: bool) -> None:
        if not self.server.hosts.allow(self.headers.get("Host")):
            self.log_refusal(f"Host {self.headers.get('Host')!r} is not the address served")
            self._plain(403, "this server answers only for the address it is bound to\n")
            return
        if self.headers.get("Sec-Fetch-Site") == "cross-site" and self.headers.get("Sec-Fetch-Mode") != "navigate":
            self._plain(403, "not for other sites\n")
            return
        path = urllib.parse.urlsplit(self.path).path
        if path == EVENTS:
            self._events(body)
            return
        name = request_name(path)
        if name is None:
            self._plain(400, "bad path\n")
            return
        self._file(name, body)

    def _file(self, name: str, body: bool) -> None:
        site = self.server.site
        with SWAPPING:  # a publish under way finishes first: every file read is from a completed one
            real = site.real_file(name)
            if real is None and not (site.problems and not site.names and name.endswith(".html")):
                self._plain(404, "not found\n")
                return
            data = b""
            if real is not None:
                with open(real, "rb") as handle:
                    data = handle.read()
            token, problems, shown = site.token, site.problems, bool(site.names)
        kind = _content_type(name)
        if kind.startswith("text/html"):
            data = decorate(data if real is not None else _EMPTY_PAGE, token, problems, shown)
        self._send(200 if real is not None else 503, kind, data if body else b"", len(data))

    def _events(self, body: bool) -> None:
        site = self.server.site
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Connection", "close")
        for key, value in _HEADERS.items():
            self.send_header(key, value)
        self.end_headers()
        self.close_connection = True
        if not body:
            return
        token = ""
        try:
            while not site.closed:
                fresh = site.wait(token, KEEPALIVE)
                message = f"retry: 1000\ndata: {fresh}\n\n" if fresh != token else ": idle\n\n"
                self.wfile.write(message.encode())
                self.wfile.flush()
                token = fresh
        except OSError:  # the page went away
            return

    def _send(self, code: int, kind: str, data: bytes, length: int) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        for key, value in _HEADERS.items():
            self.send_header(key, value)
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _plain(self, code: int, text: str, extra: dict[str, str] | None = None) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in {**_HEADERS, **(extra or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_refusal(self, why: str) -> None:
        self.server.refusals += 1
        if self.server.refusals <= 20:  # a scan must not flood the terminal
            print(f"allyreport serve: refused a request: {why}", flush=True)

    def log_message(self, format: str, *args: Any) -> None:
        return  # a request log would bury the rebuild lines; refusals are printed instead


_EMPTY_PAGE = b"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>allyreport</title><body></body></html>"


def decorate(page: bytes, token: str, problems: tuple[str, ...], shown: bool) -> bytes:
    """A page as served: the problems of the last build on top when it failed, and the reload script."""
    script = (_SCRIPT % (token, EVENTS)).encode()
    panel = b""
    if problems:
        note = ("The page below is from the last good build; it comes back as soon as a save builds." if shown
                else "Nothing has been built yet; fix these and save.")
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        panel = _PANEL.format(count=count, lines=html.escape("\n".join(problems)), note=note).encode()
    at = page.lower().rfind(b"</body>")
    at = len(page) if at < 0 else at
    start = page.lower().find(b"<body")
    start = page.find(b">", start) + 1 if start >= 0 else 0
    start = min(start, at)
    return page[:start] + panel + page[start:at] + script + page[at:]


def _content_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in {"application/json", "application/javascript", "image/svg+xml"}:
        return f"{kind}; charset=utf-8"
    return kind
