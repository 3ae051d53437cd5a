# geo_core20: two commands for a new user (see README.md)
#   make run    set up, fetch and build the data, start the app
#   make test   set up, fetch and build the data, lint, run every test (incl. real-browser tests)

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# The offline mirror beside the checkout, when present (else set GEO_CORE20_MIRROR or download).
MIRROR_DEFAULT := $(shell for d in ../shared/data/raw ../shared/data/derived; do [ -d $$d ] && printf '%s:' "$$(cd $$d && pwd)"; done)
export GEO_CORE20_MIRROR ?= $(MIRROR_DEFAULT:%:=%)

.PHONY: run front crowd interactions test setup chromium postgres nginx data assets lint unit browser bench load clean-data

# geo_core20.serve = `streamlit run app.py` that warms the caches in the background at start
run: setup data
	$(PY) -m geo_core20.serve --server.port $(PORT) --server.headless true

# Several app processes behind a caching nginx front with sticky sessions (README, Deployment).
# Share saved plans between them with GEO_CORE20_PLAN_STORE=postgresql://...
REPLICAS ?= 2
FRONT_PORT ?= 8500
front: setup nginx data
	$(PY) -m geo_core20.front --replicas $(REPLICAS) --port $(FRONT_PORT)

test: setup chromium postgres nginx data lint
	$(PY) -m pytest -q

setup: $(VENV)/.installed assets

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

assets: $(VENV)/.installed
	$(PY) -m geo_core20 assets

# Real-browser tests drive Debian's Chromium; never a downloaded browser.
chromium:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Chromium missing: sudo apt-get install chromium (needed by the browser tests)"; fi; fi

# The plan-store tests run on both SQLite and a throwaway PostgreSQL cluster (Debian's server binaries;
# the tests start and stop their own cluster, nothing system-wide is started).
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql; \
	  else echo "PostgreSQL missing: sudo apt-get install postgresql (needed by the plan-store tests)"; fi; fi

# The caching front (make front) and its tests run Debian's nginx as an ordinary process.
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nginx; \
	  else echo "nginx missing: sudo apt-get install nginx (needed by make front and its tests)"; fi; fi

data: $(VENV)/.installed
	$(PY) -m geo_core20 data fetch
	$(PY) -m geo_core20 data build

lint: $(VENV)/.installed
	$(PY) -m ruff check .

unit: setup data
	$(PY) -m pytest -q -m "not browser"

browser: setup chromium data
	$(PY) -m pytest -q -m browser

# Timing scripts (not the load test, which has its own target)
bench: setup data
	for b in $(filter-out benchmarks/load_test.py benchmarks/_common.py benchmarks/crowd_front.py benchmarks/bare_page.py benchmarks/interaction_speed.py benchmarks/map_only_page.py benchmarks/map_inpage_page.py benchmarks/england_floor.py,$(wildcard benchmarks/*.py)); do \
	  echo "== $$b"; $(PY) $$b || exit 1; done

# Many users: 10 concurrent Chromium sessions on one server (~5 min; figures printed, exit 1 on failure).
load: setup chromium data
	$(PY) benchmarks/load_test.py --sessions 10

# A crowd through the caching front: 50 new browsers, app CPU per new session (issue 22; ~10 min).
crowd: setup chromium nginx data
	$(PY) benchmarks/crowd_front.py --sessions 50 --wave 10 --replicas 2

# Click to map drawn for the main interactions, against each page's first load; then what sets the
# England view's floor (the map alone, in its iframe or in the page; each page also through nginx) (issue 22).
interactions: setup chromium nginx data
	$(PY) benchmarks/interaction_speed.py
	$(PY) benchmarks/england_floor.py --front

clean-data:
	rm -rf data/raw data/processed boundaries/raw
