"""`qa dispute` in process, against a real PostgreSQL, Temporal dev server and worker.

A graded review's practitioner raises a dispute; it climbs the ladder stage by stage,
each person recording their own part with `--as`, up to the Head of QA's final
decision. Whoever acts outside their part, at the wrong stage or on a review that
cannot be disputed gets one line saying why, a non-zero exit, and nothing is recorded.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from domain import dispute
from domain.events import fold
from infra.cli.common import when
from infra.store.audit_log import AuditLog
from tests.clock import sleep_until
from tests.infra.test_cli_cpr import (  # noqa: F401 - `stack` and `skipping_stack` are fixtures
    CASE,
    CYCLE,
    REVIEW,
    event_count,
    ok,
    refused,
    review_of,
    skipping_stack,
    stack,
    started_cycle,
    submit_by_cli,
)

DISPUTE = f"{REVIEW}-dispute-1"
UNGRADED = review_of("LCS-100716")  # priya.practitioner's too, reviewed by rosa.reviewer
STAGE_1 = "stage 1 (conversation between the reviewer and the practitioner)"
STAGE_2 = "stage 2 (independent moderation and a three-way conversation)"
STAGE_3 = "stage 3 (decision of the Head of QA)"
MODERATE = ("dispute", "moderate", DISPUTE, "--moderation", "fair")
RAISE = ("dispute", "raise", REVIEW, "--about", "judgement", "--issues", "the grade overlooks the direct work")


async def shown(capsys, dispute_id: str) -> dict:
    return json.loads(await ok(capsys, "dispute", "show", dispute_id, "--json"))


async def replayed(app_pool, dispute_id: str) -> dict:
    events = await AuditLog(app_pool).read_stream(dispute_id)
    return {"id": dispute_id, **fold(dispute.evolve, dispute.DISPUTE_EVENTS, events).model_dump(mode="json")}


async def closed_review(capsys) -> None:
    """The review of CASE submitted with no actions, so its workflow closes: disputes read its audit stream."""
    await submit_by_cli(capsys, CASE, "priya.practitioner", "requires improvement")
    for _ in range(100):
        if json.loads(await ok(capsys, "review", "show", REVIEW, "--json"))["status"] == "closed":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the review never closed")


@pytest.mark.usefixtures("stack")
async def test_a_dispute_climbs_the_ladder_to_the_head_of_qa(capsys, database, app_pool):
    await started_cycle(capsys, sample=3)
    await ok(capsys, "cpr", "allocate", CYCLE, CASE, "--reviewer", "sam.reviewer", "--as", "qa.officer")
    await ok(capsys, "cpr", "allocate", CYCLE, "LCS-100716", "--reviewer", "rosa.reviewer", "--as", "qa.officer")
    await closed_review(capsys)

    # Nothing to dispute, or not theirs to dispute: one line each, and nothing recorded.
    before = await event_count(database)
    assert await refused(capsys, *RAISE, "--as", "nadia.manager") == (
        "refused: a dispute is raised by the reviewer (sam.reviewer) or the practitioner (priya.practitioner),"
        " not nadia.manager"
    )
    ungraded = ("dispute", "raise", UNGRADED, "--about", "actions", "--issues", "x", "--as", "priya.practitioner")
    assert await refused(capsys, *ungraded) == (
        "refused: the review of case LCS-100716 has no grade yet: a dispute is about the reviewer's actions,"
        " judgement or opinion once they have judged"
    )
    opinion = ("--about", "opinion", "--issues", "x", "--as", "priya.practitioner")
    assert await refused(capsys, "dispute", "raise", "no-such-review", *opinion) == "no review with id 'no-such-review'"
    assert await refused(capsys, "dispute", "raise", CYCLE, *opinion) == f"{CYCLE} is not a review"
    assert await refused(capsys, *RAISE[:4], "tone", *RAISE[5:], "--as", "priya.practitioner", code=2) == (
        "unknown --about 'tone': a dispute is about the reviewer's actions, judgement or opinion"
    )
    assert await refused(capsys, *RAISE, "--window", "0", "--as", "priya.practitioner", code=2) == (
        "--window is 1 to 60 working days, not 0"
    )
    assert await refused(capsys, "dispute", "show", "no-such-dispute") == "no audit record for 'no-such-dispute'"
    assert await refused(capsys, "dispute", "show", REVIEW) == f"{REVIEW} is not a dispute"
    assert await event_count(database) == before

    # Raised by the practitioner: stage 1 opens at once, owned by the reviewer.
    assert await ok(capsys, *RAISE, "--as", "priya.practitioner") == f"{DISPUTE}\n"
    state = await shown(capsys, DISPUTE)
    assert state == await replayed(app_pool, DISPUTE)
    [stage] = state["stages"]
    assert (state["raised_by"], state["about"], state["case_number"], state["status"]) == (
        "priya.practitioner",
        "judgement",
        CASE,
        "open",
    )
    assert (stage["stage"], stage["owners"], state["window_working_days"]) == (
        "reviewer_practitioner",
        ["sam.reviewer"],
        10,
    )
    due_1 = when(dispute.StageRecord.model_validate(stage).due_at)
    human = (await ok(capsys, "dispute", "show", DISPUTE)).splitlines()
    assert human[:11] == [
        f"{DISPUTE}: a dispute about the reviewer's judgement in review {REVIEW}",
        f"  case          {CASE}",
        "  reviewer      sam.reviewer",
        "  practitioner  priya.practitioner",
        f"  raised        by priya.practitioner, {human[4].split(', ', 1)[1]}",
        "  issues        the grade overlooks the direct work",
        "  status        open",
        f"  stage         {STAGE_1}",
        "  owners        sam.reviewer",
        f"  due           {due_1}",
        f"  next          at {STAGE_1}: sam.reviewer and priya.practitioner record their conversation"
        f" (`qa dispute record`), due {due_1}",
    ]

    # Out of turn or out of order, at stage 1.
    before = await event_count(database)
    talk = ("--issues", "the weight given to direct work", "--outcome", "we still disagree")
    assert await refused(capsys, "dispute", "escalate", DISPUTE, *talk, "--as", "nadia.manager") == (
        "refused: only the reviewer (sam.reviewer) or the practitioner (priya.practitioner) can record their"
        " conversation"
    )
    assert await refused(capsys, *MODERATE, "--as", "maya.moderator") == (
        f"refused: the independent moderation belongs to {STAGE_2}; the dispute is at {STAGE_1}"
    )
    assert await refused(
        capsys, "dispute", "allocate", DISPUTE, "--moderator", "maya.moderator", "--as", "qa.officer"
    ) == (f"refused: allocating a moderator belongs to {STAGE_2}; the dispute is at {STAGE_1}")
    assert await refused(
        capsys, "dispute", "decide", DISPUTE, "--issues", "i", "--decision", "d", "--as", "quinn.hoqa"
    ) == (f"refused: the final decision belongs to stage 3; the dispute is at {STAGE_1}")
    assert await refused(
        capsys, "dispute", "record", DISPUTE, *talk, "--decision", "agreed", "--as", "sam.reviewer", code=2
    ) == ("unknown --decision 'agreed': expected resolved or not-resolved")
    assert await refused(
        capsys, "dispute", "record", REVIEW, *talk, "--decision", "resolved", "--as", "sam.reviewer"
    ) == (f"{REVIEW} is not a dispute")
    assert await event_count(database) == before

    # Stage 1 escalates: passed to stage 2, where a QA officer allocates an independent moderator.
    out = (await ok(capsys, "dispute", "escalate", DISPUTE, *talk, "--as", "sam.reviewer")).splitlines()
    state = await shown(capsys, DISPUTE)
    due_2 = when(dispute.StageRecord.model_validate(state["stages"][1]).due_at)
    assert out == [
        f"{DISPUTE}: the conversation at {STAGE_1} was recorded: not resolved",
        f"  at {STAGE_2}: a QA officer (qa.officer) allocates an independent moderator, due {due_2}",
    ]
    assert [(s["stage"], s["decision"], s["escalation_reason"]) for s in state["stages"]] == [
        ("reviewer_practitioner", "not_resolved", "not resolved"),
        ("moderator", None, None),
    ]

    before = await event_count(database)
    allocate = ("dispute", "allocate", DISPUTE, "--moderator")
    assert await refused(capsys, *allocate, "sam.reviewer", "--as", "qa.officer") == (
        "refused: sam.reviewer is the reviewer in this dispute; the moderator must be independent of both"
        " sam.reviewer and priya.practitioner"
    )
    assert await refused(capsys, *allocate, "maya.moderator", "--as", "priya.practitioner") == (
        "refused: priya.practitioner cannot allocate a moderator to a dispute: the directory does not list them as a"
        " qa_officer"
    )
    assert await refused(capsys, *allocate, "maya.moderator", "--as", "nadia.manager") == (
        "refused: nadia.manager cannot allocate a moderator to a dispute: the directory does not list them as a"
        " qa_officer"
    )
    assert await refused(capsys, *allocate, "tom.manager", "--as", "qa.officer") == (
        "refused: tom.manager cannot moderate a dispute: the directory does not list them as a moderator"
    )
    assert await refused(capsys, *MODERATE, "--as", "maya.moderator") == (
        "refused: no moderator is allocated yet: a QA officer allocates an independent moderator first"
    )
    assert await event_count(database) == before

    out = (await ok(capsys, *allocate, "maya.moderator", "--as", "qa.officer")).splitlines()
    state = await shown(capsys, DISPUTE)
    due_2 = when(dispute.StageRecord.model_validate(state["stages"][1]).due_at)  # restarts at the allocation
    assert out == [
        f"{DISPUTE}: maya.moderator was allocated as the independent moderator",
        f"  at {STAGE_2}: maya.moderator records an independent moderation (`qa dispute moderate`), due {due_2}",
    ]
    three_way = ("dispute", "three-way", DISPUTE, "--issues", "direct work against an out-of-date plan")
    three_way += ("--outcome", "the practitioner still disagrees")
    assert await refused(capsys, *three_way, "--decision", "not-resolved", "--as", "maya.moderator") == (
        "refused: the moderator moderates independently before the three-way conversation: record that first"
    )
    assert await refused(capsys, *MODERATE, "--as", "omar.moderator") == (
        "refused: only the moderator (maya.moderator) can record the independent moderation"
    )
    out = await ok(
        capsys,
        "dispute",
        "moderate",
        DISPUTE,
        "--moderation",
        "the rubric evidence supports Requires Improvement",
        "--as",
        "maya.moderator",
    )
    assert out.splitlines() == [
        f"{DISPUTE}: the independent moderation was recorded",
        f"  at {STAGE_2}: maya.moderator records the three-way conversation (`qa dispute three-way`), due {due_2}",
    ]

    # The three-way conversation does not resolve it: the Head of QA decides, finally.
    out = (await ok(capsys, *three_way, "--decision", "Not Resolved", "--as", "maya.moderator")).splitlines()
    state = await shown(capsys, DISPUTE)
    due_3 = when(dispute.StageRecord.model_validate(state["stages"][2]).due_at)
    assert out == [
        f"{DISPUTE}: the three-way conversation at {STAGE_2} was recorded: not resolved",
        f"  at {STAGE_3}: quinn.hoqa records the final decision (`qa dispute decide`), due {due_3}",
    ]
    before = await event_count(database)
    decide = ("dispute", "decide", DISPUTE, "--issues", "the grade", "--decision", "Requires Improvement stands")
    assert await refused(capsys, *decide, "--as", "paula.psw") == (
        f"refused: only the Head of QA (quinn.hoqa) can decide at {STAGE_3}"
    )
    assert await refused(capsys, "dispute", "resolve", DISPUTE, *talk, "--as", "quinn.hoqa") == (
        f"refused: {STAGE_3} ends with the final decision, not a conversation: record it with `qa dispute decide`"
    )
    assert await event_count(database) == before
    out = (await ok(capsys, *decide, "--as", "quinn.hoqa")).splitlines()
    assert out == [
        f"{DISPUTE}: final decision recorded by quinn.hoqa",
        f"  decided by quinn.hoqa at {STAGE_3}: the dispute is closed",
    ]

    # Closed: nothing more is recorded, in the dispute's own words.
    before = await event_count(database)
    assert await refused(capsys, "dispute", "resolve", DISPUTE, *talk, "--as", "sam.reviewer") == (
        f"refused: the dispute about the review of case {CASE} was decided at {STAGE_3}; it is closed"
    )
    assert await event_count(database) == before

    # What the CLI shows is what the audit log holds.
    state = await shown(capsys, DISPUTE)
    assert state == await replayed(app_pool, DISPUTE)
    assert (state["status"], [(s["stage"], s["decision"], s["decided_by"]) for s in state["stages"]]) == (
        "decided",
        [
            ("reviewer_practitioner", "not_resolved", "sam.reviewer"),
            ("moderator", "not_resolved", "maya.moderator"),
            ("head_of_qa", "final", "quinn.hoqa"),
        ],
    )
    assert [e.event_type for e in await AuditLog(app_pool).read_stream(DISPUTE) if ".duty_" not in e.event_type] == [
        "dispute.raised",
        "dispute.stage_opened",
        "dispute.conversation_recorded",
        "dispute.escalated",
        "dispute.stage_opened",
        "dispute.moderator_allocated",
        "dispute.moderation_recorded",
        "dispute.three_way_recorded",
        "dispute.escalated",
        "dispute.stage_opened",
        "dispute.decided",
    ]
    # Each stage's owners held a duty, done with its decision (or the allocation).
    assert [(d["key"], d["done_by"]) for d in state["duties"]] == [
        ("stage-1-sam.reviewer", "sam.reviewer"),
        ("stage-2-qa.officer", "qa.officer"),
        ("stage-2-maya.moderator", "maya.moderator"),
        ("stage-3-quinn.hoqa", "quinn.hoqa"),
    ]
    human = await ok(capsys, "dispute", "show", DISPUTE)
    assert "    duty          quinn.hoqa: due " in human
    assert f"  {STAGE_2}: opened " in human and "    moderator     maya.moderator, allocated by qa.officer " in human
    assert "    outcome       Requires Improvement stands\n" in human

    # A second dispute on the same review, raised by the reviewer this time, resolved at stage 1.
    second = f"{REVIEW}-dispute-2"
    raised = await ok(capsys, *RAISE[:4], "actions", "--issues", "the actions", "--window", "5", "--as", "sam.reviewer")
    assert raised == f"{second}\n"
    out = await ok(capsys, "dispute", "record", second, *talk, "--decision", "resolved", "--as", "priya.practitioner")
    assert out.splitlines() == [
        f"{second}: the conversation at {STAGE_1} was recorded: resolved",
        f"  resolved at {STAGE_1}: the dispute is closed",
    ]
    state = await shown(capsys, second)
    assert state == await replayed(app_pool, second)
    assert (state["status"], state["raised_by"], state["window_working_days"]) == ("resolved", "sam.reviewer", 5)
    verified = json.loads(await ok(capsys, "audit", "verify", "--json"))
    assert verified["ok"] and verified["streams"] == 7  # the directory's two, the cycle, two reviews, two disputes


async def test_a_stage_whose_window_passes_moves_on_by_itself(skipping_stack, capsys, database, app_pool):  # noqa: F811
    await started_cycle(capsys, sample=2)
    await ok(capsys, "cpr", "allocate", CYCLE, CASE, "--reviewer", "sam.reviewer", "--as", "qa.officer")
    await submit_by_cli(capsys, CASE, "priya.practitioner", "Good")
    assert await ok(capsys, *RAISE, "--window", "3", "--as", "sam.reviewer") == f"{DISPUTE}\n"
    due_1 = dispute.StageRecord.model_validate((await shown(capsys, DISPUTE))["stages"][0]).due_at

    # Nobody records stage 1 in its 3 working days: the engine passes it to stage 2.
    await sleep_until(skipping_stack, due_1 + timedelta(hours=1))
    for _ in range(100):
        state = await shown(capsys, DISPUTE)
        if len(state["stages"]) == 2:
            break
        await asyncio.sleep(0.05)
    assert state == await replayed(app_pool, DISPUTE)
    assert [(s["stage"], s["decision"], s["escalation_reason"]) for s in state["stages"]] == [
        ("reviewer_practitioner", None, "window passed"),
        ("moderator", None, None),
    ]
    # The reviewer was reminded on their duty; passing the stage on closed it (late), with no breach chased.
    first = next(d for d in state["duties"] if d["key"] == "stage-1-sam.reviewer")
    assert (first["chased"], first["overdue"], first["late"], first["done_by"]) == (1, False, True, "qa-engine")
    human = await ok(capsys, "dispute", "show", DISPUTE)
    assert "    passed on     window passed, " in human
    assert f"  next          at {STAGE_2}: a QA officer (qa.officer) allocates an independent moderator, due " in human
    before = await event_count(database)
    talk = ("--issues", "i", "--decision", "resolved", "--outcome", "o", "--as", "priya.practitioner")
    assert await refused(capsys, "dispute", "record", DISPUTE, *talk) == (
        f"refused: the reviewer and practitioner's conversation belongs to {STAGE_1}; the dispute is at {STAGE_2}"
    )
    assert await event_count(database) == before


@pytest.mark.usefixtures("stack")
async def test_disputes_raised_at_the_same_moment_each_get_their_own_number(capsys, app_pool):
    from infra.application.disputes import raise_dispute

    await started_cycle(capsys, sample=3)
    await ok(capsys, "cpr", "allocate", CYCLE, CASE, "--reviewer", "sam.reviewer", "--as", "qa.officer")
    await closed_review(capsys)
    raised = await asyncio.gather(
        *(raise_dispute(REVIEW, "judgement", f"issue {n}", 10, "priya.practitioner") for n in range(4))
    )
    assert sorted(raised) == [f"{REVIEW}-dispute-{n}" for n in range(1, 5)]
    # Each person is given the dispute holding their own words.
    for dispute_id, n in zip(raised, range(4), strict=True):
        assert (await replayed(app_pool, dispute_id))["issues"] == f"issue {n}"
