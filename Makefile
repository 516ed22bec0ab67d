# The two commands a user needs: `make demo` and `make test`. Both build .venv from nothing, and
# both find or build the Pulumi CLI (`make pulumi`, cached outside the checkout); `make test` also
# the language hosts, Node.js packages and SDK generator the e2e tests of other languages need.
# `make check` is the inner loop: unit and provider-level tests, no CLI, in under a minute.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The Alibaba SDK's HTTP layer honours HTTP_PROXY but ignores NO_PROXY: local servers need it unset.
NOPROXY := env -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY -u https_proxy -u ALL_PROXY -u all_proxy
# The directory holding pulumi and its Python language host, first on PATH; .venv/bin before it,
# so that the programs and the dynamic provider run with the project's Python.
WITH_PULUMI = bin="$$(scripts/pulumi-cli.sh)" && PATH="$(CURDIR)/$(VENV)/bin:$$bin:$$PATH" PULUMI_CLI_DIR="$$bin"
# For the tests: the CLI with the YAML, Node.js and Go language hosts beside it (one directory), the
# Node.js packages and tools/sdkgen, each built first when missing (docs/toolchain.md).
WITH_TOOLCHAIN = scripts/node-packages.sh >/dev/null && scripts/sdkgen.sh --path >/dev/null \
	&& bin="$$(scripts/pulumi-hosts.sh)" && PATH="$(CURDIR)/$(VENV)/bin:$$bin:$$PATH" PULUMI_CLI_DIR="$$bin"
# The suites start thousands of Python processes (programs, provider servers, the plugin, emulators), each
# importing the provider, the harness and the tests: with PYTHONDONTWRITEBYTECODE set, each would compile them
# from source again (about a tenth of the suite's CPU). The tests therefore let Python keep its bytecode cache
# (__pycache__/, ignored by git) whatever the caller's environment says.
KEEP_BYTECODE := env -u PYTHONDONTWRITEBYTECODE
# pytest-xdist workers: many tests wait (on enrollments, held requests, the CLI), so four per core,
# and at least 4 (8 on 2 cores; make check 43-49 s against 53-59 s with 6). The whole suite is CPU-bound on
# 2 cores: more workers would not shorten it (docs/testing.md says where its CPU goes).
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(max(4, 4 * (os.cpu_count() or 1)))')

.PHONY: venv pulumi hosts schema plugin sdks test check demo bench bench-engine bench-scale dist test-bounds drawing clean

venv: $(VENV)/.installed

# The provider, and the test harness (testing/: a library of its own, never published) next to it,
# at the exact versions of constraints.txt (the package itself requires ranges).
$(VENV)/.installed: pyproject.toml testing/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]' -e ./testing
	touch $@

pulumi:
	@scripts/pulumi-cli.sh

# The language hosts for YAML, TypeScript and Go programs and the Node.js packages (cached like the CLI);
# the last line is the directory holding the CLI and the hosts.
hosts:
	@scripts/node-packages.sh >/dev/null && scripts/pulumi-hosts.sh

# schema.json, the native plugin's schema, generated from the field tables (tests/unit/test_native_schema.py
# fails while it is stale).
schema: venv
	$(PY) -m alicloud_account_factory.native.schema > schema.json

# The native plugin as an archive for `pulumi plugin install resource alicloud-account-factory <version>
# --file <archive>` (docs/native-plugin.md), into dist/.
plugin:
	@scripts/plugin-archive.sh dist

# sdk/nodejs, sdk/python and sdk/go from schema.json, by Pulumi's generators (tools/sdkgen).
sdks:
	@test -f schema.json || { echo "make sdks: there is no schema.json at the repository root yet (the native plugin's schema)" >&2; exit 1; }
	@scripts/sdkgen.sh -schema schema.json -out sdk

# Each worker starts on a run of consecutive tests (a module's tests share its emulator and engine
# stand-in) and an idle worker takes over part of a busy one's: no long file holds up the end.
test: venv
	@$(WITH_TOOLCHAIN) $(NOPROXY) $(KEEP_BYTECODE) $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

check: venv
	@$(NOPROXY) $(KEEP_BYTECODE) $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal tests/unit tests/provider $(PYTEST_ARGS)

# The drawing of the package's imports in docs/development.md, from the imports themselves (after a change of them).
drawing: venv
	@$(PY) -m account_factory_testing.architecture --write

demo: venv
	@$(WITH_PULUMI) $(NOPROXY) $(PY) examples/demo.py

bench: venv
	@$(WITH_PULUMI) $(NOPROXY) $(PY) benchmarks/fleet.py $(BENCH_ARGS)

bench-engine: venv
	@$(WITH_PULUMI) $(NOPROXY) $(PY) benchmarks/engine.py $(BENCH_ARGS)

# Issue 23's rows: N = 100, 300, 1000 with --parallel N and D = 60 s, each beside the engine's floor,
# and N = 1000 against --qps 10 (about an hour on 2 cores; docs/fleets-at-scale.md). Not in make test.
bench-scale: venv
	@$(WITH_PULUMI) $(NOPROXY) $(PY) -m benchmarks.scale $(BENCH_ARGS)

# The sdist and the wheel into dist/ (a release: docs/releasing.md), built by constraints.txt's setuptools.
dist: venv
	rm -rf dist
	PIP_CONSTRAINT="$(CURDIR)/constraints.txt" $(PY) -m build --outdir dist .

# The provider's tests at both ends of the supported ranges (the lowest versions pyproject.toml
# allows, and the newest the index serves), each in a virtualenv of its own: see the script.
test-bounds: venv
	@$(NOPROXY) scripts/test-bounds.sh $(BOUNDS)

clean:
	rm -rf $(VENV) .demo .pytest_cache .hypothesis dist build
