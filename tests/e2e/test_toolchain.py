"""The toolchain through the real CLI, before the real plugin exists: the language hosts of `make hosts`
and the SDKs tools/sdkgen generates, proven with a throwaway test plugin (tests/e2e/plugins/toy).

Each program, in YAML, TypeScript, Go and Python, creates a `toy:index:Greeting` (its `message` comes
from the provider's configuration, its `length` is an int output), feeds that output to an invoke,
exports all three, and is destroyed. The plugin is started by the engine from the program's
Pulumi.yaml (`plugins: providers: [{name: toy, path: ...}]`), the SDKs are generated in the session
from the plugin's schema, and nothing of Pulumi's is stood in for.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Optional

import pytest

from account_factory_testing.sandbox import PROGRAMS, PulumiSandbox
from account_factory_testing.toolchain import (build_node_sdk, generate_sdks, install_python_sdk, link_node_modules,
                                               replace_go_module)

TOY_PLUGIN = Path(__file__).parent / "plugins" / "toy"
TOY_PROGRAMS = PROGRAMS / "toy"
#: The toy's secret configuration value: it must reach the provider (CheckConfig refuses an empty
#: one) and never be stored in plain text.
TOKEN = "toy-token-7c1e55b0"
#: What every program exports: the provider's message for "world", its length, and the invoke's
#: answer for the message (an output fed to an invoke).
EXPECTED_OUTPUTS = {"message": "Hello, world", "length": 5, "measured": len("Hello, world")}

ToySandboxFactory = Callable[..., PulumiSandbox]


@pytest.fixture(scope="session")
def toy_sdks(sdkgen_program: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy plugin's Node.js, Python and Go SDKs, generated from its schema as `make sdks` does."""
    return generate_sdks(sdkgen_program, TOY_PLUGIN / "schema.json", tmp_path_factory.mktemp("toy") / "sdk")


@pytest.fixture
def toy_sandbox_for(tmp_path: Path, pulumi_toolchain: Path) -> ToySandboxFactory:
    """toy_sandbox_for(language, runtime, env=None) -> a sandbox of TOY_PROGRAMS/language, configured."""

    def make(language: str, runtime: str, env: Optional[Mapping[str, str]] = None) -> PulumiSandbox:
        sandbox = PulumiSandbox(tmp_path / language, pulumi_toolchain, TOY_PROGRAMS / language,
                                project=f"toy-{language}", runtime=runtime, plugins={"toy": TOY_PLUGIN}, env=env)
        sandbox.set_config("toy:greeting", "Hello")
        sandbox.set_config("toy:token", TOKEN, secret=True)
        return sandbox

    return make


def assert_up_outputs_and_destroy(sandbox: PulumiSandbox, *, timeout: float = 240) -> None:
    """`pulumi up` creates the greeting through the toy plugin and exports the outputs, the secret is
    nowhere in plain text, and `pulumi destroy` deletes it."""
    run = sandbox.pulumi("up", "--yes", "--skip-preview", timeout=timeout)
    assert "toy:index:Greeting hello created" in " ".join(run.output.split()), run
    assert sandbox.outputs() == EXPECTED_OUTPUTS
    [greeting] = sandbox.resources(":Greeting")
    assert greeting["type"] == "toy:index:Greeting"
    assert greeting["outputs"]["length"] == 5
    for path in [*sandbox.backend.rglob("*"), sandbox.project_dir / f"Pulumi.{sandbox.stack}.yaml"]:
        if path.is_file():
            assert TOKEN not in path.read_text(errors="replace"), f"the secret is in plain text in {path}"
    sandbox.pulumi("destroy", "--yes")
    assert sandbox.resources(":Greeting") == []


def test_a_pulumi_yaml_program_runs_on_the_yaml_host(toy_sandbox_for: ToySandboxFactory) -> None:
    assert_up_outputs_and_destroy(toy_sandbox_for("yaml", "yaml"))


def test_a_typescript_program_runs_on_the_nodejs_host_with_the_generated_sdk(
        toy_sandbox_for: ToySandboxFactory, toy_sdks: Path, node_packages: Path) -> None:
    sdk = build_node_sdk(toy_sdks / "nodejs", node_packages)
    sandbox = toy_sandbox_for("typescript", "nodejs")
    link_node_modules(sandbox.project_dir, node_packages, {"@toy/toy": sdk})
    assert_up_outputs_and_destroy(sandbox)


def test_a_python_program_runs_with_the_generated_sdk(toy_sandbox_for: ToySandboxFactory, toy_sdks: Path,
                                                     tmp_path: Path) -> None:
    installed = install_python_sdk(toy_sdks / "python", tmp_path / "site-packages")
    python_path = os.pathsep.join(filter(None, [str(installed), os.environ.get("PYTHONPATH")]))
    assert_up_outputs_and_destroy(toy_sandbox_for("python", "python", env={"PYTHONPATH": python_path}))


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_go_program_runs_on_the_go_host_with_the_generated_sdk(
        toy_sandbox_for: ToySandboxFactory, toy_sdks: Path) -> None:
    """The Go host compiles the program (minutes on a cold Go build cache): one test, marked slow."""
    # -mod=readonly: the program's checked-in go.sum must cover what the generated SDK requires.
    sandbox = toy_sandbox_for("go", "go", env={"GOFLAGS": "-mod=readonly"})
    replace_go_module(sandbox.project_dir, "example.com/toy/sdk/go", toy_sdks / "go")
    assert_up_outputs_and_destroy(sandbox, timeout=1080)
