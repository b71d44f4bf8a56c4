"""Benchmarks: ``make bench`` runs every ``bench/bench_*.py`` module's ``main()`` in turn.

Figures and ratios are printed; no benchmark is a test, and none may fail CI.
"""
