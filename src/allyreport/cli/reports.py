"""`levels` and `explain`: the commands that print judged accounts. They load the renderers of
text, JSON and CSV, so they live apart from `commands`, which a build with nothing to do loads."""

from __future__ import annotations

import argparse
import sys

from ..render.json_report import verdict_json
from ..render.sheets import levels_csv, sheet_rows
from ..render.text import explain_text, levels_table
from .commands import judged, unknown_account
from .output import UsageError, dump_json, report


def cmd_levels(args: argparse.Namespace) -> int:
    outcome = judged(args)
    assert outcome.project is not None
    if args.json:
        dump_json([verdict_json(v) for v in outcome.project.verdicts])
    elif args.csv:
        sys.stdout.write(levels_csv([sheet_rows(verdict_json(v)) for v in outcome.project.verdicts]))
    else:
        report(outcome.diagnostics, False, True)  # the warnings, above the table
        print(levels_table(outcome.project))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    outcome = judged(args)
    assert outcome.project is not None
    slugs = [v.account.slug for v in outcome.project.verdicts]
    if args.account not in slugs:
        raise UsageError(unknown_account(args.account, slugs, outcome.project.portfolio.notes_dir))
    verdict = outcome.project.verdicts[slugs.index(args.account)]
    if args.json:
        dump_json(verdict_json(verdict))
    else:
        print(explain_text(verdict))
    return 0
