"""The floor: the unavoidable work, in one process. Read every note, parse its frontmatter
with PyYAML's C loader and render its body with markdown-it-py; nothing else."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml
from markdown_it import MarkdownIt


def floor(corpus: Path) -> float:
    started = time.perf_counter()
    md = MarkdownIt("js-default")
    for path in sorted(corpus.rglob("*.md")):
        text = path.read_text("utf-8")
        _, front, body = text.split("---\n", 2)
        yaml.load(front, Loader=yaml.CSafeLoader)
        md.render(body)
    return time.perf_counter() - started


if __name__ == "__main__":
    print(f"{floor(Path(sys.argv[1])):.4f}")
