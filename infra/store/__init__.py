"""The one gateway to the tables: every SQL statement the engine runs against its own data is here.

`audit_log` (the append-only, hash-chained audit events and their streams' heads),
`directory` (staff and open-cases snapshots), `outbox` (notifications) and
`access_log` (who read which record). Activities, the CLI and the benchmarks reach
the tables only through these; migrations and database set-up are `infra.db`'s.
"""
