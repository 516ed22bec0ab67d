#!/usr/bin/env bash
# `make hosts`: the Pulumi language hosts for YAML, TypeScript (Node.js) and Go programs, which the
# e2e tests of the native plugin and its SDKs run, in one directory with the CLI (scripts/pulumi-cli.sh).
#
# Uses the CLI's own directory when all three hosts are there (a CLI installed from pulumi.com ships
# them). Otherwise builds them from their Go modules into a cache outside the checkout, shared by every
# clone on this machine, and lays out a directory holding both the CLI's programs and the hosts (hard
# links): the CLI prefers the language hosts next to its own executable, and warns about every host it
# takes from elsewhere on PATH ("using pulumi-language-yaml from $PATH at ..."). Progress goes to
# stderr; the last line of output (on stdout) is that directory, to put first on PATH:
#     PATH="$(scripts/pulumi-hosts.sh):$PATH"
#
# Which versions, and why (the hosts Pulumi ships with v3.260.0 are Go modules that are never
# tagged, and the module proxy here refuses them: `403 Forbidden`, "This module version is not
# available."; see docs/toolchain.md):
#   yaml    github.com/pulumi/pulumi-yaml v1.25.0, built in its own module directory with its own
#           go.sum (built against pkg/v3 v3.260.0 it does not compile).
#   nodejs  sdk/v3@v3.68.0 nodejs/cmd/pulumi-language-nodejs, the newest release that still kept
#           it inside the tagged sdk/v3 module. It runs @pulumi/pulumi's own `cmd/run` from the
#           program's node_modules, so nothing else is needed beside it for a TypeScript program
#           (the dynamic-provider and policy launchers it also shipped are not installed).
#   go      sdk/v3@v3.52.0 go/pulumi-language-go, likewise. It compiles the program itself (`go build`).
# None of them implements GeneratePackage, so `pulumi package gen-sdk` does not work with them:
# `make sdks` (scripts/sdkgen.sh) drives Pulumi's generators directly.
set -euo pipefail

YAML_VERSION=1.25.0
NODEJS_HOST_SDK_VERSION=3.68.0
GO_HOST_SDK_VERSION=3.52.0
INSTALL_HINT="Install the Pulumi CLI from https://www.pulumi.com/docs/iac/download-install/ (it ships these hosts) and put it on PATH instead."
SCRIPT_NAME="make hosts"
# shellcheck source=scripts/build-lib.sh
. "$(dirname "$0")/build-lib.sh"

HOSTS=(pulumi-language-yaml pulumi-language-nodejs pulumi-language-go)
HOSTS_BIN="$CACHE_ROOT/language-hosts/yaml-v$YAML_VERSION.nodejs-v$NODEJS_HOST_SDK_VERSION.go-v$GO_HOST_SDK_VERSION/bin"

has_all_hosts() {
    local host
    for host in "${HOSTS[@]}"; do
        [ -x "$1/$host" ] && [ -s "$1/$host" ] || return 1
    done
}
has_cli_and_hosts() { [ -x "$1/pulumi" ] && has_all_hosts "$1"; }

# 1. Beside the CLI in use (make passes its directory as PULUMI_CLI_DIR).
cli_dir="${PULUMI_CLI_DIR:-}"
[ -n "$cli_dir" ] || cli_dir="$("$(dirname "$0")/pulumi-cli.sh")" || fail "no Pulumi CLI (see above)."
if has_cli_and_hosts "$cli_dir"; then
    say "using the language hosts beside pulumi in $cli_dir"
    printf '%s\n' "$cli_dir"
    exit 0
fi
[ -x "$cli_dir/pulumi" ] || fail "no pulumi in $cli_dir."

# 2. The hosts: a finished build in the cache, or built now from the Go module proxy.
build_hosts() {
    command -v go >/dev/null 2>&1 || fail "Go is not installed (needed to build the language hosts from their Go modules)."
    start_work "$HOSTS_BIN"
    export CGO_ENABLED=0
    local started=$SECONDS yaml_dir
    mkdir -p "$WORK/bin"

    step "[1/4] fetching github.com/pulumi/pulumi-yaml v$YAML_VERSION" "$WORK" \
        go mod download -json "github.com/pulumi/pulumi-yaml@v$YAML_VERSION"
    yaml_dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$LOG" | tail -n 1)"
    [ -d "$yaml_dir" ] || fail "the module cache has no directory for pulumi-yaml v$YAML_VERSION."
    # Its own go.mod and go.sum decide every dependency (-mod=readonly: nothing is re-resolved); the
    # module cache is read-only, which a build that only reads it does not mind.
    step "      compiling pulumi-language-yaml in its module directory (a cold build takes a few minutes)" "$yaml_dir" \
        env GOFLAGS="-mod=readonly -buildvcs=false" go build "${BUILD_FLAGS[@]}" \
        -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$YAML_VERSION" \
        -o "$WORK/bin/pulumi-language-yaml" ./cmd/pulumi-language-yaml

    build_sdk_host "[2/4]" pulumi-language-nodejs "$NODEJS_HOST_SDK_VERSION" nodejs/cmd/pulumi-language-nodejs
    build_sdk_host "[3/4]" pulumi-language-go "$GO_HOST_SDK_VERSION" go/pulumi-language-go

    say "[4/4] checking the build"
    has_all_hosts "$WORK/bin" || fail "the build is missing one of ${HOSTS[*]}."
    publish "$WORK/bin" "$HOSTS_BIN" has_all_hosts
    say "built the language hosts in $((SECONDS - started)) s into $HOSTS_BIN ($(du -sh "$HOSTS_BIN" | cut -f1))"
    trap - EXIT
    rm -rf "$WORK"
}
if has_all_hosts "$HOSTS_BIN"; then
    say "the language hosts are already built in $HOSTS_BIN"
else
    build_hosts
fi

# 3. The CLI's programs and the hosts in one directory, keyed by both.
cli_real="$(cd "$cli_dir" && pwd -P)"
key="$(printf '%s\n' "$cli_real" "$("$cli_real/pulumi" version)" "$HOSTS_BIN" | sha256sum | cut -c1-16)"
BIN="$CACHE_ROOT/toolchain/$key/bin"
if has_cli_and_hosts "$BIN"; then
    printf '%s\n' "$BIN"
    exit 0
fi
start_work "$BIN"
mkdir -p "$WORK/bin"
for program in "$cli_real"/pulumi "$cli_real"/pulumi-* "$HOSTS_BIN"/*; do
    [ -f "$program" ] || continue
    # A later program of the same name replaces the entry (never writes into a linked file).
    target="$WORK/bin/$(basename "$program")"
    rm -f "$target"
    ln "$program" "$target" 2>/dev/null || cp -p "$program" "$target"
done
publish "$WORK/bin" "$BIN" has_cli_and_hosts
say "the CLI ($cli_real) and the language hosts are in $BIN"
printf '%s\n' "$BIN"
