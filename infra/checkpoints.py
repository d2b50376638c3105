"""The checkpoint signing key (Ed25519, `cryptography`): kept in a file, never in the database.

`QA_CHECKPOINT_KEY_FILE` names a PEM private key (PKCS#8, unencrypted: protect the file); without
it, `QA_HOME/checkpoint-key.pem` is made on first use, readable by its owner only. Its public half
(`qa audit checkpoint public-key`) is given to the auditors, who check checkpoints with it.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from infra.home import create_secret_file
from infra.settings import Settings, SettingsError

KEY_FILE = "checkpoint-key.pem"


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    path = settings.checkpoint_key_file or settings.home / KEY_FILE
    if settings.checkpoint_key_file is None and not path.exists():
        _new_key_file(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise SettingsError(f"cannot read the checkpoint key {path}: {exc.strerror}") from None
    except (ValueError, TypeError):
        raise SettingsError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SettingsError(f"{path} is not an Ed25519 key")
    return key


def _new_key_file(path: Path) -> None:
    """A new key, in a file only its owner can read; made at most once, whoever races to it."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    create_secret_file(path, pem)


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign(key: Ed25519PrivateKey, text: bytes) -> str:
    return base64.b64encode(key.sign(text)).decode()


def signature_holds(public_key_pem: str, text: bytes, signature: str) -> bool:
    """Whether `signature` is the key's over `text`; a key or signature that cannot be read does not hold."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(signature, validate=True), text)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
