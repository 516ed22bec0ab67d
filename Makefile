# The two commands a user needs: `make demo` and `make test`. Both build .venv from nothing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The Alibaba SDK's HTTP layer honours HTTP_PROXY but ignores NO_PROXY: local servers need it unset.
NOPROXY := env -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy -u ALL_PROXY -u all_proxy

.PHONY: venv test demo bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

test: venv
	$(NOPROXY) $(PY) -m pytest $(PYTEST_ARGS)

demo: venv
	$(NOPROXY) $(PY) examples/demo.py

bench: venv
	$(NOPROXY) $(PY) benchmarks/fleet.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .demo .pytest_cache .hypothesis
