"""Each example as a user meets it: copied out of the repository and run with the commands of its
README's "Run it" block, as written, through the real CLI against the emulator the block starts.

The package comes from the wheel `make dist` builds: `pip install -r requirements.txt` finds it
through PIP_FIND_LINKS (as it will find it on the package index once published), with
constraints.txt's versions of everything else. One virtualenv, made by the quickstart block's own
first commands, serves every example (their requirements are the package and Pulumi, or Pulumi
alone): each example's `python3 -m venv venv` links to it instead, and its `pip install -r
requirements.txt` then runs in it as written, installing whatever it would lack.
Two things are changed, so that runs never collide nor touch the machine's own Pulumi setup: the
emulator's port (a free one instead of 18790), and `pulumi login --local`, which logs in to a
directory of the test's own instead (Pulumi finds `~` from the user database, not from HOME).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from account_factory_testing.sandbox import EXAMPLES, REPO
from alicloud_account_factory.emulator import EmulatorAdmin
from tests.packaging.packaging_support import build_dists

#: Bounds only a hang reaches: the first test's set-up builds the wheel and a virtualenv with pip and
#: runs the quickstart, minutes on a busy 2-core machine (over 300 s once, with four other suites on it).
pytestmark = pytest.mark.timeout(1800)
BLOCK_SECONDS = 900

#: The examples a user runs with the Pulumi CLI, and the Automation API one (a script of its own).
CLI_EXAMPLES = ("quickstart", "existing-account", "downstream", "baseline-and-accounts", "stack-reference")
ALL_EXAMPLES = (*CLI_EXAMPLES, "automation")
#: The port the READMEs give the emulator.
README_PORT = "18790"
MAKE_VENV = "python3 -m venv venv"
LOGIN_LOCAL = "pulumi login --local"
RUN_BLOCK = re.compile(r"^## Run it\n.*?```console\n(?P<block>.*?)```", re.S | re.M)
ACCOUNT_ID = re.compile(r"[0-9]{15,16}")


def run_commands(readme: Path) -> list[str]:
    """The commands of a README's "Run it" block: its `$ ` lines, as a user would type them."""
    found = RUN_BLOCK.search(readme.read_text())
    assert found, f"{readme} has no '## Run it' section with a console block"
    return [line[2:] for line in found["block"].splitlines() if line.startswith("$ ")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ExampleRun:
    """An example's copy after its block ran: what it printed, and the accounts its emulator held."""

    directory: Path
    output: str
    accounts: list[dict[str, Any]]
    environment: dict[str, str]

    def pulumi(self, *args: str) -> Any:
        done = subprocess.run(["pulumi", *args], cwd=self.directory, env=self.environment, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout) if "--json" in args else done.stdout

    def outputs(self) -> dict[str, Any]:
        return dict(self.pulumi("stack", "output", "--json", "--show-secrets"))


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel (and sdist) as `make dist` builds them."""
    out = tmp_path_factory.mktemp("dist")
    build_dists(out)
    return out


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory, wheel_dir: Path, pulumi_cli: Path) -> dict[str, str]:
    """A user's shell: a home of its own (`pulumi login --local` keeps the stacks there), the Pulumi CLI
    and the system's python3 on PATH, and nothing of the repository's virtualenv; what a user types
    at prompts (passphrase, confirmation) given by variables; no proxy (the Alibaba SDK ignores NO_PROXY)."""
    home = tmp_path_factory.mktemp("home")
    (home / "backend").mkdir()
    kept = {k: v for k, v in os.environ.items()
            if not k.startswith(("PULUMI_", "ALIBABA_CLOUD_", "ALICLOUD_", "VIRTUAL_ENV", "PYTHON"))
            and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "path", "home")}
    return {
        **kept,
        "HOME": str(home),
        "PULUMI_HOME": str(home / ".pulumi"),
        "PATH": os.pathsep.join([str(pulumi_cli), str(Path(sys.base_prefix) / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        "PULUMI_CONFIG_PASSPHRASE": "examples-from-a-copy",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "ALICLOUD_ACCOUNT_FACTORY_STATE_DIR": str(home / "provider-state"),
        "PIP_FIND_LINKS": " ".join(filter(None, [str(wheel_dir), os.environ.get("PIP_FIND_LINKS")])),
        "PIP_CONSTRAINT": str(REPO / "constraints.txt"),
    }


def test_every_example_has_its_instructions_requirements_and_no_path_into_the_repository() -> None:
    assert sorted(ALL_EXAMPLES) == sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and p.name != "__pycache__")
    for name in ALL_EXAMPLES:
        example = EXAMPLES / name
        commands = run_commands(example / "README.md")
        assert MAKE_VENV in commands and "venv/bin/pip install -r requirements.txt" in commands, name
        assert LOGIN_LOCAL in commands, name  # the one login the test knows to keep in its own directory
        assert "pulumi" in (example / "requirements.txt").read_text(), name
        project = example / "Pulumi.yaml"
        if project.exists():
            assert "../" not in project.read_text(), f"{project} points into the repository"
            assert "virtualenv: venv" in project.read_text(), project


@pytest.fixture(scope="module")
def shared_venv(tmp_path_factory: pytest.TempPathFactory, environment: dict[str, str]) -> Path:
    """The quickstart block's own commands up to its `pip install`, run once: the virtualenv every
    example shares."""
    home = tmp_path_factory.mktemp("shared")
    shutil.copy(EXAMPLES / "quickstart" / "requirements.txt", home)
    commands = run_commands(EXAMPLES / "quickstart" / "README.md")
    setup = commands[:commands.index("venv/bin/pip install -r requirements.txt") + 1]
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(setup)], cwd=home, env=environment,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return home / "venv"


def run_example(name: str, root: Path, venv: Path, environment: dict[str, str]) -> ExampleRun:
    """Copy the example to `root` and run its block there (its emulator ends when the block has run)."""
    directory = root / name
    shutil.copytree(EXAMPLES / name, directory, ignore=shutil.ignore_patterns("__pycache__", "venv"))
    port = str(free_port())
    backend = (Path(environment["HOME"]) / "backend").as_uri()
    replaced = {MAKE_VENV: f"ln -s {venv} venv", LOGIN_LOCAL: f"pulumi login {backend}"}
    script = "\n".join(replaced.get(command, command.replace(README_PORT, port))
                       for command in run_commands(directory / "README.md"))
    log = root / f"{name}.log"  # a file, not a pipe: the emulator in the background would hold a pipe open
    with open(log, "w") as sink:
        block = subprocess.Popen(["bash", "-eo", "pipefail", "-c", script], cwd=directory, env=environment,
                                 stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        block.wait(timeout=BLOCK_SECONDS)
        output = log.read_text()
        assert block.returncode == 0, f"{name}'s instructions failed:\n{script}\n---\n{output[-6000:]}"
        return ExampleRun(directory, output, _accounts(f"http://127.0.0.1:{port}"), environment)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(block.pid, signal.SIGTERM)  # the emulator the block started in the background
        block.wait(timeout=30)


def _accounts(endpoint: str) -> list[dict[str, Any]]:
    try:
        return list(EmulatorAdmin(endpoint).state()["accounts"])
    except OSError:
        return []  # an example without an emulator of its own


#: The examples whose blocks run one after the other; the groups run side by side (they mostly wait
#: for enrollments, each against an emulator of its own), stack-reference after the stack it reads.
RUN_GROUPS = (("quickstart",), ("existing-account",), ("downstream", "stack-reference"),
              ("baseline-and-accounts",), ("automation",))


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, shared_venv: Path,
            environment: dict[str, str]) -> Iterator[Callable[[str], ExampleRun]]:
    """example(name) -> its run; every example is run once, when the first test asks for one."""
    root = tmp_path_factory.mktemp("copies")

    def run_group(names: tuple[str, ...]) -> dict[str, ExampleRun]:
        return {name: run_example(name, root, shared_venv, environment) for name in names}

    with ThreadPoolExecutor(max_workers=3) as pool:
        groups = {names: pool.submit(run_group, names) for names in RUN_GROUPS}
        yield lambda name: next(run.result()[name] for names, run in groups.items() if name in names)


def test_quickstart_from_a_copy(example: Callable[[str], ExampleRun]) -> None:
    run = example("quickstart")
    outputs = run.outputs()
    assert outputs["status"] == "Finished" and ACCOUNT_ID.fullmatch(outputs["account_id"])
    assert [a["AccountUid"] for a in run.accounts] == [int(outputs["account_id"])]


def test_existing_account_from_a_copy(example: Callable[[str], ExampleRun]) -> None:
    outputs = example("existing-account").outputs()
    assert outputs["account_id"] == "1207465839102347" and outputs["status"] == "Finished"


def test_downstream_from_a_copy(example: Callable[[str], ExampleRun]) -> None:
    run = example("downstream")
    accounts = run.outputs()["accounts"]
    assert set(accounts) == {"shared", "orders", "search"}
    assert sorted(accounts.values()) == sorted(str(a["AccountUid"]) for a in run.accounts)


def test_stack_reference_from_a_copy(example: Callable[[str], ExampleRun]) -> None:
    accounts = example("downstream").outputs()["accounts"]
    arns = example("stack-reference").outputs()["admin_role_arns"]
    assert arns == {name: f"acs:ram::{account_id}:role/admin" for name, account_id in accounts.items()}


def test_baseline_and_accounts_from_a_copy(example: Callable[[str], ExampleRun]) -> None:
    outputs = example("baseline-and-accounts").outputs()
    assert set(outputs["statuses"].values()) == {"Finished"} and len(outputs["accounts"]) == 3


def test_automation_streams_the_provider_progress_live(example: Callable[[str], ExampleRun]) -> None:
    """The script prints the engine's events as they come: the provider's progress lines (ephemeral
    diagnostics) arrive while the account is being created, before the engine reports it created."""
    run = example("automation")
    lines = run.output.splitlines()
    created = next(i for i, line in enumerate(lines) if re.search(r"created .*EnrolledAccount team-a", line))
    progress = [i for i, line in enumerate(lines) if re.search(r"\[\d/\d\] ACS-BP_ACCOUNT_FACTORY_\w+: Running", line)]
    assert progress and max(progress) < created, run.output
    [account] = run.accounts
    assert f"account_id: {account['AccountUid']}" in lines, run.output
