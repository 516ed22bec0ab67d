# The two commands a user needs: `make demo` and `make test`. Both build .venv from nothing, and
# both find or build the Pulumi CLI (`make pulumi`, cached outside the checkout). `make check` is
# the inner loop: unit and provider-level tests, no CLI, in under a minute.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The Alibaba SDK's HTTP layer honours HTTP_PROXY but ignores NO_PROXY: local servers need it unset.
NOPROXY := env -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy -u ALL_PROXY -u all_proxy
# The directory holding pulumi and its Python language host, first on PATH; .venv/bin before it,
# so that the programs and the dynamic provider run with the project's Python.
WITH_PULUMI = bin="$$(scripts/pulumi-cli.sh)" && PATH="$(CURDIR)/$(VENV)/bin:$$bin:$$PATH" PULUMI_CLI_DIR="$$bin"
# pytest-xdist workers: the tests mostly wait (on enrollments, held requests, the CLI), so four per
# core, and at least 4 (8 on 2 cores; measured idle: make test 3m36s against 4m19s with 6, make
# check 43-49 s against 53-59 s).
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(max(4, 4 * (os.cpu_count() or 1)))')

.PHONY: venv pulumi test check demo bench bench-engine clean

venv: $(VENV)/.installed

# The provider, and the test harness (testing/: a library of its own, never published) next to it.
$(VENV)/.installed: pyproject.toml testing/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' -e ./testing
	touch $@

pulumi:
	@scripts/pulumi-cli.sh

# Each worker starts on a run of consecutive tests (a module's tests share its emulator and engine
# stand-in) and an idle worker takes over part of a busy one's: no long file holds up the end
# (the CLI's files take minutes each, whole; 5m04s against 6m00s whole files, measured under load).
test: venv
	@$(WITH_PULUMI) $(NOPROXY) $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

check: venv
	@$(NOPROXY) $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal tests/unit tests/provider $(PYTEST_ARGS)

demo: venv
	@$(WITH_PULUMI) $(NOPROXY) $(PY) examples/demo.py

bench: venv
	@$(WITH_PULUMI) $(NOPROXY) $(PY) benchmarks/fleet.py $(BENCH_ARGS)

bench-engine: venv
	@$(WITH_PULUMI) $(NOPROXY) $(PY) benchmarks/engine.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .demo .pytest_cache .hypothesis
