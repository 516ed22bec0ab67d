"""The benchmarks (`make bench`, `make bench-engine`): scripts, and modules the tests import for their command lines."""
