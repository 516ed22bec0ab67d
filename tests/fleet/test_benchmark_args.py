"""The benchmarks' command lines (the benchmarks themselves are `make bench` and `make bench-engine`, not tests)."""

from __future__ import annotations

import pytest

from benchmarks import engine as engine_benchmark
from benchmarks import fleet as fleet_benchmark


@pytest.mark.parametrize("argv, sizes", [
    ([], [1, 8, 32, 100]),
    (["--sizes", "1,8"], [1, 8]),
    (["--sizes", "1", "8"], [1, 8]),
    (["--sizes", "1,8", "32"], [1, 8, 32]),
])
def test_sizes_are_comma_or_space_separated(argv: list[str], sizes: list[int]) -> None:
    assert fleet_benchmark.parse_args(argv).sizes == sizes


@pytest.mark.parametrize("argv", [["--sizes", "0"], ["--sizes", "x"], ["--sizes", ","]])
def test_bad_sizes_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        fleet_benchmark.parse_args(argv)


def test_the_rate_limited_section_is_off_unless_asked_for() -> None:
    assert fleet_benchmark.parse_args([]).qps is None
    args = fleet_benchmark.parse_args(["--qps", "10", "--qps-size", "40"])
    assert (args.qps, args.qps_size) == (10, 40)


@pytest.mark.parametrize("argv", [["--qps", "0"], ["--qps", "ten"], ["--qps", "5", "--qps-size", "-1"]])
def test_a_bad_rate_limit_is_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        fleet_benchmark.parse_args(argv)


def test_the_engine_benchmark_defaults_to_32_and_100_and_a_longer_enrollment() -> None:
    args = engine_benchmark.parse_args([])
    assert (args.sizes, args.enroll_seconds, args.long_seconds) == ([32, 100], 3.0, 20.0)


@pytest.mark.parametrize("argv", [["--sizes", "0"], ["--sizes", "x"], ["--enroll-seconds", "0"],
                                  ["--long-seconds", "-1"]])
def test_the_engine_benchmark_refuses_bad_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        engine_benchmark.parse_args(argv)
