"""The versions the benchmark figures of docs/fleets.md name are those the suite runs with, and come from the tools.

Why: figures measured with one Pulumi and labelled with another mislead; when constraints.txt or
scripts/pulumi-cli.sh moves to another version, these fail until the benchmarks are run again.
"""

from __future__ import annotations

import re
from importlib import metadata

from account_factory_testing.dependencies import constraint_pins
from account_factory_testing.sandbox import REPO
from benchmarks import fleet as fleet_benchmark

#: Where the benchmark tables live, between their markers (README.md links to it).
FLEETS = REPO / "docs" / "fleets.md"


def _block(name: str) -> str:
    """The page's text between `<!-- name -->` and `<!-- /name -->` (what a benchmark run produced)."""
    text = FLEETS.read_text()
    for marker in (f"<!-- {name} -->", f"<!-- /{name} -->"):
        assert text.count(marker) == 1, f"docs/fleets.md has {text.count(marker)} {marker}: one, around the figures"
    match = re.search(rf"<!-- {name} -->(.*?)<!-- /{name} -->", text, re.S)
    assert match, f"docs/fleets.md has no {name} block"
    return match.group(1)


def test_the_fleet_benchmark_prints_the_installed_pulumi_and_grpcio() -> None:
    environment = "; ".join(fleet_benchmark.environment_lines())
    assert f"pulumi: {metadata.version('pulumi')}, grpcio: {metadata.version('grpcio')}" in environment


def test_the_fleet_figures_name_the_pulumi_sdk_the_suite_pins() -> None:
    pins = constraint_pins(REPO / "constraints.txt")
    named = re.findall(r"pulumi:? (\d+\.\d+\.\d+)", _block("fleet-benchmark"))
    assert named and set(named) == {pins["pulumi"]}, (named, pins["pulumi"])
    assert set(re.findall(r"grpcio:? (\d+\.\d+\.\d+)", _block("fleet-benchmark"))) == {pins["grpcio"]}


def test_the_engine_figures_name_the_pulumi_cli_make_pulumi_builds() -> None:
    cli = re.search(r"^PULUMI_VERSION=(\S+)$", (REPO / "scripts" / "pulumi-cli.sh").read_text(), re.M)
    assert cli
    named = re.findall(r"pulumi v(\d+\.\d+\.\d+)", _block("engine-benchmark"))
    assert named and set(named) == {cli.group(1)}, (named, cli.group(1))


def test_the_scale_figures_are_one_run_at_100_300_and_1000_and_name_the_cli_make_pulumi_builds() -> None:
    block = _block("scale-benchmark")
    cli = re.search(r"^PULUMI_VERSION=(\S+)$", (REPO / "scripts" / "pulumi-cli.sh").read_text(), re.M)
    assert cli
    assert set(re.findall(r"pulumi v(\d+\.\d+\.\d+)", block)) == {cli.group(1)}
    rows = re.findall(r"^\| (\d+) \| (\d+) s \| ([^|]+?) \|", block, re.M)
    assert {(size, kind) for size, _d, kind in rows} >= {
        (size, kind) for size in ("100", "300", "1000") for kind in ("floor", "ours")} | {("1000", "ours, --qps 10")}
    assert {d for _size, d, _kind in rows} == {"60"}  # issue 23's D, every row from the same run
