"""Engine payloads encrypted: what Temporal stores (its histories, its Web UI) holds no plain text.

A workflow's inputs, updates and activity arguments carry voices of children and families,
safeguarding concerns and staff concerns. Every payload a qa-engine client or worker sends is
encrypted with AES-256-GCM (`cryptography`) before it leaves the process, and decrypted when it
comes back: Temporal's server, its database and its Web UI see only ciphertext.

Keys: `QA_PAYLOAD_KEYS` is `ID:KEY[,ID:KEY...]`, each KEY 32 bytes in URL-safe base64, the first
the one new payloads are encrypted with; the rest still decrypt what they encrypted, so a key is
rotated by putting a new one first. Each payload names its key's id in its metadata. Without the
setting (the embedded stack), the keys are read from `QA_HOME/payload-keys`, made with one new key
on first use and readable by its owner only. Every client and worker of one namespace needs the
same keys: lose them and the engine's histories cannot be read (the audit log in PostgreSQL can).

A payload that is not encrypted (one recorded before encryption) is passed through as it is, so
older histories still replay.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from infra.home import create_secret_file
from infra.settings import Settings, SettingsError

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE = 12
_KEY_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,64}")
KEYS_FILE = "payload-keys"


class PayloadKeyError(ValueError):
    """An encrypted payload that the keys given cannot open."""


class PayloadKeys:
    """The keys payloads are encrypted with: `current` for new ones, any of them to decrypt."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise SettingsError("QA_PAYLOAD_KEYS: no key given")
        for key_id, key in keys:
            if not _KEY_ID_SHAPE.fullmatch(key_id):
                raise SettingsError(f"QA_PAYLOAD_KEYS: key id {key_id!r} is not letters, digits, '.', '_' or '-'")
            if len(key) != 32:
                raise SettingsError(f"QA_PAYLOAD_KEYS: key {key_id!r} is {len(key)} bytes; AES-256 needs 32")
        self.current = keys[0][0]
        self._ciphers: Mapping[str, AESGCM] = {key_id: AESGCM(key) for key_id, key in keys}
        if len(self._ciphers) != len(keys):
            raise SettingsError("QA_PAYLOAD_KEYS: a key id is given twice")

    @classmethod
    def parse(cls, text: str, source: str = "QA_PAYLOAD_KEYS") -> PayloadKeys:
        """`ID:KEY` entries separated by commas or line breaks (blank lines and # comments ignored)."""
        keys = []
        entries = (entry for line in text.splitlines() for entry in line.partition("#")[0].split(","))
        for entry in entries:
            entry = entry.strip()
            if not entry:
                continue
            key_id, colon, encoded = entry.partition(":")
            try:
                key = base64.urlsafe_b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4))
            except ValueError:
                key = b""
            if not colon or not key:
                raise SettingsError(f"{source}: {key_id.strip()[:64]!r} is not ID:KEY (KEY 32 bytes in base64)")
            keys.append((key_id.strip(), key))
        return cls(keys)

    def encrypt(self, payload: Payload) -> Payload:
        nonce = secrets.token_bytes(_NONCE)
        key_id = self.current.encode()
        sealed = self._ciphers[self.current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        """The payload as it was sent; one never encrypted is returned as it is."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"")
        cipher = self._ciphers.get(key_id.decode(errors="replace"))
        if cipher is None:
            raise PayloadKeyError(
                f"a payload is encrypted with key {key_id.decode(errors='replace')!r}, which QA_PAYLOAD_KEYS does not give"
            )
        try:
            plain = cipher.decrypt(payload.data[:_NONCE], payload.data[_NONCE:], key_id)
        except InvalidTag:
            raise PayloadKeyError(
                "an encrypted payload does not decrypt: altered, or encrypted with another key"
            ) from None
        return Payload.FromString(plain)

    def decrypt_all(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]


class EncryptionCodec(PayloadCodec):
    """The Temporal payload codec: every payload encrypted on the way out, decrypted on the way in."""

    def __init__(self, keys: PayloadKeys) -> None:
        self.keys = keys

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.keys.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return self.keys.decrypt_all(payloads)


def payload_keys(settings: Settings) -> PayloadKeys:
    """The keys from QA_PAYLOAD_KEYS, or from QA_HOME's keys file (made with a new key on first use)."""
    if settings.payload_keys:
        return PayloadKeys.parse(settings.payload_keys)
    path = settings.home / KEYS_FILE
    if not path.exists():
        _new_keys_file(path)
    try:
        return PayloadKeys.parse(path.read_text(), str(path))
    except OSError as exc:
        raise SettingsError(f"cannot read the payload keys in {path}: {exc.strerror}") from None


def _new_keys_file(path: Path) -> None:
    """One new key, in a file only its owner can read; created at most once, whoever races to it."""
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    text = (
        "# Keys of the Temporal payloads of this QA_HOME (infra/codec.py): the first encrypts, all decrypt.\n"
        f"k1:{key}\n"
    )
    create_secret_file(path, text.encode())


def data_converter(settings: Settings) -> DataConverter:
    """The data converter of every qa-engine client and worker: pydantic models, encrypted."""
    return dataclasses.replace(pydantic_data_converter, payload_codec=EncryptionCodec(payload_keys(settings)))
