"""The fleet benchmark's command line (the benchmark itself is `make bench`, not a test)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "fleet.py"


@pytest.fixture(scope="module")
def benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fleet_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv, sizes", [
    ([], [1, 8, 32, 100]),
    (["--sizes", "1,8"], [1, 8]),
    (["--sizes", "1", "8"], [1, 8]),
    (["--sizes", "1,8", "32"], [1, 8, 32]),
])
def test_sizes_are_comma_or_space_separated(benchmark: ModuleType, argv: list[str], sizes: list[int]) -> None:
    assert benchmark.parse_args(argv).sizes == sizes


@pytest.mark.parametrize("argv", [["--sizes", "0"], ["--sizes", "x"], ["--sizes", ","]])
def test_bad_sizes_are_refused(benchmark: ModuleType, argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        benchmark.parse_args(argv)


def test_the_rate_limited_section_is_off_unless_asked_for(benchmark: ModuleType) -> None:
    assert benchmark.parse_args([]).qps is None
    args = benchmark.parse_args(["--qps", "10", "--qps-size", "40"])
    assert (args.qps, args.qps_size) == (10, 40)


@pytest.mark.parametrize("argv", [["--qps", "0"], ["--qps", "ten"], ["--qps", "5", "--qps-size", "-1"]])
def test_a_bad_rate_limit_is_refused(benchmark: ModuleType, argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        benchmark.parse_args(argv)
