"""Benchmarks printed by `make bench`: figures beside the baseline each issue names."""
