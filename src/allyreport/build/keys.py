"""The cache's keys: hashes of everything an account's output, or every output, depends on.

- the **global key**: the allyreport version and the stat of its own source files, the
  shipped and firm rules, the settings, and the options that change output (--model,
  --no-pdf, --templates, --quarter, the folders). When it changes, nothing of the previous
  build is reused. The templates count by what uses them (`template_keys`).
- an account's **input key** (`survey`): the paths, kinds and bytes of its files.
- an account's **output key**: global + its templates + input + the review plan (`output_key`).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import NamedTuple

from .. import __version__
from ..config.options import Options
from ..config.settings import Settings
from .stats import StatIndex, file_stat

PACKAGE = Path(__file__).parent.parent  # the allyreport package
DEFAULT_TEMPLATES = PACKAGE / "templates"  # as templating.DEFAULT_TEMPLATES, without importing Jinja


def _tree(root: Path, index: StatIndex, h: hashlib._Hash) -> None:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            h.update(f"{os.path.relpath(full, root)}\0{index.digest(full)}\n".encode())


def global_key(settings: Settings, options: Options, shown: str, index: StatIndex) -> str:
    """A hash of everything every page depends on, except the notes and the templates."""
    h = hashlib.sha256()
    out, notes = options.out.resolve(), options.notes.resolve()
    h.update(repr((__version__, settings.spec.model_dump(), str(settings.base), settings.source, str(out),
                   str(notes), shown, options.quarter, options.model, options.pdf,
                   str(options.templates.resolve()) if options.templates else None)).encode())
    _tree(PACKAGE / "rules", index, h)  # the shipped rules
    for rules in settings.rules_files:
        h.update(f"rules {rules}\0{index.digest(str(rules))}\n".encode())
    for source in sorted(PACKAGE.rglob("*.py")):
        h.update(f"{source.relative_to(PACKAGE)}\0{file_stat(str(source))}\n".encode())
    return h.hexdigest()


class Templates(NamedTuple):
    """Hashes of the templates, by what depends on them."""

    accounts: str  # what an account's pages, row and PDFs are rendered from
    printing: str  # what a PDF may read besides its HTML: stylesheets, fonts, images
    everything: str  # every file of the templates folders (the portfolio page, the assets)


EXTRA_CSS_KEY = " extra_css"  # no template file has this name
ACCOUNT_TEMPLATES = ("review.html", "plan.html", "_row.html")
ACCOUNT_DOCUMENTS = ("pdf/review.html", "pdf/plan.html")
_REFERENCE = re.compile(r"""\{%-?\s*(?:extends|include|import|from)\s+(["'])([^"']+)\1""")
_ANY_REFERENCE = re.compile(r"\{%-?\s*(?:extends|include|import|from)\b")


def template_keys(options: Options, index: StatIndex, extra_css: Path | None = None) -> Templates:
    """Which template files an account's outputs are made from: the account's templates and every
    template they extend, include or import, followed by name (the firm's folder first, then the
    shipped one), and with PDFs every stylesheet, font and image. A template naming another by
    an expression, not a quoted name, makes every template count. So editing the portfolio
    page or the site's stylesheet redoes the portfolio, not the 2,000 accounts."""
    files: dict[str, str] = {}
    for root in (DEFAULT_TEMPLATES, options.templates):  # the firm's file of a name wins
        if root is None:
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            dirnames.sort()
            for name in filenames:
                full = os.path.join(dirpath, name)
                files[os.path.relpath(full, root).replace(os.sep, "/")] = full
    if extra_css is not None:  # the settings' extra stylesheet: the site's assets and, with PDFs, every PDF
        files[EXTRA_CSS_KEY] = str(extra_css)
    digests = {name: index.digest(path) for name, path in sorted(files.items())}
    roots = [*ACCOUNT_TEMPLATES, *(ACCOUNT_DOCUMENTS if options.pdf else ())]
    needed: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in needed or name not in files:
            continue
        needed.add(name)
        try:
            text = Path(files[name]).read_text("utf-8", errors="replace")
        except OSError:
            continue
        named = [m.group(2) for m in _REFERENCE.finditer(text)]
        if len(named) != len(_ANY_REFERENCE.findall(text)):  # `{% include some_variable %}`: could be any
            needed = set(files)
            break
        todo += named
    printing = {name: digests[name] for name in files if not name.endswith(".html")}
    if options.pdf:
        needed |= set(printing)
    return Templates(combine(sorted((n, digests.get(n, "missing")) for n in {*needed, *roots})),
                     combine(sorted(printing.items())), combine(sorted(digests.items())))


def combine(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()

