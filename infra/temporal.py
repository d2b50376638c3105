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


def _logging() -> LoggingConfig:
    """Temporal's Rust core's logs, forwarded to the stdlib (and so to structlog)."""
    return LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )


@cache
def _runtime() -> Runtime:
    return Runtime(telemetry=TelemetryConfig(logging=_logging()))


def metrics_runtime() -> tuple[Runtime, str]:
    """A runtime like the default one that also exports the SDK's metrics (requests to Temporal, their latency
    and failures) for Prometheus, on a free local port; with the address to read them at (infra.http.server)."""
    import socket

    from temporalio.runtime import PrometheusConfig

    with socket.socket() as probe:  # a free port now; the runtime binds it at once
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    metrics = PrometheusConfig(bind_address=address)
    return Runtime(telemetry=TelemetryConfig(logging=_logging(), metrics=metrics)), f"http://{address}/metrics"


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    return await Client.connect(
        settings.require_temporal_address(),
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        tls=_tls(settings),
        api_key=settings.temporal_api_key,
        runtime=runtime or _runtime(),
    )
