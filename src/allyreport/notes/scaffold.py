"""`allyreport new` and `allyreport note`: start from a filled-in template, never a blank file.

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

ACCOUNT_BODY = """\
Where is this client heading? Write their strategy, their pressures and what their
leaders care about, in your own words. Keep it current: the review shows when it was
last touched.
"""

NOTE_BODY = """\
What was said, in a few sentences. Who raised what? What did they ask of us?
"""


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
        owner=owner or "Your name",
        industry="",
        relevance="steady",
        stakeholders=[{"name": "First Contact", "role": "Their role", "concerns": ["What keeps them up at night"]}],
        offerings=["What we provide"],
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
        trust={"reliability": 5, "credibility": 5, "intimacy": 5, "self_orientation": 5},
        actions=[],
    )
    path.write_text(_dump(post).replace("with_:", "with:", 1), "utf-8")
    return path


def _dump(post: frontmatter.Post) -> str:
    text: str = frontmatter.dumps(post, sort_keys=False)
    return text + "\n"
