"""Desk mail's API shapes. A mailbox's secret goes in, never out: `has_secret` says whether
one is set."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from takepoint.mail.models import AfterImport, Auth, InboundState, Security


class MailboxIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    address: str = Field(max_length=320)
    team_id: int | None = None
    category_id: int | None = None
    enabled: bool = True
    acknowledge: bool = True
    imap_host: str | None = Field(default=None, max_length=255)
    imap_port: int | None = None
    security: Security = Security.IMAPS
    auth: Auth = Auth.PASSWORD
    username: str = Field(default="", max_length=320)
    secret: str | None = Field(
        default=None, max_length=10_000, description="password or OAuth2 token; null keeps it"
    )
    secret_file: str = Field(default="", max_length=1000)
    folder: str = Field(default="INBOX", max_length=200)
    after_import: AfterImport = AfterImport.FLAG
    after_import_target: str = Field(default="$Takepoint", max_length=200)
    poll_seconds: int = 60


class MailboxOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    address: str
    team_id: int | None
    category_id: int | None
    enabled: bool
    acknowledge: bool
    imap_host: str | None
    imap_port: int
    security: Security
    auth: Auth
    username: str
    has_secret: bool
    secret_file: str
    folder: str
    after_import: AfterImport
    after_import_target: str
    poll_seconds: int
    last_uid: int
    last_checked_at: datetime | None
    last_error: str | None


class ConnectionTest(BaseModel):
    ok: bool
    step: str = Field(description="what failed: dns, connect, tls, login, folder or settings")
    passed: list[str]
    problem: str


class InboundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mailbox_id: int | None
    message_id: str
    state: InboundState
    sender: str
    subject: str
    reason: str
    ticket_id: int | None
    desk_message_id: int | None
    received_at: datetime
