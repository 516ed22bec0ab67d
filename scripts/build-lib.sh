# Shared by the scripts that build Go programs into the cache outside the checkout
# (pulumi-cli.sh, pulumi-hosts.sh, sdkgen.sh) and node-packages.sh. Sourced, never run.
#
# A build happens in a work directory inside the cache and becomes visible only by one rename of
# the finished directory (`publish`), so that concurrent runs and interrupted builds never leave a
# half-finished result where another run would take it for a complete one.
# The sourcing script sets SCRIPT_NAME (how its messages start) and INSTALL_HINT (what to do instead).

CACHE_ROOT="${ALICLOUD_ACCOUNT_FACTORY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/alicloud-account-factory}"
# As Pulumi's official builds: static, no VCS stamping; the -X sets what `version` prints (without
# it the CLI prints nothing and the Automation API refuses it).
BUILD_FLAGS=(-trimpath -tags osusergo,grpcnotrace)
LDFLAGS_VERSION="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

say() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
fail() { say "FAILED: $*"; [ -z "${INSTALL_HINT:-}" ] || say "$INSTALL_HINT"; exit 1; }

# A fresh work directory beside TARGET (same file system, so that publish is one rename); removed on exit.
# Sets WORK and LOG.
start_work() {
    local target="$1"
    mkdir -p "$(dirname "$target")"
    WORK="$(mktemp -d "$(dirname "$target")/.building-$(basename "$target").XXXXXX")"
    trap 'rm -rf "$WORK"' EXIT
    LOG="$WORK/build.log"
    : >"$LOG"
}

# Runs one step in DIR, its output into the log; on failure shows the log's end and the cause.
step() {
    local what="$1" dir="$2"
    shift 2
    say "$what"
    if ! (cd "$dir" && "$@") >>"$LOG" 2>&1; then
        tail -n 25 "$LOG" >&2
        if grep -qE '403 Forbidden|404 Not Found|not available|unknown revision|invalid version' "$LOG"; then
            fail "the Go module proxy refused a module (see the lines above)."
        fi
        fail "'$*' failed (see the lines above)."
    fi
}

# A Go module of our own, so that the replace lines of the modules it requires do not apply.
wrapper_module() {
    mkdir -p "$1" && printf 'module local/%s\n\ngo 1.25\n' "$(basename "$1")" >"$1/go.mod"
}

# Builds a language host that an older release kept inside the tagged sdk/v3 module (PACKAGE, a path in
# it) into $WORK/bin/PROGRAM, stamped with that release's version. The hosts Pulumi ships now are
# modules of their own that are never tagged, which the module proxy here refuses.
build_sdk_host() {
    local label="$1" program="$2" sdk_version="$3" package="$4"
    wrapper_module "$WORK/$program"
    step "$label building $program from github.com/pulumi/pulumi/sdk/v3@v$sdk_version" "$WORK/$program" \
        env GOFLAGS="-mod=mod -buildvcs=false" go get "github.com/pulumi/pulumi/sdk/v3@v$sdk_version"
    step "      compiling $program" "$WORK/$program" \
        env GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build "${BUILD_FLAGS[@]}" \
        -ldflags "-s -w $LDFLAGS_VERSION=v$sdk_version" -o "$WORK/bin/$program" "github.com/pulumi/pulumi/sdk/v3/$package"
}

# Moves the finished directory BUILT to TARGET in one rename. If another run published first, its
# result stays (and IS_COMPLETE, a command given the directory, must accept it).
publish() {
    local built="$1" target="$2" is_complete="$3"
    if ! mv -T "$built" "$target" 2>/dev/null; then
        "$is_complete" "$target" || fail "could not move the build into $target."
        say "another build finished first; using it"
    fi
}
