"""The Temporal client, with the pydantic data converter and production connection options."""

from __future__ import annotations

import logging
from functools import cache

from temporalio.client import Client
from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import TLSConfig

from infra.codec import data_converter
from infra.settings import Settings


def _tls(settings: Settings) -> bool | TLSConfig:
    if not (settings.temporal_tls or settings.temporal_tls_cert or settings.temporal_api_key):
        return False
    if settings.temporal_tls_cert is None:
        return True
    return TLSConfig(
        client_cert=settings.temporal_tls_cert.read_bytes(),
        client_private_key=settings.temporal_tls_key.read_bytes() if settings.temporal_tls_key else None,
        server_root_ca_cert=settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None,
    )


@cache
def runtime() -> Runtime:
    """Temporal's Rust core, with its logs forwarded to the stdlib (and so to structlog)."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            )
        )
    )


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.require_temporal_address(),
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        tls=_tls(settings),
        api_key=settings.temporal_api_key,
        runtime=runtime(),
    )
