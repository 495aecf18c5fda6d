"""Benchmarks: the exam under load (bench.run) and the analytics at scale (bench.analytics).

Not part of the test suite; `make bench` runs them. tests/bench/ has a small smoke version.
"""
