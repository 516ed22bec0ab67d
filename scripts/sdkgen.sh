#!/usr/bin/env bash
# `make sdks`: runs tools/sdkgen (Pulumi's own SDK generators at the pinned pkg/v3) with the
# arguments given, e.g.  scripts/sdkgen.sh -schema schema.json -out sdk
# `scripts/sdkgen.sh --path` only builds it (when needed) and prints the program's path.
#
# The program is built once into a cache outside the checkout, keyed by the hash of its sources
# (go.mod, go.sum and the .go files), so every clone with the same tools/sdkgen reuses it and a
# change to it builds anew. Build progress goes to stderr.
set -euo pipefail

SCRIPT_NAME="make sdks"
# shellcheck source=scripts/build-lib.sh
. "$(dirname "$0")/build-lib.sh"
SOURCE="$(cd "$(dirname "$0")/../tools/sdkgen" && pwd)"

key="$(cd "$SOURCE" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)"
BIN="$CACHE_ROOT/sdkgen/$key/bin"

is_built() { [ -x "$1/sdkgen" ] && [ -s "$1/sdkgen" ]; }

if ! is_built "$BIN"; then
    command -v go >/dev/null 2>&1 || fail "Go is not installed (needed to build tools/sdkgen)."
    start_work "$BIN"
    started=$SECONDS
    mkdir -p "$WORK/bin"
    # go.sum is checked in: -mod=readonly builds exactly what it records and never re-resolves.
    step "building tools/sdkgen with github.com/pulumi/pulumi/pkg/v3's code generators (once per version of it)" "$SOURCE" \
        env GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 go build -trimpath -o "$WORK/bin/sdkgen" .
    publish "$WORK/bin" "$BIN" is_built
    say "built sdkgen in $((SECONDS - started)) s into $BIN"
    trap - EXIT
    rm -rf "$WORK"
fi
if [ "${1:-}" = "--path" ]; then
    printf '%s\n' "$BIN/sdkgen"
    exit 0
fi
exec "$BIN/sdkgen" "$@"
