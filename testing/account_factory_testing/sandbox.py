"""The real `pulumi` CLI, run on a program in a sandbox of its own, against the emulator.

Each `PulumiSandbox` has its own PULUMI_HOME, file backend and stack in a temp dir, and runs
`pulumi` with `--non-interactive`, offline (no update check, no plugin downloads). Nothing here
plays a Pulumi component: the engine, the language host and the provider server are the real
ones that `make pulumi` provides.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import yaml  # type: ignore[import-untyped]  # no stubs in the suite's environment

REPO = Path(__file__).resolve().parents[2]
#: The programs of the end-to-end suite (the engine benchmark runs `accounts` too).
PROGRAMS = REPO / "tests" / "e2e" / "programs"
EXAMPLES = REPO / "examples"
PASSPHRASE = "e2e-test-passphrase"
STACK = "e2e"
#: Variables of the caller that must not reach the CLI: proxies (the SDK ignores NO_PROXY),
#: real credentials and another Pulumi setup.
_DROPPED_PREFIXES = ("ALIBABA_CLOUD_", "ALICLOUD_", "PULUMI_")
_DROPPED = {"http_proxy", "https_proxy", "all_proxy"}
#: Config keys whose plain values `pulumi config set` refuses when they look like a secret (its looksLikeSecret).
SECRET_LOOKING_KEY = re.compile(r"passwd|pass|password|pwd|secret|token", re.IGNORECASE)


class ConfigText(str):
    """A config value to write double-quoted: PyYAML (YAML 1.1) leaves `1e3`, `0o17` or `2024-1-2` plain,
    which the CLI's YAML 1.2 reader takes for a number or a date; `pulumi config set` quotes them."""


class ConfigDumper(yaml.SafeDumper):  # type: ignore[misc]  # yaml has no stubs here
    """The stack's config file as the CLI would read back each value: ConfigText double-quoted, keys plain."""


ConfigDumper.add_representer(
    ConfigText, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", str(text), style='"'))

#: The stacks `pulumi stack init` made in this process, by (CLI, project, stack, passphrase): what a
#: new sandbox's stack is copied from (PulumiSandbox._copy_a_new_stack).
_NEW_STACKS: dict[tuple[str, str, str, str], Path] = {}


def locate_cli() -> tuple[Optional[Path], str]:
    """The directory of `pulumi` and its Python language host, or None and why not.

    `make test` passes it as PULUMI_CLI_DIR; otherwise `scripts/pulumi-cli.sh` finds or builds it.
    """
    given = os.environ.get("PULUMI_CLI_DIR")
    if given and (Path(given) / "pulumi").exists():
        return Path(given), ""
    script = subprocess.run([str(REPO / "scripts" / "pulumi-cli.sh")], capture_output=True, text=True, check=False)
    if script.returncode == 0 and script.stdout.strip():
        return Path(script.stdout.strip().splitlines()[-1]), ""
    return None, script.stderr.strip() or f"scripts/pulumi-cli.sh exited with {script.returncode}"


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return f"$ pulumi {' '.join(self.args)} -> {self.returncode}\n{self.output}"


def project_manifest(project: str, runtime: str, plugins: Mapping[str, Path]) -> str:
    """The Pulumi.yaml a sandbox writes for a program (a YAML program's resources live in its Main.yaml)."""
    if runtime == "python":
        # An absolute virtualenv: the dynamic provider's launcher resolves a relative one against the
        # program directory. The program itself runs with `python3` from PATH (.venv/bin first).
        text = (f"name: {project}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n"
                f"    virtualenv: {sys.prefix}\n")
    else:
        text = f"name: {project}\nruntime: {runtime}\n"
    if plugins:
        text += "plugins:\n  providers:\n" + "".join(
            f"    - name: {name}\n      path: {path}\n" for name, path in sorted(plugins.items()))
    return text


class PulumiSandbox:
    """A project directory, a stack and a backend of their own; `pulumi(...)` runs the CLI there."""

    def __init__(self, root: Path, cli_dir: Path, program: Path, *, project: str = "e2e-accounts",
                 stack: str = STACK, provider_state: Optional[Path] = None, backend: Optional[Path] = None,
                 runtime: str = "python", plugins: Optional[Mapping[str, Path]] = None,
                 env: Optional[Mapping[str, str]] = None) -> None:
        """`provider_state`: the provider's record of EnrollAccount attempts (journal.py), shared by the
        sandboxes of one test as by the stacks of one machine; a directory of this sandbox's own if None.
        `backend`: another sandbox's, for stacks that read each other (StackReference); its own if None.

        `runtime`: the program's language (python, yaml, nodejs, go; CLI_DIR must hold its host,
        toolchain.locate_toolchain). `plugins`: resource plugins by name -> the directory of their
        `pulumi-resource-<name>` executable (Pulumi.yaml `plugins: providers:`). `env`: more variables
        for the CLI and what it starts (e.g. PYTHONPATH for an SDK that is not installed)."""
        self.root = root
        self.cli = cli_dir / "pulumi"
        self.stack = stack
        self.project = project
        self.project_dir = root / "project"
        self.home = root / "pulumi-home"
        self.backend = backend or root / "backend"
        for directory in (self.home, self.backend):
            directory.mkdir(parents=True, exist_ok=directory == backend)
        shutil.copytree(program, self.project_dir, ignore=shutil.ignore_patterns("Pulumi*.yaml", "__pycache__"))
        (self.project_dir / "Pulumi.yaml").write_text(project_manifest(project, runtime, plugins or {}))
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(_DROPPED_PREFIXES) and k.lower() not in _DROPPED}
        self.env = {
            **base,
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), str(cli_dir), base.get("PATH", "/usr/bin:/bin")]),
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": self.backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "ALICLOUD_ACCOUNT_FACTORY_STATE_DIR": str(provider_state or root / "provider-state"),
            **(env or {}),
        }
        if backend is None and not any(k.startswith("PULUMI_") for k in env or {}):
            self._copy_a_new_stack()
        else:  # a backend other stacks live in (the CLI adds this one to it), or Pulumi settings of its own
            self.pulumi("stack", "init", stack, stack_flag=False)

    def _copy_a_new_stack(self) -> None:
        """`pulumi stack init` into this sandbox's own backend, as a copy of what the real command wrote for
        the same project and stack in a scratch sandbox of this process (its backend files and the stack's
        config file with its encryption salt): a new stack costs a file copy instead of a CLI start."""
        key = (str(self.cli), self.project, self.stack, self.env.get("PULUMI_CONFIG_PASSPHRASE", ""))
        template = _NEW_STACKS.get(key)
        if template is None:
            template = Path(tempfile.mkdtemp(prefix="new-stack-"))
            atexit.register(shutil.rmtree, template, ignore_errors=True)
            (template / "project").mkdir()
            shutil.copy(self.project_dir / "Pulumi.yaml", template / "project" / "Pulumi.yaml")
            env = {**self.env, "PULUMI_HOME": str(template / "pulumi-home"),
                   "PULUMI_BACKEND_URL": (template / "backend").as_uri()}
            (template / "backend").mkdir()
            done = subprocess.run([str(self.cli), "stack", "init", self.stack, "--non-interactive"],
                                  cwd=template / "project", env=env, capture_output=True, text=True, timeout=240)
            assert done.returncode == 0, f"pulumi stack init {self.stack}: {done.stdout}{done.stderr}"
            _NEW_STACKS[key] = template
        shutil.copytree(template / "backend", self.backend, dirs_exist_ok=True)
        shutil.copy(template / "project" / f"Pulumi.{self.stack}.yaml", self.project_dir)

    # --- running the CLI -----------------------------------------------------------------

    def command(self, *args: str, stack_flag: bool = True) -> list[str]:
        flags = [*(("--stack", self.stack) if stack_flag else ()), "--non-interactive"]
        end = args.index("--") if "--" in args else len(args)  # flags go before `--`
        return [str(self.cli), *args[:end], *flags, *args[end:]]

    def pulumi(self, *args: str, check: bool = True, timeout: float = 240, stack_flag: bool = True) -> Run:
        """Run `pulumi ARGS --stack S --non-interactive`; `check` asserts exit 0 and shows the output if not."""
        done = subprocess.run(self.command(*args, stack_flag=stack_flag), cwd=self.project_dir, env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=False)
        run = Run(list(args), done.returncode, done.stdout, done.stderr)
        assert not check or run.returncode == 0, str(run)
        return run

    def start(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """Start `pulumi ARGS` in a process group of its own (as a terminal would), output into `log`."""
        with open(log, "wb") as sink:
            return subprocess.Popen(self.command(*args), cwd=self.project_dir, env=self.env, stdout=sink,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    @staticmethod
    def signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
        os.killpg(process.pid, signum)

    # --- conveniences ----------------------------------------------------------------------

    def set_config(self, key: str, value: Any, *, secret: bool = False) -> None:
        self.set_configs({} if secret else {key: value}, {key: value} if secret else {})

    def set_configs(self, plain: Mapping[str, Any], secret: Mapping[str, Any] = {}) -> None:  # noqa: B006 - read only
        """Config values as `pulumi config set KEY VALUE` stores them (a value that is not a string as its
        JSON text). Plain ones are written into the stack's config file, as a user may edit it by hand,
        and secret ones are encrypted by one `pulumi config set-all --secret` (each CLI start costs half
        a second of CPU, the passphrase's key derivation included, and the suite sets up hundreds of
        stacks). A plain value under a key the CLI checks for secrets (`token`, `password`, ...) still goes
        through `pulumi config set`, which refuses one that looks like a secret."""
        def spelled(value: Any) -> str:
            return value if isinstance(value, str) else json.dumps(value)

        checked = {k: v for k, v in plain.items() if SECRET_LOOKING_KEY.search(k.rpartition(":")[2])}
        for key, value in checked.items():
            self.pulumi("config", "set", key, "--", spelled(value))
        written = {self.qualified(k): spelled(v) for k, v in plain.items() if k not in checked}
        if written:
            path = self.project_dir / f"Pulumi.{self.stack}.yaml"
            document = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None) or {}
            values = {**(document.get("config") or {}), **written}
            document["config"] = {k: ConfigText(v) if isinstance(v, str) else v for k, v in values.items()}
            path.write_text(yaml.dump(document, Dumper=ConfigDumper, default_flow_style=False, sort_keys=False,
                                      allow_unicode=True, width=1 << 30), encoding="utf-8")
        if secret:
            self.pulumi("config", "set-all", *(part for k, v in secret.items() for part in ("--secret", f"{k}={spelled(v)}")))

    def qualified(self, key: str) -> str:
        """A config key as the CLI stores it: `project:key` unless it names its namespace."""
        return key if ":" in key else f"{self.project}:{key}"

    def set_accounts(self, accounts: Mapping[str, Mapping[str, Any]]) -> None:
        """The `accounts` config of the programs/accounts program."""
        self.set_config("accounts", dict(accounts))

    def up(self, *extra: str, check: bool = True) -> Run:
        return self.pulumi("up", "--yes", "--skip-preview", *extra, check=check)

    def preview_json(self, *extra: str) -> dict[str, Any]:
        run = self.pulumi("preview", "--json", *extra)
        return dict(json.loads(run.stdout))

    def outputs(self) -> dict[str, Any]:
        """What `pulumi stack output --json --show-secrets` prints: the stack's outputs as the engine last
        wrote them, read from the checkpoint unless one is a secret or another special value (decrypting
        and rendering those is the CLI's: it is asked then)."""
        deployment = self.export()["deployment"] or {}
        stacks = [r for r in deployment.get("resources") or [] if r["type"] == "pulumi:pulumi:Stack"]
        if len(stacks) == 1 and not holds_special_value(stacks[0].get("outputs") or {}):
            return dict(stacks[0].get("outputs") or {})
        return dict(json.loads(self.pulumi("stack", "output", "--json", "--show-secrets").stdout))

    def export(self) -> dict[str, Any]:
        """What `pulumi stack export` shows: the deployment the engine last wrote into the file backend,
        read from its file (`stack export` is a CLI start just to print it). Anything but a plain version-3
        checkpoint (compressed, older, with features) is left to the CLI."""
        checkpoint = self.backend / ".pulumi" / "stacks" / self.project / f"{self.stack}.json"
        compressed = [checkpoint.with_name(checkpoint.name + suffix) for suffix in (".gz", ".zst")]
        stored = json.loads(checkpoint.read_text(encoding="utf-8")) if checkpoint.exists() else {}
        if stored.get("version") != 3 or "features" in stored or any(p.exists() for p in compressed):
            return dict(json.loads(self.pulumi("stack", "export").stdout))
        return {"version": 3, "deployment": stored["checkpoint"].get("latest")}

    def resources(self, type_suffix: str = ":EnrolledAccount") -> list[dict[str, Any]]:
        """The stack's resources of a type, as `pulumi stack export` has them."""
        deployment = self.export()["deployment"] or {}
        return [r for r in deployment.get("resources") or [] if r["type"].endswith(type_suffix)]

    def rename_stack(self, stack: str) -> None:
        """`pulumi stack rename STACK`: the same state under the new name (the CLI rewrites the URNs in
        it and renames the stack's config file)."""
        self.pulumi("stack", "rename", stack)
        self.stack = stack

    def rename_project(self, project: str) -> None:
        """Rename the project as a user does on a project-scoped file backend: move the stack into the
        new project (`pulumi stack rename organization/PROJECT/STACK`, the same state), then rename the
        project in Pulumi.yaml and the namespace of the stack's own config keys."""
        self.pulumi("stack", "rename", f"organization/{project}/{self.stack}")
        manifest = self.project_dir / "Pulumi.yaml"
        manifest.write_text(manifest.read_text().replace(f"name: {self.project}\n", f"name: {project}\n", 1))
        config = self.project_dir / f"Pulumi.{self.stack}.yaml"
        config.write_text(re.sub(rf"^(\s+){re.escape(self.project)}:", rf"\g<1>{project}:", config.read_text(),
                                 flags=re.MULTILINE))
        self.project = project

    def files_text(self) -> str:
        """Everything the CLI wrote: state, backups, history, logs, config (for secret scans)."""
        chunks = []
        for base in (self.backend, self.home, self.project_dir):
            for path in base.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts:
                    chunks.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(chunks)


#: What the e2e suite's `sandbox_for` fixture is: (program, credentials=..., **config) -> a PulumiSandbox.
SandboxFactory = Callable[..., PulumiSandbox]


#: The key that marks a special value in Pulumi's state: a secret, an asset, an archive, a resource reference.
SPECIAL_VALUE_SIGNATURE = "4dabf18193072939515e22adb298388d"


def holds_special_value(value: Any) -> bool:
    """Whether a value from the state holds a secret or another special value anywhere inside."""
    if isinstance(value, Mapping):
        return SPECIAL_VALUE_SIGNATURE in value or any(holds_special_value(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_special_value(v) for v in value)
    return False

def steps(preview: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`pulumi preview --json` steps by resource name (the URN's last part), resources of ours only."""
    found = {}
    for step in preview.get("steps") or []:
        urn = step.get("urn", "")
        if "EnrolledAccount" in urn:
            found[urn.rsplit("::", 1)[-1]] = step
    return found


def diagnostics_of(output: str, resource: str) -> list[str]:
    """The lines of a resource's block in the Diagnostics section of a run's output (its header left
    out, indentation kept): what a user reads first about its failure."""
    lines = output.splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith("  ") and line.rstrip().endswith(f" ({resource}):")
                  and not line.startswith("   ")), None)
    assert start is not None, f"no diagnostics for {resource}:\n{output}"
    block = []
    for line in lines[start + 1:]:
        if line.strip() and not line.startswith("    "):
            break  # the next resource's header, or the next section
        block.append(line)
    while block and not block[-1].strip():
        block.pop()
    return block


# --- interrupted runs ------------------------------------------------------------------------


def wait_for_output(process: subprocess.Popen[bytes], log: Path, pattern: str, *,
                    timeout: float = 120) -> re.Match[str]:
    """Wait until the output of a `start`ed CLI run (written to `log` as it goes) matches `pattern`.

    Fails when the run ends without saying it, or when `timeout` passes (a bound for a run that never
    says it at all, not an expected duration)."""
    wanted = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while True:
        ended = process.poll() is not None  # read after: a run that ends right after saying it still counts
        found = wanted.search(log.read_text(errors="replace"))
        if found:
            return found
        assert not ended, f"the run ended without output matching {pattern!r}:\n{log.read_text(errors='replace')}"
        assert time.monotonic() < deadline, (f"no output matching {pattern!r} within {timeout} s:\n"
                                             f"{log.read_text(errors='replace')}")
        time.sleep(0.1)


def stop_run(sandbox: PulumiSandbox, process: subprocess.Popen[bytes]) -> None:
    """Kill a `start`ed run that is still going, and the provider processes it left (a test that failed
    while the run hung must not leave them behind)."""
    if process.poll() is None:
        sandbox.signal_group(process, signal.SIGKILL)
        process.wait(timeout=30)
    for pid in providers_left_by(sandbox):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_up_and_wait_for_an_enrollment(sandbox: PulumiSandbox, emulator: Any, log: Path,
                                        accounts: Mapping[str, Mapping[str, Any]]) -> subprocess.Popen[bytes]:
    """`pulumi up` of these accounts in the background, returned once the emulator holds an enrollment."""
    sandbox.set_accounts(accounts)
    process = sandbox.start("up", "--yes", "--skip-preview", log=log)
    deadline = time.monotonic() + 60
    while not emulator.state()["accounts"]:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the create never enrolled the account"
        time.sleep(0.1)
    return process


def providers_left_by(sandbox: PulumiSandbox) -> list[int]:
    """Provider processes started for this sandbox that still run (plugins run in process groups of their own)."""
    return processes_left_by(sandbox, b"pulumi.dynamic")


def processes_left_by(sandbox: PulumiSandbox, command: bytes = b"") -> list[int]:
    """Processes started for this sandbox (its PULUMI_HOME) that still run, whose command line holds `command`."""
    marker = f"PULUMI_HOME={sandbox.home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (marker in (entry / "environ").read_bytes().split(b"\0")
                        and command in (entry / "cmdline").read_bytes()):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def end_processes_left_by(sandbox: PulumiSandbox) -> None:
    """Kill what a killed `pulumi up` left running for this sandbox (its language host outlives it
    in a process group of its own), so that no test run leaves processes behind."""
    for pid in processes_left_by(sandbox):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue


def kill_up_while_enrolling(sandbox: PulumiSandbox, emulator: Any, log: Path,
                            accounts: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """kill -9 the `pulumi up` process group while a create waits, as a cancelled CI job does.

    Asserts that the orphaned provider process ends by itself (lifeline.py) instead of polling on for
    nobody; returns the accounts the emulator holds then.
    """
    process = start_up_and_wait_for_an_enrollment(sandbox, emulator, log, accounts)
    sandbox.signal_group(process, signal.SIGKILL)
    process.wait(timeout=30)
    orphans = providers_left_by(sandbox)
    assert orphans, "the provider process should have outlived the killed CLI (it runs in a group of its own)"
    deadline = time.monotonic() + 120  # it ends within about 15 s (lifeline.py); this bound only catches a hang
    while orphans and time.monotonic() < deadline:
        time.sleep(0.5)
        orphans = providers_left_by(sandbox)
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    assert orphans == [], "the provider process outlived its engine by more than 120 s"
    return list(emulator.state()["accounts"])
