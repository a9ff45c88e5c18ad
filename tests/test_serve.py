"""`allyreport serve`, as a user runs it: the real server in a subprocess on a free port, a
real HTTP client, notes edited on disk while it runs.

The speed of the edit-to-reload loop is measured in `make bench`, not here; these tests give
the server generous time on a busy machine and check what it does.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from allyreport.serve.server import Hosts, request_name

from . import support
from .conftest import NotesWriter, Served, run_cli
from .support import ACCOUNT, tree_hash

NOTE = support.NOTE.replace("We discussed their {context}.", "{body}")  # the body given by each test


def portfolio(write_notes: NotesWriter) -> Path:
    files: dict[str, str | bytes] = {}
    for slug in ("acme", "globex"):
        files[f"{slug}/account.md"] = ACCOUNT.format(name=slug.title())
        for day, context in (("2026-05-06", "problem"), ("2026-06-10", "strategy"), ("2026-07-08", "service")):
            files[f"{slug}/{day}-meeting.md"] = NOTE.format(date=day, context=context, body=f"We met {slug} on {day}.")
    return write_notes(files)


@pytest.fixture
def served(write_notes: NotesWriter, tmp_path: Path) -> Iterator[Served]:
    portfolio(write_notes)
    server = Served(tmp_path, "--notes", "notes", "--out", "out")
    yield server
    if server.proc.poll() is None:
        server.stop()


def test_the_portfolio_is_served_with_the_reload_script_only_in_the_response(served: Served, tmp_path: Path) -> None:
    page = BeautifulSoup(served.page("/"), "html.parser")
    names = [a.get_text(strip=True) for a in page.select("#accounts-table tbody tr td:first-child")]
    assert names == ["Acme", "Globex"]
    assert any("/__allyreport/events" in s.get_text() for s in page.find_all("script"))
    assert served.page("/index.html") == served.page("/")
    on_disk = (tmp_path / "out" / "index.html").read_text("utf-8")
    assert "__allyreport" not in on_disk  # the built files are exactly what `build` writes
    assert "We met acme on 2026-07-08." in served.page("/accounts/acme.html")
    status, headers, body = served.request("/assets/style.css")
    assert status == 200
    assert body == (tmp_path / "out" / "assets" / "style.css").read_bytes()
    assert headers["content-type"] == "text/css; charset=utf-8"
    assert "access-control-allow-origin" not in headers
    assert headers["cross-origin-resource-policy"] == "same-origin"
    assert "127.0.0.1" in "".join(served.out)


def test_an_edited_note_rebuilds_its_account_and_sends_the_reload_event(served: Served, tmp_path: Path) -> None:
    events = served.events()
    first = events.next()
    before = tree_hash(tmp_path / "out")
    note = tmp_path / "notes" / "acme" / "2026-07-08-meeting.md"
    note.write_text(NOTE.format(date="2026-07-08", context="service", body="They asked for a second opinion."), "utf-8")
    assert events.next() != first  # the reload event
    assert "They asked for a second opinion." in served.page("/accounts/acme.html")
    after = tree_hash(tmp_path / "out")
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert "accounts/acme.html" in changed
    assert set(changed) <= {"accounts/acme.html", "plans/acme.html"}  # the portfolio shows nothing that changed
    assert "rebuilt 2026Q3: 1 of 2 accounts redone in" in "".join(served.out)
    events.close()
    assert served.stop() == 0
    # the same output and the same cache as `build`: a build afterwards has nothing to do,
    # and a build from scratch elsewhere writes the same files
    again = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "all 2 unchanged" in again.stdout
    scratch = tmp_path / "scratch"
    shutil.copytree(tmp_path / "notes", scratch / "notes")
    fresh = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", cwd=scratch)
    assert fresh.returncode == 0, fresh.stderr
    assert tree_hash(scratch / "out") == tree_hash(tmp_path / "out")


def test_a_broken_note_shows_its_problems_over_the_last_good_pages_then_recovers(served: Served,
                                                                                 tmp_path: Path) -> None:
    events = served.events()
    token = events.next()
    before = tree_hash(tmp_path / "out")
    note = tmp_path / "notes" / "globex" / "2026-07-08-meeting.md"
    note.write_text("---\ndate: 2026-07-08\ncontext: [strategy\n", "utf-8")  # saved half-written
    token = _changed(events, token)
    page = BeautifulSoup(served.page("/accounts/globex.html"), "html.parser")
    panel = page.find(id="allyreport-problems")
    assert panel is not None
    assert panel.find("pre").get_text() == ("notes/globex/2026-07-08-meeting.md:1: frontmatter is never closed: "
                                            "add a '---' line after the YAML")
    assert "We met globex on 2026-07-08." in page.get_text()  # the last good page, under the problems
    assert BeautifulSoup(served.page("/"), "html.parser").find(id="allyreport-problems") is not None
    assert tree_hash(tmp_path / "out") == before  # the output is the last good build's
    assert "notes/globex/2026-07-08-meeting.md:1: frontmatter is never closed" in "".join(served.err)

    note.write_text("---\ndate: 2026-07-08\ncontext: strategi\n---\nOops.\n", "utf-8")  # a YAML value error
    token = _changed(events, token)
    panel = BeautifulSoup(served.page("/accounts/globex.html"), "html.parser").find(id="allyreport-problems")
    assert panel is not None
    assert panel.find("pre").get_text().startswith("notes/globex/2026-07-08-meeting.md:3: ")

    note.write_text(NOTE.format(date="2026-07-08", context="service", body="Fixed it."), "utf-8")
    _changed(events, token)
    page = BeautifulSoup(served.page("/accounts/globex.html"), "html.parser")
    assert page.find(id="allyreport-problems") is None
    assert "Fixed it." in page.get_text()
    events.close()


def _changed(events: object, token: str) -> str:
    from .conftest import Events

    assert isinstance(events, Events)
    fresh = events.next()
    assert fresh != token
    return fresh


def test_editor_temporary_files_and_git_are_ignored(served: Served, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    for name in ("acme/.2026-07-08-meeting.md.swp", "acme/2026-07-08-meeting.md~", "acme/#2026-07-08-meeting.md#",
                 "acme/4913", ".git/index", "acme/.~lock.x#"):
        (notes / name).parent.mkdir(parents=True, exist_ok=True)
        (notes / name).write_text("not a note: [", "utf-8")
    events = served.events()
    token = events.next()
    (notes / "acme" / "2026-07-09-call.md").write_text(
        NOTE.format(date="2026-07-09", context="strategy", body="A real note."), "utf-8")
    assert events.next() != token
    assert "A real note." in served.page("/accounts/acme.html")
    assert served.page("/").count("allyreport-problems") == 0
    printed = "".join(served.out)
    assert printed.count("rebuilt") == 1  # one rebuild, for the real note alone


@pytest.mark.parametrize(("path", "status"), [
    ("/../../etc/passwd", 400),
    ("/%2e%2e/%2e%2e/etc/passwd", 400),
    ("/accounts/..%2f..%2fallyreport.toml", 400),
    ("//etc/passwd", 404),
    ("/etc/passwd", 404),
    ("/accounts/", 404),  # no folder listings
    ("/.allyreport-output", 404),
    ("/notes/acme/account.md", 404),
    ("/accounts/acme.html%00.css", 400),
])
def test_paths_outside_the_published_files_are_refused(served: Served, path: str, status: int) -> None:
    code, headers, body = served.request(path)
    assert code == status
    assert b"Dana" not in body
    assert "access-control-allow-origin" not in headers


def test_a_symlink_out_of_the_output_is_refused(served: Served, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the client's secret", "utf-8")
    style = tmp_path / "out" / "assets" / "style.css"
    style.unlink()
    os.symlink(secret, style)  # a published name, now pointing out of the output folder
    os.symlink(secret, tmp_path / "out" / "leak.txt")
    for path in ("/assets/style.css", "/leak.txt"):
        code, _, body = served.request(path)
        assert code == 404
        assert b"secret" not in body


def test_a_foreign_host_and_other_methods_are_refused(served: Served) -> None:
    for host in (f"evil.example:{served.port}", "evil.example", f"127.0.0.1.nip.io:{served.port}", "127.0.0.1:1"):
        code, _, body = served.request("/", host=host)
        assert code == 403, host
        assert b"Acme" not in body
    assert served.request("/", host=f"localhost:{served.port}")[0] == 200
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        code, headers, _ = served.request("/index.html", method=method)
        assert code == 405, method
        assert headers["allow"] == "GET, HEAD"
    code, headers, body = served.request("/", method="HEAD")
    assert code == 200
    assert body == b""
    assert int(headers["content-length"]) > 1000
    assert "refused a request: Host 'evil.example" in "".join(served.out)


def test_ctrl_c_stops_cleanly_and_leaves_the_output_intact(served: Served, tmp_path: Path) -> None:
    served.page("/")
    events = served.events()
    events.next()
    before = tree_hash(tmp_path / "out")
    assert served.stop(signal.SIGINT) == 0
    assert "Traceback" not in "".join(served.err)
    assert "allyreport serve: stopped" in "".join(served.out)
    assert tree_hash(tmp_path / "out") == before
    assert not (tmp_path / ".out.lock").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")) == []


def test_another_build_of_the_same_output_waits_for_serve(served: Served, tmp_path: Path) -> None:
    result = run_cli("build", "--notes", "notes", "--out", "out", "--no-pdf", cwd=tmp_path)
    assert result.returncode == 1
    assert f"out/: another allyreport build (pid {served.proc.pid}) is writing it" in result.stderr


def test_a_host_other_than_loopback_warns_and_a_bad_port_is_a_usage_error(served: Served, tmp_path: Path) -> None:
    result = run_cli("serve", "--notes", "notes", "--out", "out2", "--port", "99999", cwd=tmp_path)
    assert result.returncode == 2
    assert "--port must be a port from 1 to 65535 (0: any free one), got 99999" in result.stderr
    # the port is taken (by the fixture's server): the warning comes first, then the refusal
    result = run_cli("serve", "--notes", "notes", "--out", "out2", "--host", "0.0.0.0", "--port", str(served.port),
                     cwd=tmp_path)
    assert result.returncode == 1
    assert "warning: serving on 0.0.0.0: every client's reports become readable by anyone who can reach" \
        in result.stderr
    assert f"cannot serve on 0.0.0.0:{served.port}: " in result.stderr
    assert not (tmp_path / "out2").exists()


def test_a_first_build_that_fails_shows_the_problems_until_a_save_builds(write_notes: NotesWriter,
                                                                          tmp_path: Path) -> None:
    notes = portfolio(write_notes)
    broken = notes / "acme" / "2026-07-08-meeting.md"
    broken.write_text("---\ndate: 2026-07-08\ncontext: [service\n", "utf-8")
    server = Served(tmp_path, "--notes", "notes", "--out", "out")
    try:
        code, _, body = server.request("/")
        assert code == 503
        panel = BeautifulSoup(body.decode("utf-8"), "html.parser").find(id="allyreport-problems")
        assert panel is not None
        assert panel.find("pre").get_text() == ("notes/acme/2026-07-08-meeting.md:1: frontmatter is never closed: "
                                                "add a '---' line after the YAML")
        assert "Nothing has been built yet" in panel.get_text()
        assert server.request("/levels.json")[0] == 404
        events = server.events()
        token = events.next()
        broken.write_text(NOTE.format(date="2026-07-08", context="service", body="Repaired."), "utf-8")
        assert events.next() != token
        assert "Repaired." in server.page("/accounts/acme.html")
        assert BeautifulSoup(server.page("/"), "html.parser").find(id="allyreport-problems") is None
        events.close()
    finally:
        assert server.stop() == 0


def test_a_settings_change_rebuilds_everything(write_notes: NotesWriter, tmp_path: Path) -> None:
    portfolio(write_notes)
    (tmp_path / "allyreport.toml").write_text('firm = "Before & Co"\n', "utf-8")
    server = Served(tmp_path, "--notes", "notes", "--out", "out")
    try:
        assert "Before &amp; Co" in server.page("/accounts/globex.html")
        events = server.events()
        token = events.next()
        (tmp_path / "allyreport.toml").write_text('firm = "After & Co"\n', "utf-8")
        token = _changed(events, token)
        assert "After &amp; Co" in server.page("/accounts/globex.html")
        (tmp_path / "allyreport.toml").write_text('firm = 3\n', "utf-8")  # a bad value: shown, nothing built
        _changed(events, token)
        panel = BeautifulSoup(server.page("/"), "html.parser").find(id="allyreport-problems")
        assert panel is not None
        assert panel.find("pre").get_text().startswith("allyreport.toml:1: ")
        assert "After &amp; Co" in server.page("/accounts/globex.html")
        events.close()
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize(("bound", "header", "answered"), [
    ("127.0.0.1", "127.0.0.1:8000", True),
    ("127.0.0.1", "localhost:8000", True),
    ("127.0.0.1", "LOCALHOST:8000", True),
    ("127.0.0.1", "127.0.0.1:8001", False),
    ("127.0.0.1", "127.0.0.1", False),
    ("127.0.0.1", "attacker.example:8000", False),
    ("127.0.0.1", "", False),
    ("localhost", "127.0.0.1:8000", True),
    ("::1", "[::1]:8000", True),
    ("0.0.0.0", "192.168.1.5:8000", True),
    ("0.0.0.0", "attacker.example:8000", False),
    ("192.168.1.5", "192.168.1.5:8000", True),
    ("192.168.1.5", "10.0.0.1:8000", False),
])
def test_the_host_header_must_name_the_bound_address(bound: str, header: str, answered: bool) -> None:
    assert Hosts(bound, 8000).allow(header) is answered


@pytest.mark.parametrize(("path", "name"), [
    ("/", "index.html"),
    ("/accounts/acme.html", "accounts/acme.html"),
    ("/plans/", "plans/index.html"),
    ("/accounts/acme%20foods.html", "accounts/acme foods.html"),
    ("/../x", None),
    ("/a/./b", None),
    ("/%2e%2e/x", None),
    ("/a\\..\\b", None),
    ("/x%00", None),
    ("/%ff", None),
    ("relative", None),
])
def test_request_paths_map_to_output_names_or_are_refused(path: str, name: str | None) -> None:
    assert request_name(path) == name
