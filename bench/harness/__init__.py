"""What the benchmarks share, one concern per module; ``scenario`` strings them into one run.

``databases`` (scratch SQLite or PostgreSQL), ``servers`` (tenantry and the bare
baseline as subprocesses), ``seeding`` (bulk rows), ``loadgen`` (wrk or threads),
``reports`` (results JSON and tables), ``scenario`` (the set-up and tear-down of a run).
"""
