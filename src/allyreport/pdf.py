"""PDF rendering (placeholder until the PDF reports land)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic

if TYPE_CHECKING:
    from .build import Options, Project


def render_pdfs(project: Project, options: Options, stage: Path) -> list[Diagnostic]:
    return []
