"""`allyreport new` and `allyreport note`: start from a filled-in template, never a blank file.

The template's placeholders (`placeholders`) are recognised by the loader: left unchanged, each
is a warning and stays out of the figures.

python-frontmatter writes the files, so names typed on the command line are quoted
correctly in the YAML whatever they contain.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import frontmatter

from ..core.diagnostics import display_path
from .layout import SLUG
from .loader import load_notes
from .placeholders import ACCOUNT_BODY, CONCERN, NOTE_BODY, OFFERING, OWNER, ROLE, STAKEHOLDER, TRUST, TRUST_COMMENT


def slugify(name: str) -> str:
    """The folder name for a client's name: 'Globex Corp' → 'globex-corp', 'Société Générale' →
    'societe-generale'; "" when nothing of it is a letter or digit in ASCII."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def new_account(notes: Path, slug: str, name: str | None, owner: str) -> Path:
    if not SLUG.fullmatch(slug):
        raise ValueError(f"'{slug}' is not a valid account slug: use lowercase letters, digits and hyphens")
    folder = notes / slug
    if (folder / "account.md").exists():
        raise ValueError(f"{display_path(folder / 'account.md')} already exists; allyreport new never overwrites")
    post = frontmatter.Post(
        ACCOUNT_BODY,
        account=name or slug.replace("-", " ").title(),
        owner=owner or OWNER,
        industry="",
        relevance="steady",
        stakeholders=[{"name": STAKEHOLDER, "role": ROLE, "concerns": [CONCERN]}],
        offerings=[OFFERING],
        plan=[],
    )
    folder.mkdir(parents=True, exist_ok=True)  # a folder of notes may lack its account.md
    path = folder / "account.md"
    path.write_text(_dump(post), "utf-8")
    return path


def new_note(notes: Path, slug: str, day: dt.date, context: str, topic: str) -> Path:
    portfolio, _ = load_notes(notes)
    account = next((a for a in portfolio.accounts if a.slug == slug), None)
    if account is None:
        raise ValueError(f"no account '{slug}' in {display_path(notes)}")
    words = re.sub(r"[^a-z0-9]+", "-", topic.lower()).strip("-") or "meeting"
    path = notes / slug / f"{day.isoformat()}-{words}.md"
    if path.exists():
        raise ValueError(f"{display_path(path)} already exists; pick another --topic or --date")
    people = [s.name for s in account.meta.stakeholders[:1]]
    post = frontmatter.Post(
        NOTE_BODY,
        date=day,
        with_=people,
        context=context,
        opened_by="client",
        price=False,
        signals=[],
        trust={factor: score for factor, score in TRUST.items() if score is not None},
        actions=[],
    )
    text = _dump(post).replace("with_:", "with:", 1).replace("\ntrust:\n", f"\ntrust:  {TRUST_COMMENT}\n", 1)
    path.write_text(text, "utf-8")
    return path


def _dump(post: frontmatter.Post) -> str:
    text: str = frontmatter.dumps(post, sort_keys=False)
    return text + "\n"
