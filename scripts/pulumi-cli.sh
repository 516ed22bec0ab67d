#!/usr/bin/env bash
# `make pulumi`: provide the Pulumi CLI that `make demo` and `make test` run.
#
# Uses `pulumi` from PATH when it is there and of a supported version; otherwise builds it from
# its Go modules into a cache outside the checkout, shared by every clone on this machine.
# Progress goes to stderr; the last line of output (on stdout) is the directory holding
# `pulumi`, `pulumi-language-python`, `pulumi-language-python-exec` and
# `pulumi-resource-pulumi-python`, so that a caller can put it first on PATH:
#     PATH="$(scripts/pulumi-cli.sh):$PATH"
set -euo pipefail

# The one pinned version: the CLI is built at the version of the `pulumi` Python SDK that
# constraints.txt pins for the tests (tests/e2e/test_cli_version.py checks that the two agree).
PULUMI_VERSION=3.260.0
# The Python language host is a Go module of its own that is never tagged, and the module proxy
# refuses every version of it that was asked for. Releases up to v3.68.0 kept it inside the
# tagged sdk/v3 module, so it is built from there (the newest such release the proxy serves).
# The engine still speaks to it, and it runs the -exec script of PULUMI_VERSION.
LANGUAGE_HOST_SDK_VERSION=3.68.0
INSTALL_HINT="Install the Pulumi CLI v${PULUMI_VERSION} or later from https://www.pulumi.com/docs/iac/download-install/ and put it on PATH instead."
SCRIPT_NAME="make pulumi"
# shellcheck source=scripts/build-lib.sh
. "$(dirname "$0")/build-lib.sh"

TARGET="$CACHE_ROOT/pulumi/v$PULUMI_VERSION"
BIN="$TARGET/bin"
PROGRAMS=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)

# Versions as integers (3.260.0 -> 3260000) so that the shell can compare them.
version_number() {
    local major minor patch
    IFS=. read -r major minor patch <<<"${1#v}"
    patch="${patch%%[-+]*}"
    printf '%d' "$((major * 1000000 + minor * 1000 + ${patch:-0}))"
}

has_all_programs() {
    local program
    for program in "${PROGRAMS[@]}"; do
        [ -x "$1/$program" ] && [ -s "$1/$program" ] || return 1
    done
}

# 1. A CLI on PATH, of a supported version, with its language host beside it.
if on_path="$(command -v pulumi 2>/dev/null)"; then
    dir="$(cd "$(dirname "$on_path")" && pwd)"
    found="$("$on_path" version 2>/dev/null || true)"
    if [ -n "$found" ] && [ "$(version_number "$found")" -ge "$(version_number "$PULUMI_VERSION")" ] \
        && [ "${found#v}" = "${found#v4}" ] && has_all_programs "$dir"; then
        say "using pulumi $found from PATH ($dir)"
        printf '%s\n' "$dir"
        exit 0
    fi
    say "ignoring pulumi on PATH ($on_path, version '${found:-unknown}'): v$PULUMI_VERSION or a later v3 with its Python language host beside it is needed"
fi

# 2. A finished build in the cache (a build becomes visible only by a rename when complete).
if has_all_programs "$BIN"; then
    say "pulumi v$PULUMI_VERSION is already built in $BIN; nothing to do"
    printf '%s\n' "$BIN"
    exit 0
fi

# 3. Build it from the Go module proxy.
command -v go >/dev/null 2>&1 || fail "Go is not installed (needed to build the Pulumi CLI from its Go modules)."
start_work "$BIN"
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
started=$SECONDS

mkdir -p "$WORK/bin"
wrapper_module "$WORK/cli"
step "[1/5] fetching github.com/pulumi/pulumi/pkg/v3 and sdk/v3 v$PULUMI_VERSION from the Go module proxy" "$WORK/cli" \
    go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
resolved="$(cd "$WORK/cli" && go list -m -f '{{.Path}}@{{.Version}}' github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3 | tr '\n' ' ')"
[ "$resolved" = "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION " ] \
    || fail "the modules resolved to $resolved instead of v$PULUMI_VERSION."
step "[2/5] building pulumi v$PULUMI_VERSION (a cold build takes several minutes)" "$WORK/cli" \
    go build "${BUILD_FLAGS[@]}" -ldflags "-s -w $LDFLAGS_VERSION=v$PULUMI_VERSION" \
    -o "$WORK/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

build_sdk_host "[3/5]" pulumi-language-python "$LANGUAGE_HOST_SDK_VERSION" python/cmd/pulumi-language-python

say "[4/5] installing pulumi-language-python-exec and pulumi-resource-pulumi-python from sdk/v3@v$PULUMI_VERSION"
sdk_dir="$(cd "$WORK/cli" && go list -m -f '{{.Dir}}' "github.com/pulumi/pulumi/sdk/v3")"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$WORK/bin/pulumi-language-python-exec"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$WORK/bin/pulumi-resource-pulumi-python"

say "[5/5] checking the build"
built="$("$WORK/bin/pulumi" version 2>>"$LOG")" || fail "the built pulumi does not run: $(tail -n 5 "$LOG")"
[ "$built" = "v$PULUMI_VERSION" ] || fail "the built pulumi says its version is '$built', not v$PULUMI_VERSION."
has_all_programs "$WORK/bin" || fail "the build is missing one of ${PROGRAMS[*]}."

# Publish: a rename, so that no one ever sees a half-finished build.
publish "$WORK/bin" "$BIN" has_all_programs
say "built pulumi v$PULUMI_VERSION in $((SECONDS - started)) s into $BIN ($(du -sh "$BIN" | cut -f1))"
printf '%s\n' "$BIN"
