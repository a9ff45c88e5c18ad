"""The share-safe variant, built by the real CLI: notes full of `private: true` markers, and
not one of their words, names, paths or scores in any byte of any output file (HTML, PDF
text and every decompressed PDF object, JSON, CSV, every part of the XLSX); every page
says it is the share-safe variant; the full build of the same notes shows them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from .conftest import NotesWriter, run_cli

pytestmark = pytest.mark.pdf

ACCOUNT = """\
---
account: Globex
owner: Jo Park
stakeholders:
  - name: Dana Reyes
    role: CEO
  - name: Xavier Quillfeather
    role: Board member
    concerns: [succession]
    private: true
plan:
  - do: Host their planners at our offsite
    kind: invest
    tests: [own-time, learn]
  - do: Try the Zanzibar pricing gambit
    kind: sell
    private: true
---
Globex makes things.
"""

SHARED = """\
---
date: 2026-05-10
with: [Dana Reyes, Xavier Quillfeather]
context: strategy
opened_by: client
trust: {reliability: 9, credibility: 9, intimacy: 9, self_orientation: 2}
client_rating: {reliability: 8, credibility: 8, intimacy: 7, self_orientation: 3, source: survey}
actions:
  - do: Send the growth memo
    by: 2026-05-30
  - do: Float the Quokka discount ploy
    private: true
---
Shared story of the quarter.
"""

PRIVATE = """\
---
date: 2026-06-20
with: [Xavier Quillfeather]
context: strategy
opened_by: us
private: true
signals: [planning-invite]
trust: {reliability: 3, credibility: 4, intimacy: 2, self_orientation: 9}
---
Plutonium merger whisper, for our eyes only.

![the secret chart](secret.png)
"""

NOTES: dict[str, str | bytes] = {
    "globex/account.md": ACCOUNT,
    "globex/2026-05-10-shared.md": SHARED,
    "globex/2026-06-20-private.md": PRIVATE,
    "globex/secret.png": b"\x89PNG\r\n\x1a\n" + b"Orichalcum" * 10,
    "initech/account.md": "---\naccount: Initech\nowner: Ann Lee\n---\n",
    "initech/2026-04-02-a.md": "---\ndate: 2026-04-02\ncontext: service\n---\nInitech's routine call.\n",
}
SECRETS = ("Xavier", "Quillfeather", "Zanzibar", "Quokka", "Plutonium", "Orichalcum", "2026-06-20-private",
           "secret chart", "13.5", "20 June 2026", "2026-06-20")


def texts(path: Path) -> list[str]:
    """Every readable form of an output file's bytes."""
    data = path.read_bytes()
    found = [data.decode("latin-1")]
    if path.suffix == ".pdf":
        found += [page.extract_text() for page in PdfReader(path).pages]
        with pikepdf.open(path) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream):
                    found.append(obj.read_bytes().decode("latin-1"))
                elif isinstance(obj, pikepdf.Dictionary | pikepdf.Array | pikepdf.String):
                    found.append(str(obj))
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            found += [book.read(name).decode("utf-8") for name in book.namelist()]
    return found


def test_nothing_private_reaches_any_byte_of_the_share_safe_variant(write_notes: NotesWriter) -> None:
    root = write_notes(NOTES).parent
    result = run_cli("build", "--notes", "notes", "--share-safe", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "output-share-safe"
    assert not (root / "output").exists()  # its own folder, never over the full output
    files = [p for p in sorted(out.rglob("*")) if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".html", ".pdf", ".json", ".csv", ".xlsx"} <= kinds
    for path in files:
        for text in texts(path):
            for secret in SECRETS:
                assert secret not in text, f"{secret!r} in {path.relative_to(out)}"
    levels = {e["slug"]: e for e in json.loads((out / "levels.json").read_text("utf-8"))}
    trust = levels["globex"]["trust"]
    assert trust["tq"] is None
    assert trust["self_orientation"] is None
    assert trust["readings"] == 0
    assert "Shared story of the quarter." in (out / "accounts/globex.html").read_text("utf-8")
    assert "Host their planners at our offsite" in (out / "plans/globex.html").read_text("utf-8")


def test_every_page_of_the_variant_says_so(write_notes: NotesWriter) -> None:
    root = write_notes(NOTES).parent
    assert run_cli("build", "--notes", "notes", "--share-safe", cwd=root).returncode == 0
    out = root / "output-share-safe"
    for page in out.rglob("*.html"):
        assert "Share-safe variant" in page.read_text("utf-8"), page
    for document in out.rglob("*.pdf"):
        for number, page in enumerate(PdfReader(document).pages, 1):
            assert "share-safe variant" in page.extract_text(), f"{document.name} page {number}"


def test_internal_insights_are_left_out_and_the_full_build_shows_everything(write_notes: NotesWriter) -> None:
    notes = {**NOTES, "globex/account.md": ACCOUNT.replace("    kind: sell\n    private: true\n", "    kind: sell\n")
             + "", "globex/2026-06-25-x.md": SHARED.replace("2026-05-10", "2026-06-25").replace(
                 "self_orientation: 2", "self_orientation: 9")}
    root = write_notes(notes).parent
    assert run_cli("build", "--notes", "notes", "--no-pdf", cwd=root).returncode == 0
    full = {e["slug"]: e for e in json.loads((root / "output/levels.json").read_text("utf-8"))}
    keys = [i["key"] for i in full["globex"]["insights"]]
    assert "high-self-orientation" in keys  # internal in the shipped rules
    page = (root / "output/accounts/globex.html").read_text("utf-8")
    assert "Quillfeather" in page
    assert "Plutonium" in page
    assert run_cli("build", "--notes", "notes", "--no-pdf", "--share-safe", cwd=root).returncode == 0
    safe = {e["slug"]: e for e in json.loads((root / "output-share-safe/levels.json").read_text("utf-8"))}
    shown = [i["key"] for i in safe["globex"]["insights"]]
    assert "high-self-orientation" not in shown
    assert "sales-plan" not in shown
    settings = root / "share.toml"
    settings.write_text('share_safe = true\noutput = "for-client"\n', "utf-8")
    assert run_cli("build", "--config", "share.toml", "--notes", "notes", "--no-pdf", cwd=root).returncode == 0
    assert "Plutonium" not in (root / "for-client-share-safe/accounts/globex.html").read_text("utf-8")
