"""The tests' payload key (infra.codec): fixed, so a history recorded by a test replays in a later run.

Set as QA_PAYLOAD_KEYS for the whole session, so every client, worker and CLI command the tests run
in this process encrypts with it; a `qa up` the tests start as a user would makes its own keys file.
"""

from __future__ import annotations

import os

from infra.codec import data_converter
from infra.settings import Settings

TEST_PAYLOAD_KEYS = "test-1:" + "q" * 43  # 32 bytes in URL-safe base64: a key for tests only
os.environ["QA_PAYLOAD_KEYS"] = TEST_PAYLOAD_KEYS
CONVERTER = data_converter(Settings(payload_keys=TEST_PAYLOAD_KEYS))
