"""The helpers the test modules share, one copy each (pelican's tests/support.py): what an
output folder holds, a project written to disk, a lock held as another build holds it.
A test module imports them from here, never from another test module; fixtures stay in
conftest.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from allyreport.core.diagnostics import Diagnostic, errors_only, sort_key
from allyreport.core.quarters import Quarter
from allyreport.notes.data import Portfolio, Source
from allyreport.notes.loader import load_notes
from allyreport.rules.engine import Verdict
from allyreport.rules.judge import evaluate
from allyreport.rules.ruleset import compile_rules, default_rules_text

NotesWriter = Callable[[dict[str, str | bytes]], Path]


def tree_hash(root: Path) -> dict[str, str]:
    """Every file below `root`, by its relative path: the SHA-256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below `root`, by its relative path: its bytes (a failing comparison shows them)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: content} under `root`; text is dedented, so it can be written
    inline in a test, indented like code."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), "utf-8")
    return root


@contextmanager
def lock_held(lock: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process that holds `lock` as a build does (an flock, its pid inside) for the block;
    killed and waited for when the block ends, however it ends."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock)!r}, os.O_CREAT | os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, str(os.getpid()).encode())\n"
        "print('held', flush=True); time.sleep(60)\n")], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


# -- a small portfolio: two (or more) accounts of four notes each, 2026Q2 to 2026Q3 ---------------

ACCOUNT = """\
---
account: {name}
owner: Jo Park
stakeholders:
  - name: Dana Reyes
    role: COO
---
Where {name} is heading.
"""

NOTE = """\
---
date: {date}
with: [Dana Reyes]
context: {context}
opened_by: us
trust: {{reliability: 7, credibility: 7, intimacy: 6, self_orientation: 3}}
---
We discussed their {context}.
"""


def small_notes(write_notes: NotesWriter, accounts: tuple[str, ...] = ("acme", "globex")) -> Path:
    """Each account (a slug) with four notes: problem, strategy, strategy, service."""
    files: dict[str, str | bytes] = {}
    for slug in accounts:
        files[f"{slug}/account.md"] = ACCOUNT.format(name=slug.title())
        for i, (day, context) in enumerate([("2026-04-02", "problem"), ("2026-05-06", "strategy"),
                                            ("2026-06-10", "strategy"), ("2026-07-08", "service")]):
            files[f"{slug}/{day}-n{i}.md"] = NOTE.format(date=day, context=context)
    return write_notes(files)


# -- one account, acme, as the loader tests write it: an account.md, a note, the loader run on them --

Files = dict[str, str | bytes]
Writer = Callable[[Files], Path]

SIGNALS = ("coaching", "early-warning", "competitive-bid")

ACME_ACCOUNT = """\
    ---
    account: Acme Foods
    owner: Dana Reyes
    stakeholders:
      - name: Ann Lee
        role: CFO
    ---
    Acme makes snacks and wants to sell them abroad.
    """

ACME_NOTE = """\
    ---
    date: 2026-03-05
    with: [Ann Lee]
    context: problem
    ---
    Ann walked us through the downtime at the Leeds plant.
    """

NOTE_PATH = "acme/2026-03-05-downtime.md"
SHOWN = "notes/acme/2026-03-05-downtime.md"


def load(write_notes: Writer, files: Files, **kwargs: int) -> tuple[Portfolio, list[Diagnostic]]:
    """Write `files` next to a valid account.md and load them as `allyreport check notes` would."""
    root = write_notes({"acme/account.md": ACME_ACCOUNT, **files})
    portfolio, diagnostics = load_notes(root, "notes", SIGNALS, **kwargs)
    return portfolio, sorted(diagnostics, key=sort_key)


def messages(write_notes: Writer, files: Files, **kwargs: int) -> list[str]:
    return [d.format() for d in load(write_notes, files, **kwargs)[1]]


def note_messages(write_notes: Writer, text: str | bytes) -> list[str]:
    """The messages for one note file of account `acme`."""
    return messages(write_notes, {NOTE_PATH: text})


def frontmatter(*lines: str) -> str:
    """A note whose frontmatter is `lines`, with a body."""
    return "---\n" + "".join(f"{line}\n" for line in lines) + "---\nBody.\n"


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """A note whose aliases would expand to width ** levels strings."""
    lines = ["date: 2026-03-05", "context: problem", f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return frontmatter(*lines)


# -- acme judged with the shipped rules, as the engine tests write it: `note()` puts date on line 2,
# with 3, context 4, opened_by 5, price 6, and whatever `extra` adds from line 7 --------------------

ENGINE_ACCOUNT = """
---
account: Acme Foods
owner: Dana Reyes
relevance: {relevance}
stakeholders:
  - name: Tom Berg
  - name: Priya Raman
{plan}{more}---
Profile.
"""


def account(relevance: str = "steady", plan: str = "", more: str = "") -> str:
    """account.md; `more` adds keys after the plan (so the lines above stay where tests expect them)."""
    return textwrap.dedent(ENGINE_ACCOUNT).format(relevance=relevance, plan=plan, more=textwrap.dedent(more).lstrip())


def note(day: str, context: str, *, by: str = "client", price: bool = False, who: str = "Tom Berg",
         extra: str = "") -> str:
    return (f"---\ndate: {day}\nwith: [{who}]\ncontext: {context}\nopened_by: {by}\n"
            f"price: {'true' if price else 'false'}\n{textwrap.dedent(extra).lstrip()}---\nWhat we discussed.\n")


def judge(write_notes: NotesWriter, files: dict[str, str], quarter: str = "2026Q3", model: str = "ally",
          rules: str | None = None) -> dict[str, Verdict]:
    """Load the shipped rules (plus a firm's `rules` text), the notes, and evaluate every account.

    The notes folder is emptied first, so a test can judge several variants in turn."""
    shutil.rmtree(write_notes({}))
    root = write_notes(files)
    texts = [("allyreport/rules/default.yaml", default_rules_text())]
    texts += [("rules.yaml", textwrap.dedent(rules).lstrip())] if rules else []
    ruleset, problems = compile_rules(texts)
    assert ruleset is not None, problems
    portfolio, diagnostics = load_notes(root, "notes", ruleset.signals)
    assert errors_only(diagnostics) == []
    verdicts, problems = evaluate(portfolio, ruleset, model, Quarter.parse(quarter))
    assert problems == []
    return {v.account.slug: v for v in verdicts}


def acme(write_notes: NotesWriter, notes: dict[str, str], quarter: str = "2026Q3", model: str = "ally",
         rules: str | None = None, **account_fields: str) -> Verdict:
    files = {"acme/account.md": account(**account_fields)}
    files.update({f"acme/{name}.md": text for name, text in notes.items()})
    return judge(write_notes, files, quarter, model, rules)["acme"]


def src(name: str, line: int) -> Source:
    return Source(f"notes/acme/{name}.md", line, dt.date.fromisoformat(name[:10]))


def keys(v: Verdict) -> set[str]:
    return {i.key for i in v.insights}


def insight(v: Verdict, key: str) -> tuple[str, tuple[Source, ...]]:
    found = next(i for i in v.insights if i.key == key)
    return found.message, found.evidence


def problems(*firm_files: str) -> list[str]:
    """Compile the shipped rules plus each text (named rules.yaml, other.yaml, ...); the errors as printed."""
    names = ["rules.yaml", "other.yaml", "third.yaml"]
    texts = [("default.yaml", default_rules_text())]
    texts += [(names[i], textwrap.dedent(text).lstrip()) for i, text in enumerate(firm_files)]
    ruleset, found = compile_rules(texts)
    assert (ruleset is None) == bool(found)
    return [d.format() for d in found]
