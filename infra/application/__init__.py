"""The application layer: what a person can ask the engine, whichever door they come in by.

Both adapters call it: the CLI (infra.cli) parses arguments, calls a function here and
prints what it returns; the HTTP server will do the same with forms. A function here
takes typed values, reaches Temporal and the tables (through infra.store) and returns
typed results; what it will not do it refuses with an `AppError`: one line a person
understands, and nothing changed.
"""
