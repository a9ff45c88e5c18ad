"""HTML site rendering (placeholder until the HTML reports land)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic

if TYPE_CHECKING:
    from .build import Options, Project


def render_site(project: Project, options: Options, stage: Path) -> list[Diagnostic]:
    from html import escape

    rows = "".join(f"<li>{escape(v.account.name)}: {escape(v.level.title)}</li>" for v in project.verdicts)
    (stage / "index.html").write_text(f"<!doctype html><title>Portfolio</title><ul>{rows}</ul>\n", "utf-8")
    return []
