"""Pictures in notes, built by the real CLI: images from the account's own folder show in the
HTML and the PDFs under content-addressed names; every other source fails the build at the
note's path:line and leaves the previous output byte-identical; an edited image rebuilds
its account; SVG is rewritten so it can neither run script nor fetch anything."""

from __future__ import annotations

import base64
import hashlib
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from allyreport.notes.pictures import Refused, sanitise_svg

from .conftest import NotesWriter, run_cli
from .support import tree_bytes, write_files


def png(width: int = 3, height: int = 2, shade: int = 0) -> bytes:
    """A real PNG (solid grey), written by hand so the test needs no imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes([shade]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


ACCOUNT = """\
---
account: Acme
owner: Jo Park
stakeholders:
  - name: Dana Reyes
    role: CEO
---
Acme's profile.

![Acme's org chart](org.png)
"""

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 40" '
       b'onload="alert(1)"><script>alert(2)</script><rect id="r" width="10" height="10" fill="url(#g)"/>'
       b'<image href="https://tracker.example/pixel.png" width="1" height="1"/>'
       b'<use xlink:href="https://tracker.example/x.svg#a"/><use xlink:href="#r"/>'
       b'<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>'
       b'<style>@import url(https://tracker.example/a.css);</style>'
       b'<a href="javascript:alert(3)"><text x="5" y="30" style="fill:url(https://tracker.example/f)">Zephyr Board</text></a>'
       b'</svg>')


GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def note(day: str, body: str) -> str:
    return (f"---\ndate: {day}\nwith: [Dana Reyes]\ncontext: strategy\nopened_by: client\n"
            f"trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}\n---\n{body}\n")


def notes_with(extra: dict[str, str | bytes] | None = None) -> dict[str, str | bytes]:
    return {
        "acme/account.md": ACCOUNT,
        "acme/org.png": png(),
        "acme/charts/team.svg": SVG,
        "acme/2026-04-10-a.md": note("2026-04-10", "The team:\n\n![the team](charts/team.svg)\n\nand ![again](org.png)"),
        "acme/2026-05-10-b.md": note("2026-05-10", "Our logo:\n\n![logo](assets/logo.gif)"),
        "acme/assets/logo.gif": GIF,
        "other/account.md": "---\naccount: Other\nowner: Ann Lee\n---\n",
        "other/secret.png": png(shade=200),
        "other/2026-05-01-a.md": note("2026-05-01", "Other's note."),
        **(extra or {}),
    }


def build(root: Path, *more: str) -> tuple[int, str]:
    result = run_cli("build", "--notes", "notes", "--out", "out", *more, cwd=root)
    return result.returncode, result.stderr + result.stdout


def name_of(data: bytes, ext: str) -> str:
    return f"images/acme/{hashlib.sha256(data).hexdigest()[:20]}.{ext}"


def test_pictures_from_the_account_folder_show_in_the_html_and_the_pdfs(write_notes: NotesWriter) -> None:
    root = write_notes(notes_with()).parent
    code, output = build(root)
    assert code == 0, output
    out = root / "out"
    review = BeautifulSoup((out / "accounts/acme.html").read_text("utf-8"), "html.parser")
    shown = {img["alt"]: img["src"] for img in review.select(".body img")}
    svg_name = name_of(sanitise_svg("team.svg", SVG), "svg")
    assert shown == {"the team": f"../{svg_name}", "again": f"../{name_of(png(), 'png')}",
                     "logo": f"../{name_of(GIF, 'gif')}"}
    assert (out / name_of(png(), "png")).read_bytes() == png()
    plan = BeautifulSoup((out / "plans/acme.html").read_text("utf-8"), "html.parser")
    assert [img["src"] for img in plan.select(".body img")] == [f"../{name_of(png(), 'png')}"]
    assert sorted(p.name for p in (out / "images").iterdir()) == ["acme"]  # the other account's picture is not copied
    published = (out / svg_name).read_bytes()
    assert b"Zephyr Board" in published
    for hostile in (b"script", b"onload", b"tracker.example", b"foreignObject", b"javascript", b"@import"):
        assert hostile not in published
    plan_pdf = PdfReader(out / "pdf/acme-plan.pdf")
    drawn = {(image.name, image.image.size) for page in plan_pdf.pages for image in page.images}
    assert [size for _, size in drawn] == [(3, 2)]  # the profile's PNG, drawn in the PDF
    review_pdf = PdfReader(out / "pdf/acme-review.pdf")
    text = "".join(page.extract_text() for page in review_pdf.pages)
    if "The team:" in text:  # the note is cited in the review: its SVG is drawn as vector text
        assert "Zephyr Board" in text


def test_the_same_notes_give_the_same_bytes(write_notes: NotesWriter) -> None:
    root = write_notes(notes_with()).parent
    assert build(root, "--no-pdf")[0] == 0
    first = tree_bytes(root / "out")
    (root / "out").rename(root / "first")
    assert build(root, "--no-pdf")[0] == 0
    assert tree_bytes(root / "out") == first


REFUSED = [
    ("![x](https://example.com/x.png)",
     "image 'https://example.com/x.png' is a web address; a report never fetches from the network: "
     "save the picture in the account folder and use its file name"),
    ("![x](//example.com/x.png)", "image '//example.com/x.png' is a web address; a report never fetches "
                                  "from the network: save the picture in the account folder and use its file name"),
    ("![x](/etc/passwd.png)", "image '/etc/passwd.png' is an absolute path; put the picture in notes/acme/ "
                              "and use its file name"),
    ("![x](../other/secret.png)", "image '../other/secret.png' is outside this account's folder (notes/acme/); "
                                  "copy the picture into it"),
    ("![x](../../outside.png)", "image '../../outside.png' is outside this account's folder (notes/acme/); "
                                "copy the picture into it"),
    ("![x](file:///etc/hosts)", "image 'file:///etc/hosts' is refused: a note shows only pictures from its own "
                                "account folder"),
    ("![x](missing.png)", "image 'missing.png' not found: no file notes/acme/missing.png"),
    ("![x](notes.txt)", "image 'notes.txt' is not a png, jpeg, gif, webp or svg file"),
    ("![x](fake.png)", "image 'notes/acme/fake.png' is not a PNG file (its contents say otherwise)"),
    ("![x](data:text/html;base64,PGI+aGk8L2I+)", "data: image is not a png, jpeg, gif, webp or svg image"),
]


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notes with a fake PNG beside them, built once (HTML only); each refused source
    below starts from a copy of the folder (notes, output and cache) and adds its note."""
    root = tmp_path_factory.mktemp("refused")
    write_files(root / "notes", notes_with({"acme/fake.png": "<html>not a picture</html>"}))
    assert build(root, "--no-pdf")[0] == 0
    return root


@pytest.mark.parametrize(("markdown", "message"), REFUSED, ids=[m for m, _ in REFUSED])
def test_other_sources_fail_the_build_at_their_line_and_keep_the_output(built_once: Path, tmp_path: Path,
                                                                        markdown: str, message: str) -> None:
    root = tmp_path / "project"
    shutil.copytree(built_once, root, symlinks=True)
    before = tree_bytes(root / "out")
    write_files(root / "notes", {"acme/2026-06-01-c.md": note("2026-06-01",
                                                              f"First line.\n\nSecond paragraph {markdown} here.")})
    code, output = build(root, "--no-pdf")
    assert code == 1
    assert f"notes/acme/2026-06-01-c.md:10: {message}" in output
    assert tree_bytes(root / "out") == before
    checked = run_cli("check", "notes", cwd=root)
    assert checked.returncode == 1
    assert f"notes/acme/2026-06-01-c.md:10: {message}" in checked.stdout + checked.stderr


def test_a_picture_over_the_cap_is_an_error_and_the_cap_is_a_setting(write_notes: NotesWriter) -> None:
    big = png(400, 400) + b"\0" * 3000  # a PNG with trailing bytes: over 1 KiB
    root = write_notes(notes_with({"acme/big.png": big,
                                   "acme/2026-06-01-c.md": note("2026-06-01", "Look:\n\n![big](big.png)")})).parent
    (root / "allyreport.toml").write_text("max_image_kib = 1\n", "utf-8")
    code, output = build(root, "--no-pdf")
    assert code == 1
    assert ("notes/acme/2026-06-01-c.md:10: image 'notes/acme/big.png' is larger than the 1 KiB limit for one image; "
            "make it smaller, or raise max_image_kib in allyreport.toml") in output
    assert not (root / "out").exists()
    (root / "allyreport.toml").write_text("max_image_kib = 8\n", "utf-8")
    assert build(root, "--no-pdf")[0] == 0


def test_data_uris_under_the_cap_show_and_over_it_fail(write_notes: NotesWriter) -> None:
    small = base64.b64encode(png()).decode()
    root = write_notes(notes_with({"acme/2026-06-01-c.md": note("2026-06-01", f"![dot](data:image/png;base64,{small})")
                                   })).parent
    assert build(root, "--no-pdf")[0] == 0
    review = BeautifulSoup((root / "out/accounts/acme.html").read_text("utf-8"), "html.parser")
    assert f"../{name_of(png(), 'png')}" in [img["src"] for img in review.select(".body img")]
    (root / "allyreport.toml").write_text("max_image_kib = 1\n", "utf-8")
    large = base64.b64encode(png() + b"\0" * 2000).decode()
    write_notes({"acme/2026-06-01-c.md": note("2026-06-01", f"![dot](data:image/png;base64,{large})")})
    code, output = build(root, "--no-pdf")
    assert code == 1
    assert ("notes/acme/2026-06-01-c.md:8: data: image is larger than the 1 KiB limit for one image; save it as a "
            "file in the account folder, or raise max_image_kib in allyreport.toml") in output


def test_a_link_to_a_picture_of_another_account_is_refused(write_notes: NotesWriter) -> None:
    root = write_notes(notes_with({"acme/2026-06-01-c.md": note("2026-06-01", "![x](stolen.png)")})).parent
    (root / "notes/acme/stolen.png").symlink_to(root / "notes/other/secret.png")
    code, output = build(root, "--no-pdf")
    assert code == 1
    assert ("notes/acme/2026-06-01-c.md:8: image 'notes/acme/stolen.png' is a link to a file outside this account's "
            "folder; copy the picture instead") in output


def test_an_edited_picture_rebuilds_its_account(write_notes: NotesWriter) -> None:
    root = write_notes(notes_with()).parent
    assert build(root, "--no-pdf")[0] == 0
    other = (root / "out/accounts/other.html").stat()
    (root / "notes/acme/org.png").write_bytes(png(shade=90))
    assert build(root, "--no-pdf")[0] == 0
    out = root / "out"
    review = BeautifulSoup((out / "accounts/acme.html").read_text("utf-8"), "html.parser")
    assert f"../{name_of(png(shade=90), 'png')}" in [img["src"] for img in review.select(".body img")]
    assert not (out / name_of(png(), "png")).exists()  # the old copy is gone, as a fresh build would not make it
    assert (out / name_of(png(shade=90), "png")).read_bytes() == png(shade=90)
    assert (out / "accounts/other.html").stat().st_mtime_ns == other.st_mtime_ns  # the other account is reused


def test_images_in_code_are_text_and_escaped_alt_text_stays_text(write_notes: NotesWriter) -> None:
    body = "`![x](https://example.com/a.png)`\n\n    ![y](/abs.png)\n\n![Tom & \"Jerry\" *one*](org.png)"
    root = write_notes(notes_with({"acme/2026-06-01-c.md": note("2026-06-01", body)})).parent
    code, output = build(root, "--no-pdf")
    assert code == 0, output
    page = (root / "out/accounts/acme.html").read_text("utf-8")
    assert 'alt="Tom &amp; &quot;Jerry&quot; one"' in page
    soup = BeautifulSoup(page, "html.parser")
    assert [c.text for c in soup.select(".body code")] == ["![x](https://example.com/a.png)", "![y](/abs.png)\n"]


def test_svg_with_entities_or_another_root_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    with pytest.raises(Refused, match="not a well-formed SVG file"):
        sanitise_svg("bomb.svg", bomb)
    with pytest.raises(Refused, match="its root element is not <svg>"):
        sanitise_svg("page.svg", b'<html xmlns="http://www.w3.org/1999/xhtml"><script>x</script></html>')
    kept = sanitise_svg("ok.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>')
    assert kept == b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1" /></svg>'
