# allyreport — the commands people run. `make reports` and `make test` set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: reports test check lint bench golden screenshots clean setup

reports: $(STAMP)
	$(BIN)/allyreport build

test: $(STAMP)
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/allyreport check notes

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q tests/test_layers.py

bench: $(STAMP)
	$(BIN)/python -m allyreport.bench

golden: $(STAMP)
	ALLYREPORT_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/test_levels.py

# The README's pictures (docs/img/*.png): the example notes in a real Chromium, and the portfolio PDF's cover.
screenshots: $(STAMP)
	ALLYREPORT_SCREENSHOTS=1 ALLYREPORT_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q \
	  tests/test_browser.py::test_portfolio_sorts_filters_and_links_in_a_real_browser \
	  tests/test_pdf.py::test_example_notes_give_sane_pdfs

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "allyreport needs Python 3.11 or newer"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf output .allyreport-cache
