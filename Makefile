# Two commands: `make site` builds content/ into site/, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: site test bench fuzz clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install -q -e '.[test]'
	touch $@ $(VENV)/.installed

site: $(VENV)/.installed
	$(PY) build.py build --content content --out site

test: $(VENV)/.installed-test
	$(PY) -m pytest -q

clean:
	rm -rf site
