"""The package's types, as a user's IDE and mypy see them.

Every example program passes `mypy --strict` with the package installed (its `py.typed` makes mypy
read our annotations); a sample of mistakes (typing/mistakes.py) must each be reported, which
proves the check can fail; and no output or look-up is typed `Any`, a bare `list` or a bare `dict`,
where mypy would accept anything.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pulumi
import pytest

from account_factory_testing.sandbox import REPO

EXAMPLES = REPO / "examples"
MISTAKES = Path(__file__).parent / "typing" / "mistakes.py"
#: The modules whose annotations users read: each is checked strictly (the internals are not).
PUBLIC_MODULES = ("__init__", "resource", "baseline_resource", "lookups", "outputs")
#: `path:line: error: message  [code]`
MYPY_ERROR = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+): error: (?P<message>.*?)(?:  \[[\w-]+\])?$", re.M)


def example_programs() -> list[Path]:
    """Every Python file of examples/ (not of a virtualenv an example's instructions made there)."""
    return sorted(p for p in EXAMPLES.rglob("*.py") if not {"venv", ".venv", "__pycache__"} & set(p.parts))


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def mypy(cache: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`mypy --strict ARGUMENTS` with this interpreter, where the package is installed."""
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache),
                           "--no-color-output", "--show-error-context", *arguments],
                          cwd=REPO, capture_output=True, text=True, timeout=240)


@pytest.mark.parametrize("program", example_programs(), ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_every_example_passes_mypy_strict(program: Path, mypy_cache: Path) -> None:
    run = mypy(mypy_cache, str(program))
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_public_modules_pass_mypy_strict(mypy_cache: Path) -> None:
    package = REPO / "provider" / "alicloud_account_factory"
    run = mypy(mypy_cache, "--follow-imports=silent", *(str(package / f"{m}.py") for m in PUBLIC_MODULES))
    assert run.returncode == 0, run.stdout + run.stderr


def expected_errors(path: Path) -> dict[int, str]:
    """{line: text} of the lines marked `# E: text`."""
    return {number: line.split("# E: ", 1)[1].strip()
            for number, line in enumerate(path.read_text().splitlines(), start=1) if "# E: " in line}


def test_mypy_reports_each_mistake_of_the_sample_and_nothing_else(mypy_cache: Path) -> None:
    run = mypy(mypy_cache, str(MISTAKES))
    assert run.returncode == 1, run.stdout + run.stderr
    reported: dict[int, list[str]] = {}
    for error in MYPY_ERROR.finditer(run.stdout):
        reported.setdefault(int(error["line"]), []).append(error["message"])
    expected = expected_errors(MISTAKES)
    missed = {line: text for line, text in expected.items() if not any(text in m for m in reported.get(line, []))}
    unexpected = {line: messages for line, messages in reported.items() if line not in expected}
    assert not missed and not unexpected, f"missed: {missed}\nunexpected: {unexpected}\n{run.stdout}"


# --- no Any where a user reads a value ---------------------------------------------------------


def _imprecise(annotation: Any, seen: set[type]) -> list[str]:
    """What in a type would let mypy accept anything: Any, a bare list or dict, an untyped
    output type's property; output types are followed into their properties."""
    if annotation is Any:
        return ["Any"]
    if annotation in (list, dict, tuple, set):
        return [f"bare {annotation.__name__}"]
    problems = [p for argument in typing.get_args(annotation) for p in _imprecise(argument, seen)]
    if inspect.isclass(annotation) and getattr(annotation, "_pulumi_output_type", False) and annotation not in seen:
        seen.add(annotation)
        for name, declared in inspect.get_annotations(annotation, eval_str=True).items():
            problems += [f"{annotation.__name__}.{name}: {p}" for p in _imprecise(declared, seen)]
    return problems


def _return_type(function: Any) -> Any:
    """A function's declared return type (None if it has none), its own annotation only evaluated:
    pulumi.Input holds a forward reference that typing.get_type_hints cannot resolve."""
    return inspect.get_annotations(function, eval_str=True).get("return")


def _ours(member: Any) -> bool:
    return isinstance(member, property) and member.fget.__module__.startswith("alicloud_account_factory")


def _outputs_of(resource: type) -> dict[str, Any]:
    """The declared type of every Output a resource offers (its own properties and annotations:
    pulumi's base classes hold forward references that do not resolve here)."""
    types = dict(inspect.get_annotations(resource, eval_str=True))
    for name, member in inspect.getmembers(resource, _ours):
        types[name] = _return_type(member.fget)
    return {name: t for name, t in types.items()
            if typing.get_origin(t) is pulumi.Output and name not in ("urn", "id")}


def test_no_output_of_a_resource_or_a_look_up_is_typed_loosely() -> None:
    import alicloud_account_factory as package

    declared: dict[str, Any] = {}
    for resource in (package.EnrolledAccount, package.AccountFactoryBaseline):
        declared.update({f"{resource.__name__}.{n}": t for n, t in _outputs_of(resource).items()})
    for look_up in (package.get_baseline_items, package.get_baselines, package.get_baseline):
        declared[f"{look_up.__name__}()"] = _return_type(look_up)
    assert {"EnrolledAccount.progress", "EnrolledAccount.error_info", "EnrolledAccount.account_id",
            "AccountFactoryBaseline.baseline_items"} <= set(declared)
    loose = {name: problems for name, t in declared.items() if (problems := _imprecise(t, set()))}
    assert not loose, loose
