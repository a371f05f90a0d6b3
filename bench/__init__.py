"""Benchmarks of Tenantry: each module is one command, ``python -m bench.<name>``.

They start real servers on loopback, write JSON to ``bench/results/<name>.json``
and print a table; docs/performance.md records what they measured.
"""
