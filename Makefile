# The backprop book: set-up, build and tests.
#
#   make book    build the HTML book into _build/html (sets up .venv first)
#   make pdf     print the book to _build/pdf/backprop-book.pdf (needs Chromium)
#   make test    the whole suite: bplib unit tests, every chapter under nbval,
#                the book build (warnings are errors), the browser check, the PDF
#   make lab     JupyterLab on the chapters, in the same environment
#                (adds --allow-root as root; LAB_ARGS="--no-browser ..." for more)
#   make serve   serve the built book on http://localhost:8000 (PORT=...)
#   make mnist   download and prepare full MNIST once (needs TensorFlow)
#   make bench   run benchmarks/*.py
#   make strip   strip outputs (nbstripout) and write each chapter's first cells
#   make translations  extract the English messages and update locale/*/LC_MESSAGES/*.po
#   make clean   remove the build (keeps .venv);  make distclean removes .venv too
#   make lock    resolve the pins in requirements/ and binder/ (maintainers only)
#
# Every target creates .venv if it is missing and installs the pinned
# versions from requirements/ (only again when pyproject.toml or a pin changes).

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
PY     := $(VENV)/bin/python
PIP_VERSION := 26.0.1

# Pins for the venv's Python: requirements/constraints-py3.10.txt on 3.10,
# requirements/constraints-py3.11.txt on 3.11 and newer.
CONSTRAINTS = requirements/constraints-py$(shell $(PY) -c 'import sys; print("3.10" if sys.version_info[:2] == (3, 10) else "3.11")').txt
PIP_INSTALL = $(PY) -m pip install --disable-pip-version-check --no-input -c $(CONSTRAINTS)

STAMP     := $(VENV)/.installed-dev
PINS      := pyproject.toml $(wildcard requirements/constraints-py*.txt)

.PHONY: help setup book pdf test lab serve mnist bench strip clean distclean lock translations

help:
	@sed -n '3,16p' Makefile | sed 's/^# \{0,1\}//'

# ----------------------------------------------------------------- environment
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || \
	  { echo "The backprop book needs Python 3.10 or newer; set PYTHON=python3.X"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)

$(STAMP): $(PY) $(PINS)
	$(PIP_INSTALL) -e '.[dev]'
	@touch $@

setup: $(STAMP)

# ----------------------------------------------------------------------- book
book: $(STAMP)
	$(PY) -m tools.build_book

# The single-page build (from the same execution cache) printed by Debian's
# Chromium: one PDF per edition whose HTML book is built (tools/pdf_book.py).
pdf: book
	$(PY) -m tools.pdf_book

# Serves what is built; builds first only if there is no book yet.
serve: $(STAMP)
	@test -f _build/html/index.html || $(MAKE) --no-print-directory book
	@echo "Serving _build/html on http://localhost:$(PORT)/ (Ctrl-C to stop)"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# ---------------------------------------------------------------------- tests
# One pytest run: tests/ (hygiene, bplib unit tests, the book build, the
# browser check, the PDF; warnings are errors, see pyproject.toml) and every chapter
# notebook under nbval.  --nbval-lax: a cell that raises always fails; output
# is compared only in cells marked "# NBVAL_CHECK_OUTPUT".
test: $(STAMP)
	PYDEVD_DISABLE_FILE_VALIDATION=1 $(PY) -m pytest tests chapters \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=600 --durations=10 $(PYTEST_ARGS)

# ------------------------------------------------------------------- extras
# JupyterLab (in the dev extra) on chapters/.  It prints the address to open
# (with its token) and opens a browser where there is one.  Jupyter refuses to
# run as root without --allow-root, so it is added for root.
LAB_ROOT_ARG = $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters $(LAB_ROOT_ARG) $(LAB_ARGS)

# Honours TFDS_DATA_DIR (default: ~/tensorflow_datasets).
mnist: $(STAMP)
	$(PIP_INSTALL) -e '.[dev,mnist-prepare]'
	$(PY) -c 'from bplib.course.mnist import prepare_full_mnist; prepare_full_mnist()'
	@echo "MNIST is prepared in $${TFDS_DATA_DIR:-$$HOME/tensorflow_datasets}"

bench: $(STAMP)
	$(PIP_INSTALL) -e '.[dev,bench]'
	@set -e; for script in benchmarks/*.py; do \
	  [ -e "$$script" ] || { echo "no benchmarks yet"; break; }; \
	  echo "== $$script"; $(PY) "$$script"; \
	done

# ---------------------------------------------------------------- housekeeping
# nbstripout takes the outputs out of chapters/*.ipynb, except those of cells
# with "keep_output": true (the expected text of "# NBVAL_CHECK_OUTPUT" cells),
# then tools/chapter_cells.py writes the cells every chapter starts with (the
# first code cell, from the book's home in _config.yml, and the notation
# cell).  See README, "Writing a chapter".
strip: $(STAMP)
	$(PY) -m tools.chapter_cells

# The translations (tools/i18n.py): extract every page's messages from the
# English sources (no notebook runs) and update locale/<lang>/LC_MESSAGES/<page>.po
# with sphinx-intl: new messages come empty, changed ones fuzzy.  Then translate
# them; `$(PY) -m tools.i18n check PAGE` lists what is left.
translations: $(STAMP)
	$(PY) -m tools.i18n update

clean:
	rm -rf _build _assets/npm

distclean: clean
	rm -rf $(VENV) node_modules

# uv resolves every extra of pyproject.toml for each supported Python (no
# interpreter of that version needed), keeping the current pins where they
# still fit: LOCK_ARGS=--upgrade moves everything to its newest version,
# LOCK_ARGS="--upgrade-package numpy" one package.  Binder's requirements are
# the lab extra under the 3.11 pins.  See README, "Pinned versions".
LOCK = $(VENV)/bin/uv pip compile pyproject.toml --quiet --custom-compile-command "make lock" $(LOCK_ARGS)
lock: $(STAMP)
	$(LOCK) --all-extras --python-version 3.10 -o requirements/constraints-py3.10.txt
	$(LOCK) --all-extras --python-version 3.11 -o requirements/constraints-py3.11.txt
	$(LOCK) --extra lab --python-version 3.11 -c requirements/constraints-py3.11.txt -o binder/requirements.txt
