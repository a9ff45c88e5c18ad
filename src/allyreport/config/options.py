"""The options of one run, as the command line resolved them: what every stage below it reads.

They live here, below the pipeline, so that the stages that read them (the cache's keys, the
site, the printer) need not import the orchestrator that holds them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = ".allyreport-cache"


@dataclass(frozen=True)
class Options:
    notes: Path
    out: Path
    quarter: str | None = None
    model: str | None = None
    pdf: bool = True
    jobs: int = 1
    templates: Path | None = None
    pack: str | None = None  # "owner" or "owner=NAME": review packs per owner besides the whole one
    accounts: frozenset[str] | None = None  # judge only these accounts (`check FILE...`); None: all
    as_of: dt.date | None = None  # --as-of: the day to review as of (else today; see rules/plan.py)
    today: dt.date | None = None  # what today is (`rules.plan.today()` when None)


def cache_folder(out: Path) -> Path:
    """Where builds into `out` keep their cache (beside it, so a published folder holds only the report)."""
    return out.parent / CACHE_DIR
