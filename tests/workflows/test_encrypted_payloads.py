"""What Temporal stores holds no voice or concern in plain text: its payloads are encrypted (infra.codec)."""

from __future__ import annotations

from domain.review import RecordVoice
from domain.safeguarding import RaiseAlert
from infra.codec import ENCODING
from infra.store.audit_log import AuditLog
from tests.workflows.test_cpr import allocate, review_of, start_cycle, stop
from tests.workflows.test_safeguarding_alert import raise_alert
from workflows.cpr_cycle import CprCycleWorkflow
from workflows.review import ReviewWorkflow

VOICE = "Zebrafinch said she feels safe at her nan's and wants to stay"
CONCERN = "Quokkas bruising on the left arm seen on the visit and not explained"


async def test_the_engines_history_holds_no_voice_or_concern_and_the_log_holds_both(
    time_skipping_env, worker, settings, example_authority, app_pool
):
    cycle = await start_cycle(time_skipping_env, settings, size=1)
    case = (await cycle.query(CprCycleWorkflow.state)).cases[0]
    handle = await review_of(time_skipping_env, await allocate(cycle, case.case_number), case.case_number)
    await handle.execute_update(
        ReviewWorkflow.record_voice, RecordVoice(actor="sam.reviewer", whose="child", summary=VOICE)
    )
    alert, _ = await raise_alert(
        time_skipping_env,
        settings,
        RaiseAlert(raised_by="sam.reviewer", case_number=case.case_number, from_item=handle.id, concern=CONCERN),
    )

    # The histories as the engine stores them, byte for byte: every payload (the updates' arguments, the
    # workflows' inputs, the appends' events, the notifications, the query answers) went through the codec.
    for item in (handle, alert):
        history = await item.fetch_history()
        raw = b"".join(event.SerializeToString() for event in history.events)
        assert ENCODING in raw
        for text in (VOICE, CONCERN, "Zebrafinch", "Quokkas"):
            assert text.encode() not in raw
    # Decoded by a client holding the key, and in the audit log, the whole text is there.
    assert VOICE in [v.summary for v in (await handle.query(ReviewWorkflow.state)).voices.values()]
    log = AuditLog(app_pool)
    logged = " ".join(str(e.payload) for e in [*await log.read_stream(handle.id), *await log.read_stream(alert.id)])
    assert VOICE in logged and CONCERN in logged
    await alert.terminate()
    await stop(time_skipping_env, cycle)
