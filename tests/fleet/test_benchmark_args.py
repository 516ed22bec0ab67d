"""The benchmarks' command lines (the benchmarks themselves are `make bench` and `make bench-engine`, not tests)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "fleet.py"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def benchmark() -> ModuleType:
    return _load(BENCHMARK, "fleet_benchmark")


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


ENGINE_BENCHMARK = BENCHMARK.with_name("engine.py")


@pytest.fixture(scope="module")
def engine_benchmark() -> ModuleType:
    return _load(ENGINE_BENCHMARK, "engine_benchmark")


def test_the_engine_benchmark_defaults_to_32_and_100_and_a_longer_enrollment(engine_benchmark: ModuleType) -> None:
    args = engine_benchmark.parse_args([])
    assert (args.sizes, args.enroll_seconds, args.long_seconds) == ([32, 100], 3.0, 20.0)


@pytest.mark.parametrize("argv", [["--sizes", "0"], ["--sizes", "x"], ["--enroll-seconds", "0"],
                                  ["--long-seconds", "-1"]])
def test_the_engine_benchmark_refuses_bad_arguments(engine_benchmark: ModuleType, argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        engine_benchmark.parse_args(argv)
