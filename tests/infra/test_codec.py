"""The payload codec on its own: keys, rotation, tampering and the embedded stack's keys file."""

from __future__ import annotations

import base64
import stat

import pytest
from temporalio.api.common.v1 import Payload

from infra.codec import ENCODING, KEY_ID, EncryptionCodec, PayloadKeyError, PayloadKeys, payload_keys
from infra.settings import Settings, SettingsError


def key(byte: int) -> str:
    return base64.urlsafe_b64encode(bytes([byte]) * 32).decode()


PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"summary":"feels safe at home"}')


async def test_a_payload_is_encrypted_under_the_first_key_and_any_given_key_opens_it():
    old = EncryptionCodec(PayloadKeys.parse(f"k1:{key(1)}"))
    [sealed] = await old.encode([PLAIN])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == b"k1"
    assert b"feels safe" not in sealed.SerializeToString()
    assert await old.decode([sealed]) == [PLAIN]
    # Rotated: a new key first encrypts what is new; the old one, kept, still opens the old payloads.
    rotated = EncryptionCodec(PayloadKeys.parse(f"k2:{key(2)},k1:{key(1)}"))
    [resealed] = await rotated.encode([PLAIN])
    assert resealed.metadata[KEY_ID] == b"k2"
    assert await rotated.decode([sealed, resealed, PLAIN]) == [PLAIN, PLAIN, PLAIN]  # plain: passed through
    # Without the old key, or altered, a payload does not open, and says why.
    with pytest.raises(PayloadKeyError, match="encrypted with key 'k1', which QA_PAYLOAD_KEYS does not give"):
        await EncryptionCodec(PayloadKeys.parse(f"k2:{key(2)}")).decode([sealed])
    altered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(PayloadKeyError, match="does not decrypt: altered"):
        await old.decode([altered])
    # The key id is bound to the ciphertext: relabelled under another key id, it does not open.
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"k2"}, data=sealed.data)
    with pytest.raises(PayloadKeyError, match="does not decrypt"):
        await EncryptionCodec(PayloadKeys.parse(f"k2:{key(1)}")).decode([relabelled])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" , ", "QA_PAYLOAD_KEYS: no key given"),
        ("k1", "QA_PAYLOAD_KEYS: 'k1' is not ID:KEY (KEY 32 bytes in base64)"),
        ("k1:c2hvcnQ", "QA_PAYLOAD_KEYS: key 'k1' is 5 bytes; AES-256 needs 32"),
        (f"k 1:{key(1)}", "QA_PAYLOAD_KEYS: key id 'k 1' is not letters, digits, '.', '_' or '-'"),
        (f"k1:{key(1)},k1:{key(2)}", "QA_PAYLOAD_KEYS: a key id is given twice"),
    ],
)
def test_malformed_keys_are_one_line(text, message):
    with pytest.raises(SettingsError) as refused:
        payload_keys(Settings(payload_keys=text))
    assert str(refused.value) == message


def test_the_embedded_stack_makes_its_keys_once_readable_by_its_owner_only(tmp_path):
    settings = Settings(home=tmp_path)
    first = payload_keys(settings)
    path = tmp_path / "payload-keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert payload_keys(settings).current == first.current == "k1"
    sealed = first.encrypt(PLAIN)
    assert payload_keys(settings).decrypt(sealed) == PLAIN  # the same key, read again by another process
    assert [p.name for p in tmp_path.iterdir()] == ["payload-keys"]  # no draft left behind
