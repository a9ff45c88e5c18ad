"""Without Chromium the browser tests skip locally, and the suite's last line says so; in CI
(ALLYREPORT_REQUIRE_BROWSER=1) they fail instead. The suite itself is run, in a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys

from .conftest import REPO, subprocess_env


def pytest_run(*env: tuple[str, str]) -> subprocess.CompletedProcess[str]:
    extra = dict(env)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_browser.py"],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
                          env={**subprocess_env(), "ALLYREPORT_REQUIRE_BROWSER": "", **extra})


def test_without_chromium_the_browser_tests_skip_and_the_last_line_says_how_to_install_it() -> None:
    result = pytest_run(("ALLYREPORT_CHROMIUM", "/nonexistent/chromium"))
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    count = len(re.findall(r"^def test_", (REPO / "tests/test_browser.py").read_text("utf-8"), re.MULTILINE))
    assert re.fullmatch(rf"{count} skipped in [0-9.]+s", lines[-2]), lines[-2]
    assert lines[-1] == (f"{count} browser tests skipped (tests/test_browser.py): "
                         "Chromium is not installed; install it with: sudo apt-get install chromium")


def test_ci_fails_without_chromium() -> None:
    result = pytest_run(("ALLYREPORT_CHROMIUM", "/nonexistent/chromium"), ("ALLYREPORT_REQUIRE_BROWSER", "1"))
    assert result.returncode == 1
    assert "/nonexistent/chromium is missing but ALLYREPORT_REQUIRE_BROWSER=1 (CI must run the browser tests)" in result.stdout
    assert "browser tests skipped" not in result.stdout
