#!/usr/bin/env bash
# `make test-bounds`: the provider's own tests at both ends of the dependency ranges it declares.
#
#   lowest  every dependency of the wheel at the lower bound of its range (pulumi, grpcio and the
#           Alibaba SDK packages; what those need in turn is what pip picks for them)
#   newest  everything at the newest version the package index serves (no constraints at all)
#
# Each runs in a fresh virtualenv with the built wheel installed (not the checkout), so that what
# is tested is what users install: tests/unit, tests/provider (the real provider server) and the
# fleet test that proves the provider server's widening (pool_widening.py). Not tests/e2e: the CLI
# is pinned (scripts/pulumi-cli.sh) and runs with constraints.txt's SDK in `make test`.
# Usage: scripts/test-bounds.sh [lowest] [newest]   (both by default; PYTHON picks the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
BOUNDS=("$@")
[ ${#BOUNDS[@]} -gt 0 ] || BOUNDS=(lowest newest)
TESTS=(tests/unit tests/provider
       tests/fleet/test_fleet.py::test_the_provider_server_is_widened_and_runs_more_than_four_blocking_creates_at_once)
WORK="$(mktemp -d "${TMPDIR:-/tmp}/alicloud-account-factory-bounds.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

say() { printf 'make test-bounds: %s\n' "$*" >&2; }

say "building the wheel"
if ! PIP_CONSTRAINT="$PWD/constraints.txt" .venv/bin/python -m build --wheel --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1; then
    tail -n 20 "$WORK/build.log" >&2
    exit 1
fi
wheel="$(ls "$WORK"/dist/*.whl)"

failed=()
for bound in "${BOUNDS[@]}"; do
    case "$bound" in
        lowest) mapfile -t pins < <(.venv/bin/python -m account_factory_testing.dependencies lowest "$wheel") ;;
        newest) pins=() ;;
        *) say "unknown bound '$bound' (lowest or newest)"; exit 2 ;;
    esac
    venv="$WORK/$bound"
    say "$bound: a virtualenv with $(basename "$wheel")${pins[*]:+ and ${pins[*]}}"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    # The harness editable, as make venv installs it (it finds the repository from where it lies).
    "$venv/bin/python" -m pip install --quiet "$wheel[dev]" -e ./testing "${pins[@]}"
    # The versions this run proves, and that the tests import the installed wheel.
    "$venv/bin/python" - <<'EOF' >&2
import platform
from importlib import metadata
import alicloud_account_factory
names = ("pulumi", "grpcio", "protobuf", "dill", "alibabacloud-governance20210120", "alibabacloud-tea-openapi",
         "alibabacloud-credentials")
print(f"make test-bounds: CPython {platform.python_version()}, "
      + ", ".join(f"{name} {metadata.version(name)}" for name in names))
print(f"make test-bounds: the package under test: {alicloud_account_factory.__file__}")
EOF
    if ! "$venv/bin/python" -m pytest -p no:cacheprovider -q "${TESTS[@]}"; then
        failed+=("$bound")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    say "FAILED at: ${failed[*]}"
    exit 1
fi
say "passed at: ${BOUNDS[*]}"
