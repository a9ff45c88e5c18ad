"""`allyreport init` starts a firm's own notes repository; `allyreport templates copy` gives it
the shipped templates to edit.

Neither ever overwrites: init refuses when any file it would write is there already (and
writes nothing then), templates copy wants a new or empty folder.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from ..config.options import CACHE_DIR
from ..config.settings import SETTINGS_FILE, commented_settings
from ..core.diagnostics import display_path
from ..render.templating import DEFAULT_TEMPLATES
from .output import UsageError, say

GITIGNORE = f"""\
# The built site and PDFs are confidential, and rebuilt from the notes: never commit them.
/output/
/output.*
# allyreport's build cache
/{CACHE_DIR}/
"""

PRE_COMMIT = """\
# Checks the notes on every commit: https://pre-commit.com (pip install pre-commit; pre-commit install)
repos:
  - repo: local
    hooks:
      - id: allyreport-check
        name: allyreport check
        entry: allyreport check
        language: system
        files: ^notes/.*\\.md$
"""

NOTES_README = """\
One folder per client (its slug, e.g. `globex-corp/`), holding `account.md` and one dated
note per conversation. Start one with `allyreport new "Globex Corp"`, then
`allyreport note globex-corp`.
"""


def cmd_init(args: argparse.Namespace) -> int:
    root: Path = args.folder
    files = {SETTINGS_FILE: commented_settings(), ".gitignore": GITIGNORE, "notes/README.md": NOTES_README}
    if args.pre_commit:
        files[".pre-commit-config.yaml"] = PRE_COMMIT
    there = [name for name in files if (root / name).exists()]
    if there:
        raise UsageError(f"{', '.join(display_path(root / n) for n in there)} already "
                         f"{'exists' if len(there) == 1 else 'exist'}; init never overwrites (nothing was written)")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    where = "" if root.resolve() == Path.cwd().resolve() else f" in {display_path(root)}"
    say(f"created {', '.join(files)}{where}; next: allyreport new \"Client Name\"", args.quiet)
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    target: Path = args.folder
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{display_path(target)} already exists and is not an empty folder; "
                         "templates copy never overwrites")
    shutil.copytree(DEFAULT_TEMPLATES, target, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    count = sum(1 for p in target.rglob("*") if p.is_file())
    say(f"copied {count} templates and stylesheets to {display_path(target)}/; use them with "
        f"templates = \"{target.as_posix()}\" in {SETTINGS_FILE} (or build --templates {display_path(target)})",
        args.quiet)
    return 0
