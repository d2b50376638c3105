"""Settings from environment variables, with the embedded stack as the fallback.

Every setting is a `QA_*` environment variable. When the database or Temporal
address is not set, the values that a running `qa up` wrote to its stack file
under `QA_HOME` are used, so a second terminal needs no set-up at all.
"""

from __future__ import annotations

import json
import os
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from domain.frozen import Frozen
from infra.home import default_home as _default_home

TASK_QUEUE = "qa-engine"


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


class StackFile(Frozen):
    """What `qa up` publishes for other `qa` processes while it runs."""

    pid: int
    database_url: str
    admin_database_url: str
    directory_database_url: str | None = None  # the directory's imports (qa_directory)
    server_database_url: str | None = None  # the server's (qa_server)
    temporal_address: str
    temporal_ui_url: str
    server_url: str | None = None  # `qa serve`'s, which `qa` commands signed in talk to


class Settings(Frozen):
    home: Path = Field(default_factory=_default_home)
    database_url: str | None = None
    admin_database_url: str | None = None
    directory_database_url: str | None = None  # the staff directory's imports only (migration 0013)
    server_database_url: str | None = None  # `qa serve`'s (qa_server, migration 0014); else database_url
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_api_key: str | None = None
    payload_keys: str | None = Field(default=None, repr=False)  # infra.codec
    checkpoint_key_file: Path | None = None  # infra.checkpoints
    codec_token: str | None = Field(default=None, repr=False)  # infra.http.codec
    codec_port: int = 8234  # the embedded stack's codec endpoint, for its Web UI
    # E-mail (infra.delivery): with neither a mail server nor GOV.UK Notify, messages stay in the app (`qa inbox`).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str | None = None  # the From address, e.g. qa-framework@council.gov.uk
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_starttls: bool = True  # upgrade the connection with STARTTLS (the submission port's way)
    # Or GOV.UK Notify: the service's API key and one e-mail template, subject ((subject)), body ((body)).
    notify_api_key: str | None = Field(default=None, repr=False)
    notify_template_id: str | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    # A safeguarding alert not acknowledged within this many working hours escalates (to the Head of QA,
    # then the Director), counted from when the working day opens to when it closes, Europe/London.
    alert_window_hours: float = Field(default=2, gt=0, le=40)
    working_day_opens: time = time(9)
    working_day_closes: time = time(17)
    task_queue: str = TASK_QUEUE
    server_url: str | None = None  # `qa serve`'s address, for the CLI signed in (else `qa up`'s)
    server_port: int = 8235  # the embedded stack's server (`qa up`), and `qa serve`'s default
    token: str | None = Field(default=None, repr=False)  # a bearer token for scripts (else `qa login`'s)
    # The council's identity provider (OpenID Connect), if people sign in through it (infra.http.oidc).
    oidc_issuer: str | None = None  # e.g. https://login.microsoftonline.com/TENANT/v2.0
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = Field(default=None, repr=False)
    oidc_staff_claim: str = "preferred_username"  # the claim that holds the directory's staff_id
    session_secret: str | None = Field(default=None, repr=False)  # signs browser sessions; shared by every server
    config_dir: Path | None = None  # where `qa login` keeps its token (else the user's config directory)
    # How long the embedded Temporal keeps a closed workflow's history: the longest it accepts (100 years),
    # for the record's sake; `qa audit seal` keeps what the cross-check needs beyond it anyway.
    temporal_retention_days: int = Field(default=36_500, ge=1, le=36_500)
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    closure_days_file: Path | None = None
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _working_day_in_order(self) -> Settings:
        if not self.working_day_opens < self.working_day_closes:
            raise ValueError(
                "QA_WORKING_DAY_OPENS must be before QA_WORKING_DAY_CLOSES"
                f" ({self.working_day_opens:%H:%M} is not before {self.working_day_closes:%H:%M})"
            )
        return self

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {
            name: env[f"QA_{name.upper()}"]
            for name in cls.model_fields
            if env.get(f"QA_{name.upper()}") not in (None, "")
        }
        try:
            return cls(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            if not first["loc"]:  # a rule across settings: its message names them
                raise SettingsError(first["msg"].removeprefix("Value error, ")) from None
            name = f"QA_{str(first['loc'][0]).upper()}"
            raise SettingsError(f"{name}: {first['msg']}") from None

    @property
    def mail(self) -> bool:
        """Whether messages also go by e-mail (infra.delivery.sender_for), not only in the app."""
        return bool(self.smtp_host or self.notify_api_key)

    @property
    def stack_file(self) -> Path:
        return self.home / "run" / "stack.json"

    @property
    def closure_days_path(self) -> Path:
        return self.closure_days_file or self.home / "closure_days.csv"

    def running_stack(self) -> StackFile | None:
        """The stack a live `qa up` published, or None (a stale file is ignored)."""
        try:
            stack = StackFile.model_validate_json(self.stack_file.read_text())
        except (OSError, ValidationError, json.JSONDecodeError):
            return None
        try:
            os.kill(stack.pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return stack

    def require_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        stack = self.running_stack()
        if stack is None:
            raise SettingsError("no database: start the stack with `qa up` in another terminal, or set QA_DATABASE_URL")
        return stack.database_url

    def require_admin_database_url(self) -> str:
        if self.admin_database_url:
            return self.admin_database_url
        if self.database_url:
            return self.database_url
        stack = self.running_stack()
        if stack is None:
            raise SettingsError("no database: start the stack with `qa up` in another terminal, or set QA_DATABASE_URL")
        return stack.admin_database_url

    def require_directory_database_url(self) -> str:
        if self.directory_database_url:
            return self.directory_database_url
        stack = self.running_stack()
        if stack is None or stack.directory_database_url is None:
            raise SettingsError(
                "no login for the directory's imports: start the stack with `qa up` in another terminal,"
                " or set QA_DIRECTORY_DATABASE_URL"
            )
        return stack.directory_database_url

    def require_server_database_url(self) -> str:
        """The server's login: its own role (qa_server) if given, else the application's."""
        if self.server_database_url:
            return self.server_database_url
        stack = self.running_stack()
        if stack is not None and stack.server_database_url is not None and not self.database_url:
            return stack.server_database_url
        return self.require_database_url()

    def require_temporal_address(self) -> str:
        if self.temporal_address:
            return self.temporal_address
        stack = self.running_stack()
        if stack is None:
            raise SettingsError(
                "no Temporal server: start the stack with `qa up` in another terminal, or set QA_TEMPORAL_ADDRESS"
            )
        return stack.temporal_address

    def require_server_url(self) -> str:
        if self.server_url:
            return self.server_url.rstrip("/")
        stack = self.running_stack()
        if stack is None or stack.server_url is None:
            raise SettingsError("no server: start the stack with `qa up` in another terminal, or set QA_SERVER_URL")
        return stack.server_url

    @property
    def credentials_file(self) -> Path:
        """Where `qa login` keeps the signed-in person's token, readable by its owner only."""
        import click

        return (self.config_dir or Path(click.get_app_dir("qa-engine"))) / "credentials.json"
