#!/usr/bin/env bash
# The Node.js packages TypeScript programs and the generated Node.js SDKs are built and run with:
# @pulumi/pulumi (the version the CLI is pinned at), typescript and @types/node, exactly as
# tools/node/package-lock.json records them. Installed once (`npm ci`) into a cache outside the
# checkout keyed by the lock file's hash; the last line of output is that node_modules directory.
# A program links it as its own node_modules (account_factory_testing.toolchain.link_node_modules).
set -euo pipefail

SCRIPT_NAME="make hosts"
INSTALL_HINT="Node.js and npm are needed (Node.js 20 or later), and the npm registry."
# shellcheck source=scripts/build-lib.sh
. "$(dirname "$0")/build-lib.sh"
SOURCE="$(cd "$(dirname "$0")/../tools/node" && pwd)"

key="$(cat "$SOURCE/package.json" "$SOURCE/package-lock.json" | sha256sum | cut -c1-16)"
TARGET="$CACHE_ROOT/node-packages/$key"

is_installed() { [ -f "$1/node_modules/@pulumi/pulumi/package.json" ] && [ -x "$1/node_modules/.bin/tsc" ]; }

if ! is_installed "$TARGET"; then
    command -v npm >/dev/null 2>&1 || fail "npm is not installed."
    start_work "$TARGET"
    started=$SECONDS
    mkdir -p "$WORK/packages"
    cp "$SOURCE/package.json" "$SOURCE/package-lock.json" "$WORK/packages/"
    # No install scripts: none of these needs one to work (protobufjs's only prints a notice).
    step "installing @pulumi/pulumi, typescript and @types/node from tools/node/package-lock.json (npm ci)" "$WORK/packages" \
        npm ci --ignore-scripts --no-audit --no-fund
    publish "$WORK/packages" "$TARGET" is_installed
    say "installed the Node.js packages in $((SECONDS - started)) s into $TARGET ($(du -sh "$TARGET" | cut -f1))"
fi
printf '%s\n' "$TARGET/node_modules"
