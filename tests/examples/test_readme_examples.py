"""The programs README.md shows, one per resource, run as written: played by the engine harness
against the emulator, preview touches nothing, `up` enrolls every account to Finished with what
the program says, and a second preview changes nothing; and each passes `mypy --strict`, as the
examples/ programs do.

Why: the README's examples are what a newcomer copies first; one that no longer runs (an argument
renamed, a config the service refuses) must fail here, not in their first `pulumi up`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from account_factory_testing.accounts import provider_config
from account_factory_testing.provider_server import ProviderServer
from account_factory_testing.sandbox import REPO
from account_factory_testing.stack import StackHarness
from alicloud_account_factory.emulator import Emulator

#: A ```python block of a section: the section's heading, then the block.
SECTION = re.compile(r"^## (?P<heading>.+?)\n(?P<body>.*?)(?=^## |\Z)", re.M | re.S)
CODE = re.compile(r"^```python\n(?P<code>.*?)^```$", re.M | re.S)


def readme_programs() -> dict[str, str]:
    """Each README section's Python program, by the section's heading."""
    programs = {}
    for section in SECTION.finditer((REPO / "README.md").read_text(encoding="utf-8")):
        blocks = CODE.findall(section["body"])
        assert len(blocks) <= 1, f"README section {section['heading']!r} has {len(blocks)} programs: one at most"
        if blocks:
            programs[section["heading"].strip("`")] = blocks[0]
    return programs


@pytest.fixture(scope="module")
def enroll_seconds() -> float:
    return 1.0


def run(program: str, tmp_path: Path, emulator: Emulator,
        start_provider: Callable[..., ProviderServer]) -> StackHarness:
    emulator.reset()
    (tmp_path / "__main__.py").write_text(program, encoding="utf-8")
    stack = StackHarness(tmp_path / "__main__.py", start_provider(), project="readme", stack="dev",
                         config=provider_config(emulator.endpoint))
    assert set(stack.preview().steps.values()) == {"create"}
    assert emulator.state()["calls"] == {}, "preview called the API"
    stack.up()
    return stack


def test_the_readme_has_one_program_per_resource() -> None:
    assert set(readme_programs()) == {"EnrolledAccount", "AccountFactoryBaseline"}


def test_the_enrolled_account_example(tmp_path: Path, emulator: Emulator,
                                      start_provider: Callable[..., ProviderServer]) -> None:
    stack = run(readme_programs()["EnrolledAccount"], tmp_path, emulator, start_provider)
    outputs = stack.stack_outputs
    assert outputs["status"] == "Finished" and outputs["progress"]
    [account] = emulator.state()["accounts"]
    assert str(account["AccountUid"]) == outputs["account_id"] and account["FolderId"] == "fd-Workload01"
    items = {item["Name"]: item for item in account["BaselineItems"]}
    assert items["ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN"]["Skip"] is True
    assert "10.0.0.0/16" in items["ACS-BP_ACCOUNT_FACTORY_VPC"]["Config"]
    assert set(stack.preview().steps.values()) == {"same"}


def test_the_account_factory_baseline_example(tmp_path: Path, emulator: Emulator,
                                              start_provider: Callable[..., ProviderServer]) -> None:
    stack = run(readme_programs()["AccountFactoryBaseline"], tmp_path, emulator, start_provider)
    state = emulator.state()
    [baseline] = [b for b in state["baselines"] if b["BaselineName"] == "team-network"]
    assert {item["Name"]: item["Version"] for item in baseline["BaselineItems"]}["ACS-BP_ACCOUNT_FACTORY_VPC"] == "1.1"
    accounts = {a["DisplayName"]: a for a in state["accounts"]}
    assert set(accounts) == {"Team A", "Team B"}
    for account in accounts.values():
        assert account["Status"] == "Finished" and account["BaselineId"] == baseline["BaselineId"]
    assert set(stack.preview().steps.values()) == {"same"}


@pytest.mark.parametrize("heading", ["EnrolledAccount", "AccountFactoryBaseline"])
def test_the_readme_programs_pass_mypy_strict(heading: str, tmp_path: Path) -> None:
    program = tmp_path / f"readme_{heading.lower()}.py"
    program.write_text(readme_programs()[heading], encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
                          "--no-color-output", str(program)], cwd=REPO, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
