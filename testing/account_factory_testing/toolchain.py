"""The toolchain beyond the CLI that programs in other languages need: the language hosts, the SDKs
Pulumi's generators write from a schema, and the Node.js packages, each provided by a script of
scripts/ that builds it once into the cache outside the checkout.

The helpers here put a program and an SDK together as a user would (an SDK built with `tsc` and linked
into node_modules, a `replace` line in go.mod, the SDK pip-installed); `PulumiSandbox(runtime=...,
plugins=...)` then runs the program through the real CLI. See docs/toolchain.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Optional

from account_factory_testing.sandbox import REPO, PulumiSandbox

SCRIPTS = REPO / "scripts"
#: What a directory must hold, beside `pulumi`, to run YAML, TypeScript and Go programs.
LANGUAGE_HOSTS = ("pulumi-language-yaml", "pulumi-language-nodejs", "pulumi-language-go")


class ToolchainUnavailable(RuntimeError):
    """A script of scripts/ could not provide a part of the toolchain (its output says why)."""


def _script_output(script: str, *args: str, env: Optional[Mapping[str, str]] = None) -> str:
    """The last line a script of scripts/ prints on stdout (the directory it provides)."""
    done = subprocess.run([str(SCRIPTS / script), *args], capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})
    if done.returncode != 0 or not done.stdout.strip():
        raise ToolchainUnavailable(f"scripts/{script} exited with {done.returncode}:\n{done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]


def locate_toolchain(cli_dir: Path) -> tuple[Optional[Path], str]:
    """The directory holding `pulumi` (the one in CLI_DIR) and the YAML, Node.js and Go language hosts,
    or None and why not. `make test` passes such a directory as PULUMI_CLI_DIR; otherwise
    `scripts/pulumi-hosts.sh` finds or builds the hosts and lays one out."""
    if all((cli_dir / host).exists() for host in LANGUAGE_HOSTS):
        return cli_dir, ""
    try:
        return Path(_script_output("pulumi-hosts.sh", env={"PULUMI_CLI_DIR": str(cli_dir)})), ""
    except ToolchainUnavailable as error:
        return None, str(error)


def node_modules() -> Path:
    """The cached node_modules with @pulumi/pulumi (the CLI's version), typescript and @types/node."""
    return Path(_script_output("node-packages.sh"))


def sdkgen() -> Path:
    """tools/sdkgen, built on first use (scripts/sdkgen.sh --path)."""
    return Path(_script_output("sdkgen.sh", "--path"))


def generate_sdks(program: Path, schema: Path, out: Path, *,
                  languages: Iterable[str] = ("nodejs", "python", "go"), version: Optional[str] = None) -> Path:
    """What `make sdks` does, on another schema: OUT/nodejs, OUT/python, OUT/go from Pulumi's generators
    (PROGRAM: `sdkgen()`). A failure is the test's: sdkgen's own message."""
    args = ["-schema", str(schema), "-out", str(out), "-language", ",".join(languages)]
    done = subprocess.run([str(program), *args, *(["-version", version] if version else [])],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"sdkgen {' '.join(args)} exited with {done.returncode}:\n{done.stderr}")
    return out


def build_node_sdk(sdk: Path, packages: Path) -> Path:
    """Compile a generated Node.js SDK as its package.json says (`tsc`), with PACKAGES as its node_modules,
    and copy package.json into bin/ (its `getVersion()` reads it there). Returns bin/, the package."""
    link = sdk / "node_modules"
    if not link.exists():
        link.symlink_to(packages, target_is_directory=True)
    done = subprocess.run([str(packages / ".bin" / "tsc")], cwd=sdk, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"tsc failed on the generated SDK in {sdk}:\n{done.stdout}{done.stderr}")
    shutil.copyfile(sdk / "package.json", sdk / "bin" / "package.json")
    return sdk / "bin"


def install_python_sdk(sdk: Path, target: Path) -> Path:
    """pip-install a generated Python SDK (built from its pyproject.toml) into TARGET, a directory to put
    on PYTHONPATH: it must be an installed distribution, for its `_utilities` reads its own version from
    the installed metadata. Its dependencies (pulumi, parver, semver) are the virtualenv's, pinned; it is
    built in an isolated environment with constraints.txt's setuptools, as `make dist` builds ours."""
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                           str(sdk)], capture_output=True, text=True, check=False,
                          env={**os.environ, "PIP_CONSTRAINT": str(REPO / "constraints.txt")})
    if done.returncode != 0:
        raise AssertionError(f"pip could not install the generated SDK in {sdk}:\n{done.stdout}{done.stderr}")
    return target


def link_node_modules(project: Path, packages: Path, sdks: Mapping[str, Path]) -> None:
    """Give a TypeScript program a node_modules of links: every package of PACKAGES, and each SDK
    (npm name -> built package directory). Node resolves links to their real paths, so the program and
    the SDKs share one @pulumi/pulumi, as one `npm install` would give them."""
    modules = project / "node_modules"
    modules.mkdir()
    for entry in packages.iterdir():
        (modules / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for name, package in sdks.items():
        scope, _, _ = name.rpartition("/")
        if scope:
            _own_directory(modules / scope)
        (modules / name).symlink_to(package, target_is_directory=True)


def _own_directory(path: Path) -> None:
    """Turn a linked directory into one of our own holding links to its entries (so that more can be added)."""
    if path.is_symlink():
        target = path.resolve()
        path.unlink()
        path.mkdir()
        for entry in target.iterdir():
            (path / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    else:
        path.mkdir(exist_ok=True)


def replace_go_module(project: Path, module: str, sdk: Path) -> None:
    """Point a Go program's requirement of MODULE at a generated SDK (`go mod edit -replace`), as a user
    of an unpublished SDK does."""
    subprocess.run(["go", "mod", "edit", "-replace", f"{module}={sdk}"], cwd=project, check=True)


def configure_native_plugin(sandbox: PulumiSandbox, endpoint: str, *, access_key_id: str, secret: str) -> None:
    """Point the native plugin at ENDPOINT in its own namespace (it reads no `alicloud:*` key), with the
    key pair as secrets, as a user would set them."""
    namespace = "alicloud-account-factory"
    sandbox.set_configs({f"{namespace}:region": "cn-hangzhou", f"{namespace}:endpoint": endpoint},
                        {f"{namespace}:accessKey": access_key_id, f"{namespace}:secretKey": secret})
