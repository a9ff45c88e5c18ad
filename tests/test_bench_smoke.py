"""`python -m allyreport.bench --smoke` runs end to end (a few hundred notes) and reports every figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import subprocess_env

KEYS = {"floor", "cold", "warm", "one_note", "peak_rss_mib", "peak_pss_mib", "serve_edit", "serve_edit_trust",
        "pdf_jobs1", "pdf_jobs2", "pdf_one_note", "pdf_html_only", "raw_weasyprint_per_doc", "ours_per_doc",
        "pack_20_accounts", "pack_20_accounts_from_segments", "pack_peak_rss_mib"}
RATIOS = {"cold/floor", "warm/cold", "one-note/cold", "serve edit-to-reload/one-note",
          "serve edit-to-reload (trust)/one-note", "serve edit-to-reload (s)",
          "jobs2/jobs1 (PDF)", "one-note/cold (with PDFs)", "ours/raw WeasyPrint", "review pack / 180 s",
          "review pack peak RSS / 1024 MiB"}


def test_smoke_benchmark_writes_every_figure(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "allyreport.bench", "--smoke", "--dir", str(tmp_path)],
                            capture_output=True, text=True, env={**subprocess_env(), "ALLYREPORT_ALLOW_LOOPBACK": "1"},
                            timeout=900, check=False)
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert (data["accounts"], data["notes"], data["runs"]) == (20, 15, 1)
    assert set(data["results"]) == KEYS
    assert set(data["ratios"]) == RATIOS
    assert all(value > 0 for value in [*data["results"].values(), *data["ratios"].values()])
    assert result.stdout.startswith("allyreport benchmark: 20 accounts x 15 notes (300 notes), ")
    assert (tmp_path / "results.md").read_text("utf-8") == result.stdout


def test_the_live_preview_alone(tmp_path: Path) -> None:
    """`--only serve`: the one-note build and the live preview's figures, nothing else."""
    result = subprocess.run([sys.executable, "-m", "allyreport.bench", "--only", "serve", "--accounts", "6", "--notes",
                             "4", "--runs", "1", "--dir", str(tmp_path)], capture_output=True, text=True,
                            env={**subprocess_env(), "ALLYREPORT_ALLOW_LOOPBACK": "1"}, timeout=900, check=False)
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert set(data["results"]) == {"one_note", "serve_edit", "serve_edit_trust"}
    assert set(data["ratios"]) == {"serve edit-to-reload/one-note", "serve edit-to-reload (trust)/one-note",
                                   "serve edit-to-reload (s)"}
    assert all(value > 0 for value in [*data["results"].values(), *data["ratios"].values()])
