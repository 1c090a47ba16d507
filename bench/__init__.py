"""Benchmarks: `make bench` prints the figures. Goals live here, never as timed assertions in tests."""
