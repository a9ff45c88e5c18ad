"""`make bench`: floor, cold, warm and one-note builds, PDFs with 1 and 2 jobs, peak memory.

Every figure is the median of several runs of the real CLI in a subprocess; the table
reports ratios, because the machine is shared and noisy and ratios from one run hold.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import serving
from .corpus import generate


def tree_rss(pid: int, field: str = "VmRSS:", where: str = "status") -> int:
    """Resident memory of a process and all its descendants, in bytes (Linux /proc).

    VmRSS counts pages a forked worker shares with its parent once per process; Pss
    (`field="Pss:", where="smaps_rollup"`) splits shared pages among their sharers, so the
    sum over the tree is the memory the build really holds."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/{where}") as handle:
                for line in handle:
                    if line.startswith(field):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
        todo.extend(children.get(current, []))
    return total


PEAK_PSS: list[int] = [0]  # of the last run(): the peak proportional set size of its tree


def run(args: list[str], cwd: Path, memory: bool = False) -> tuple[float, int]:
    """Run a command; return (seconds, peak RSS of its process tree); PEAK_PSS[0] gets the peak PSS.
    Watching memory (`memory=True`) reads /proc every 50 ms, which on two cores slows a build
    measurably; without it the command is timed alone (and the peak reported is 0)."""
    if not memory:
        started = time.perf_counter()
        done = subprocess.run(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"command failed ({done.returncode}): {' '.join(args)}\n{done.stderr}")
        return time.perf_counter() - started, 0
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    PEAK_PSS[0] = 0

    def watch() -> None:
        nonlocal peak
        tick = 0
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            if tick % 10 == 0:  # reading smaps_rollup walks page tables: sample PSS less often, not to slow the build
                PEAK_PSS[0] = max(PEAK_PSS[0], tree_rss(proc.pid, "Pss:", "smaps_rollup"))
            tick += 1
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    watcher.join()
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(args)}\n{err}")
    return elapsed, peak


def ensure_corpus(folder: Path, accounts: int, notes: int) -> Path:
    stamp = folder / ".corpus"
    wanted = f"{accounts}x{notes}"
    if not (stamp.exists() and stamp.read_text() == wanted):
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder / "notes", accounts, notes)
        stamp.write_text(wanted)
    return folder


def clean(folder: Path) -> None:
    for name in ("out", ".allyreport-cache"):
        shutil.rmtree(folder / name, ignore_errors=True)


def build_cmd(*extra: str) -> list[str]:
    return [sys.executable, "-m", "allyreport", "build", "--notes", "notes", "--out", "out", *extra]


def measure(base: Path, accounts: int, notes: int, runs: int, pdf_accounts: int) -> dict[str, float]:
    corpus = ensure_corpus(base / f"corpus-{accounts}x{notes}", accounts, notes)
    r: dict[str, float] = {}
    r["floor"] = statistics.median(
        float(subprocess.run([sys.executable, "-m", "allyreport.bench.floor", "notes"], cwd=corpus, check=True,
                             capture_output=True, text=True).stdout) for _ in range(runs))
    colds, peaks, psss, warms, ones = [], [], [], [], []
    victim = sorted((corpus / "notes").rglob("*-n000.md"))[0]
    original = victim.read_bytes()
    try:
        for i in range(runs):
            clean(corpus)
            colds.append(run(build_cmd("--no-pdf"), corpus)[0])
            warms.append(run(build_cmd("--no-pdf"), corpus)[0])
            victim.write_bytes(original + f"\nEdited in run {i}.\n".encode())
            ones.append(run(build_cmd("--no-pdf"), corpus)[0])
        clean(corpus)  # one more cold build, watched, for its memory (watching would slow the timed ones)
        peaks.append(run(build_cmd("--no-pdf"), corpus, memory=True)[1])
        psss.append(PEAK_PSS[0])
    finally:
        victim.write_bytes(original)
    r["cold"], r["warm"], r["one_note"] = (statistics.median(x) for x in (colds, warms, ones))
    r["peak_rss_mib"] = max(peaks) / 2**20
    r["peak_pss_mib"] = max(psss) / 2**20
    r |= measure_serve(corpus, accounts)
    if pdf_accounts:
        pdf_corpus = ensure_corpus(base / f"corpus-{pdf_accounts}x{notes}", pdf_accounts, notes)
        for jobs in (1, 2):
            clean(pdf_corpus)
            r[f"pdf_jobs{jobs}"] = run(build_cmd("--jobs", str(jobs)), pdf_corpus)[0]
        victim = sorted((pdf_corpus / "notes").rglob("*-n000.md"))[0]  # one note, then its account's PDFs
        original = victim.read_bytes()
        try:
            victim.write_bytes(original + b"\nEdited.\n")
            r["pdf_one_note"] = run(build_cmd("--jobs", "2"), pdf_corpus)[0]
        finally:
            victim.write_bytes(original)
        pack = subprocess.run([sys.executable, "-m", "allyreport.bench.pack", "out/pdf", str(accounts)], cwd=pdf_corpus,
                              check=True, capture_output=True, text=True).stdout.split()
        r[f"pack_{accounts}_accounts"], r["pack_peak_rss_mib"] = float(pack[0]), float(pack[2])
        r[f"pack_{accounts}_accounts_from_segments"] = float(pack[4])
        clean(pdf_corpus)
        r["pdf_html_only"] = run(build_cmd("--no-pdf", "--jobs", "1"), pdf_corpus)[0]
        raw = subprocess.run([sys.executable, "-m", "allyreport.bench.rawpdf", "notes"], cwd=pdf_corpus,
                             check=True, capture_output=True, text=True).stdout.split()
        r["raw_weasyprint_per_doc"], r["ours_per_doc"] = float(raw[0]), float(raw[1])
    return r


def measure_serve(corpus: Path, accounts: int) -> dict[str, float]:
    """The live preview: write a note, time until the page is told (a note's text; a trust score)."""
    edits = 20 if accounts >= 200 else 5
    return {"serve_edit": serving.edit_to_reload(corpus, edits),
            "serve_edit_trust": serving.edit_to_reload(corpus, max(1, edits // 2), trust=True)}


def measure_one_note_and_serve(base: Path, accounts: int, notes: int, runs: int) -> dict[str, float]:
    """`--only serve`: the one-note build (median of `runs`, after a build that brings the output
    up to date) and the live preview's figures, in the same run, so their ratio holds."""
    corpus = ensure_corpus(base / f"corpus-{accounts}x{notes}", accounts, notes)
    run(build_cmd("--no-pdf"), corpus)
    victim = sorted((corpus / "notes").rglob("*-n000.md"))[0]
    original = victim.read_bytes()
    ones = []
    try:
        for i in range(runs):
            victim.write_bytes(original + f"\nEdited in run {i}.\n".encode())
            ones.append(run(build_cmd("--no-pdf"), corpus)[0])
    finally:
        victim.write_bytes(original)
    run(build_cmd("--no-pdf"), corpus)
    return {"one_note": statistics.median(ones), **measure_serve(corpus, accounts)}


def ratios(r: dict[str, float]) -> dict[str, tuple[float, float]]:
    """name -> (measured ratio, target), for the figures measured."""
    wanted = {
        "cold/floor": ("cold", "floor", 1.0),
        "warm/cold": ("warm", "cold", 0.05),
        "one-note/cold": ("one_note", "cold", 0.05),
        "serve edit-to-reload/one-note": ("serve_edit", "one_note", 0.3),
        "serve edit-to-reload (trust)/one-note": ("serve_edit_trust", "one_note", 0.3),
    }
    out = {name: (r[a] / r[b], target) for name, (a, b, target) in wanted.items() if a in r and b in r}
    if "serve_edit" in r:
        out["serve edit-to-reload (s)"] = (r["serve_edit"], 0.15)
    pack = next((k for k in r if k.startswith("pack_") and k.endswith("_accounts")), None)  # segments made, serially
    if pack:
        out["review pack / 180 s"] = (r[pack] / 180, 1.0)  # "a few minutes at most"
        out["review pack peak RSS / 1024 MiB"] = (r["pack_peak_rss_mib"] / 1024, 1.0)
    if "pdf_jobs1" in r:
        out["jobs2/jobs1 (PDF)"] = (r["pdf_jobs2"] / r["pdf_jobs1"], 0.6)
        out["one-note/cold (with PDFs)"] = (r["pdf_one_note"] / r["pdf_jobs2"], 0.05)
        out["ours/raw WeasyPrint"] = (r["ours_per_doc"] / r["raw_weasyprint_per_doc"], 1.15)
    return out


def table(r: dict[str, float], accounts: int, notes: int) -> str:
    lines = [f"allyreport benchmark: {accounts:,} accounts x {notes} notes ({accounts * notes:,} notes), "
             f"{os.cpu_count()} cores", "", "| measure | value |", "|---|---|"]
    for key, value in r.items():
        unit = "MiB" if key.endswith("mib") else "s"
        lines.append(f"| {key} | {value:.3f} {unit} |")
    lines += ["", "| ratio | measured | target | met |", "|---|---|---|---|"]
    for name, (value, target) in ratios(r).items():
        lines.append(f"| {name} | {value:.3f} | ≤ {target} | {'yes' if value <= target else 'NO'} |")
    for key, name in (("peak_rss_mib", "peak RSS (cold)"), ("peak_pss_mib", "peak PSS (cold)")):
        if key in r:
            lines.append(f"| {name} | {r[key]:.0f} MiB | ≤ 1024 MiB | {'yes' if r[key] <= 1024 else 'NO'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="allyreport benchmark")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pdf-accounts", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=Path("bench"))
    parser.add_argument("--smoke", action="store_true", help="a few hundred notes, one run (CI)")
    parser.add_argument("--only", choices=["serve"], help="serve: the one-note build and the live preview alone")
    args = parser.parse_args()
    if args.smoke:
        args.accounts, args.notes, args.runs, args.pdf_accounts = 20, 15, 1, 3
    args.dir.mkdir(parents=True, exist_ok=True)
    if args.only == "serve":
        results = measure_one_note_and_serve(args.dir.resolve(), args.accounts, args.notes, args.runs)
    else:
        results = measure(args.dir.resolve(), args.accounts, args.notes, args.runs, args.pdf_accounts)
    text = table(results, args.accounts, args.notes)
    print(text)
    data = {"accounts": args.accounts, "notes": args.notes, "runs": args.runs, "results": results,
            "ratios": {k: v[0] for k, v in ratios(results).items()}}
    (args.dir / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    (args.dir / "results.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
