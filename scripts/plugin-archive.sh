#!/bin/sh
# The native plugin as an archive that `pulumi plugin install resource alicloud-account-factory
# <version> --file <archive>` installs (make plugin; docs/native-plugin.md): the launcher at the
# archive's root, this package's code in lib/ beside it. The Python that runs it brings the
# dependencies (PULUMI_PYTHON_CMD, or python3 from PATH: one where `pip install alicloud-account-factory`
# was run). Prints the archive's path. Usage: scripts/plugin-archive.sh [OUT_DIR] (default dist/).
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/dist}"
version="$(sed -n 's/^__version__ = "\([^"]*\)".*/\1/p' "$root/provider/alicloud_account_factory/core/version.py")"
[ -n "$version" ] || { echo "plugin-archive: no __version__ in provider/alicloud_account_factory/core/version.py" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/lib" "$out"
cp "$root/plugin/pulumi-resource-alicloud-account-factory" "$root/LICENSE" "$work/"
chmod 0755 "$work/pulumi-resource-alicloud-account-factory"
(cd "$root/provider" && tar cf - --exclude=__pycache__ --exclude='*.pyc' alicloud_account_factory) | (cd "$work/lib" && tar xf -)
archive="$out/pulumi-resource-alicloud-account-factory-v$version.tar.gz"
tar czf "$archive.tmp" -C "$work" .
mv "$archive.tmp" "$archive"
echo "$archive"
