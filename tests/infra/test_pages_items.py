"""Items beyond the CPR cycle through the web pages, in Debian's Chromium, against `qa serve` on the time-skipping
server (days come by sleeping to them) and a real PostgreSQL: a team spotlight's key documents, a nomination, a
member's information record and the lead's draft report, each on the form the document gives (its five themes with
their "please consider" prompts, no grade chosen beforehand, SMART action rows with one more on request); a thematic
review's answers, a row for each of its questions; the QAPM meeting's decisions, recorded by its chair."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from domain.spotlight import SECTIONS
from domain.working_days import LONDON
from tests.clock import sleep_until
from tests.infra.test_cli_case_audits import QA, THEMATIC
from tests.infra.test_cli_cpr import example_authority, ok
from tests.infra.test_cli_meetings import MEETING, at
from tests.infra.test_cli_spotlight import MEMBERS, SPOTLIGHT, START, _write, skipping_stack
from tests.infra.test_pages import Person, browser, person, shots
from tests.infra.test_server import serving, token

__all__ = ["browser", "shots", "skipping_stack"]  # fixtures, used by name


async def _step(who: Person, summary: str) -> None:
    """Open the step's part of the page (it is folded away until asked for)."""
    await who.page.locator("summary", has_text=summary).first.click()


async def test_a_spotlight_is_prepared_recorded_and_drafted_on_its_pages(
    skipping_stack, browser, shots, capsys, monkeypatch, tmp_path
):
    await example_authority(capsys)
    members = [arg for m in MEMBERS for arg in ("--member", m)]
    await ok(capsys, *START, *members, "--as", "qa.officer")
    async with serving(monkeypatch, tmp_path) as base:
        # The team manager sends what is available of the key documents: a row for each kind the document lists.
        nadia = await person(browser, base, shots, await token(capsys, "nadia.manager"))
        await nadia.open(f"/items/{SPOTLIGHT}")
        await _step(nadia, "Send documents")
        assert await nadia.page.locator("#send_documents input[type=text]").count() == 4
        await nadia.page.fill("#send_documents-documents-team-action-plan-reference", "plan-team-cin")
        await nadia.page.fill("#send_documents-documents-performance-data-reference", "Power BI: CIN dashboard")
        await nadia.page.click("#send_documents button[type=submit]")
        assert "Recorded: send documents" in await nadia.text()
        await nadia.accessible()
        # A practitioner nominates the two children whose records the team will read.
        priya = await person(browser, base, shots, await token(capsys, "priya.practitioner"))
        await priya.open(f"/items/{SPOTLIGHT}")
        await _step(priya, "Nominate")
        await priya.page.fill("#nominate-proud", "LCS-100701")
        await priya.page.fill("#nominate-challenging", "LCS-100716")
        await priya.page.click("#nominate button[type=submit]")
        assert "Recorded: nominate" in await priya.text()
        shown = json.loads(await ok(capsys, "spotlight", "show", SPOTLIGHT, "--json"))
        assert [(d["kind"], d["reference"]) for d in shown["documents"]] == [
            ("team-action-plan", "plan-team-cin"),
            ("performance-data", "Power BI: CIN dashboard"),
        ]
        assert [(n["proud"], n["challenging"]) for n in shown["nominations"]] == [("LCS-100701", "LCS-100716")]
        others = {"dan.practitioner": ("LCS-100745", "LCS-100761"), "lee.reviewer": ("LCS-100809", "LCS-100851")}
        for who, (proud, challenging) in others.items():
            await ok(
                capsys, "spotlight", "nominate", SPOTLIGHT, "--proud", proud, "--challenging", challenging, "--as", who
            )
        await ok(capsys, "spotlight", "send-list", SPOTLIGHT, "--as", "nadia.manager")

        await sleep_until(skipping_stack, datetime(2027, 3, 16, 9, tzinfo=LONDON))
        await ok(capsys, "spotlight", "allocate", SPOTLIGHT, "--as", "fatima.hos")

        # A member's information record: the five themes with the document's prompts, nothing chosen for them; a
        # theme left empty is refused by its number and name, and what was written stays on the page.
        tom = await person(browser, base, shots, await token(capsys, "tom.manager"))
        await tom.open(f"/items/{SPOTLIGHT}")
        await _step(tom, "Give record")
        form = tom.page.locator("form#give_record")
        assert "Please consider the following:" in await form.inner_text() and "Staff turnover" in (
            await form.inner_text()
        )
        assert not await form.locator("input[type=radio]:checked").count()
        await tom.shot("spotlight-record", "form#give_record")
        await tom.page.fill("#give_record-record-sections-culture-positives", "A calm, orderly office.")
        await tom.page.check("#give_record-record-grade-2")  # Good
        await tom.page.fill("#give_record-record-focus", "Timescales in plans.")
        await tom.page.fill("#give_record-record-records_viewed", "LCS-100745\nLCS-100761")
        await form.locator("button[type=submit]").last.click()
        refusal = await tom.text()
        assert "section 2 of the record, Quality of practice with children, young people and families" in refusal
        await tom.accessible()
        assert await tom.page.input_value("#give_record-record-sections-culture-positives") == "A calm, orderly office."
        assert await tom.page.is_checked("#give_record-record-grade-2")
        for key in list(SECTIONS)[1:]:
            await tom.page.fill(f"#give_record-record-sections-{key}-development", f"More on {key}.")
        await tom.page.locator("form#give_record button[type=submit]").last.click()
        assert "Recorded: give record" in await tom.text()
        record = json.loads(await ok(capsys, "spotlight", "show", SPOTLIGHT, "--json"))["records"]["tom.manager"]
        assert record["records_viewed"] == ["LCS-100745", "LCS-100761"] and record["grade"] == "Good"
        assert record["sections"]["culture"] == {"positives": "A calm, orderly office.", "development": ""}
        for member in MEMBERS[1:]:
            blank = {
                "sections": {key: {"positives": "Direct work.", "development": ""} for key in SECTIONS},
                "grade": "Good",
                "focus": "Plans.",
            }
            await ok(
                capsys, "spotlight", "record", SPOTLIGHT, "--file", _write(tmp_path, member, blank), "--as", member
            )

        # The lead's draft, shared with the spotlight team for comment: the report's themes, grade and SMART actions; a fourth action row when asked for, with
        # nothing recorded and nothing written lost.
        fatima = await person(browser, base, shots, await token(capsys, "fatima.hos"))
        await fatima.open(f"/items/{SPOTLIGHT}")
        await _step(fatima, "Share draft")
        for key in SECTIONS:
            for box, text in (("general", "Settled."), ("strengths", "Direct work."), ("development", "Plans.")):
                await fatima.page.fill(f"#share_draft-report-sections-{key}-{box}", text)
            await fatima.page.fill(f"#share_draft-report-sections-{key}-evidence", "12 records.")
        await fatima.page.check("#share_draft-report-grade-2")
        for box in ("progress", "focus", "barriers"):
            await fatima.page.fill(f"#share_draft-report-{box}", f"The {box}.")
        assert await fatima.page.locator("[id^=share_draft-report-actions-][id$=-action]").count() == 3
        await fatima.page.fill("#share_draft-report-actions-0-action", "Every child's plan has timescales")
        await fatima.page.click("#share_draft button:text('Add another row')")
        assert await fatima.page.locator("[id^=share_draft-report-actions-][id$=-action]").count() == 4
        assert await fatima.page.input_value("#share_draft-report-sections-systemic-evidence") == "12 records."
        assert await fatima.page.input_value("#share_draft-report-actions-0-action") == (
            "Every child's plan has timescales"
        )
        assert json.loads(await ok(capsys, "spotlight", "show", SPOTLIGHT, "--json"))["shared"] is None
        await fatima.accessible()
        for name, value in (("support", "A planning workshop"), ("responsible", "nadia.manager")):
            await fatima.page.fill(f"#share_draft-report-actions-0-{name}", value)
        await fatima.page.fill("#share_draft-report-actions-0-by_when", "2027-06-30")
        await fatima.page.fill("#share_draft-report-actions-0-evidence", "A dip audit finds 9 of 10.")
        await fatima.page.fill("#share_draft-report-actions-3-action", "Team meetings minuted")
        await fatima.page.fill("#share_draft-report-actions-3-support", "None")
        await fatima.page.fill("#share_draft-report-actions-3-responsible", "nadia.manager")
        await fatima.page.fill("#share_draft-report-actions-3-by_when", "2027-05-31")
        await fatima.page.fill("#share_draft-report-actions-3-evidence", "Minutes on file.")
        await fatima.page.locator("form#share_draft button[type=submit]").last.click()
        assert "Recorded: share draft" in await fatima.text(), await fatima.text()
        await fatima.accessible()
        report = json.loads(await ok(capsys, "spotlight", "show", SPOTLIGHT, "--json"))["shared"]
        assert report["grade"] == "Good" and [a["action"] for a in report["actions"]] == [
            "Every child's plan has timescales",
            "Team meetings minuted",
        ]

        # A member's comments on it, on the same page.
        await tom.open(f"/items/{SPOTLIGHT}")
        await _step(tom, "Comment")
        await tom.page.fill("#comment-comments", "Say more about supervision.")
        await tom.page.locator("form#comment button[type=submit]").last.click()
        assert "Recorded: comment" in await tom.text(), await tom.text()
        comments = json.loads(await ok(capsys, "spotlight", "show", SPOTLIGHT, "--json"))["comments"]
        assert comments == {"tom.manager": "Say more about supervision."}


async def test_a_thematic_reviews_answers_and_the_qapm_decisions_are_given_on_their_pages(
    skipping_stack, browser, shots, capsys, monkeypatch, tmp_path
):
    await example_authority(capsys)
    questions = tmp_path / "neglect.csv"
    questions.write_text("id,text\n1,The impact of neglect on the child is analysed\n2,The plan says who does what\n")
    start = ("thematic", "start", "--focus", "Neglect", "--start", "2027-04-12", "--sample", "1")
    await ok(capsys, *start, "--seed", "thematic-2027-04", "--questions", str(questions), *QA)
    (case,) = [c["case_number"] for c in json.loads(await ok(capsys, "thematic", "show", THEMATIC, "--json"))["cases"]]
    await ok(capsys, "thematic", "allocate", THEMATIC, case, "--reviewer", "sam.reviewer", *QA)
    async with serving(monkeypatch, tmp_path) as base:
        # A row for each question, by its id (a number here, never taken for a row's), with the rubric's columns.
        sam = await person(browser, base, shots, await token(capsys, "sam.reviewer"))
        await sam.open(f"/items/{THEMATIC}")
        await _step(sam, "Answer")
        form = sam.page.locator("form#answer")
        assert "1: The impact of neglect on the child is analysed" in await form.inner_text()
        assert "Some evidence of good practice" in await form.inner_text()
        assert not await form.locator("input[type=radio]:checked").count()
        await sam.page.fill("#answer-case_number", case)
        await sam.page.check("#answer-answers-2-evidence-3")  # limited
        await sam.page.fill("#answer-answers-2-comment", "No plan names who does what.")
        await form.locator("button[type=submit]").click()
        assert "Recorded: answer" in await sam.text(), await sam.text()
        await sam.accessible()
        shown = json.loads(await ok(capsys, "thematic", "show", THEMATIC, "--json"))["cases"][0]
        assert [(a["question_id"], a["evidence"], a["comment"]) for a in shown["answers"]] == [
            ("2", "limited", "No plan names who does what.")
        ]

        # The QAPM meeting: once its day comes, the chair records the decisions on the meeting's page. The
        # Director chairs; here, on leave, they name a head of service to chair in their place.
        await ok(capsys, "qapm", "start", "--on", "2027-03-04", *QA)
        await sleep_until(skipping_stack, at("2027-03-04", 14))
        director = await person(browser, base, shots, await token(capsys, "dana.director"))
        await director.open(f"/items/{MEETING}")
        await director.page.get_by_text("For the Director: name who chairs in your absence").click()
        await director.page.fill("#delegate_chair-delegate", "fatima.hos")
        await director.page.fill("#delegate_chair-reason", "on leave on the day")
        await director.page.click("form#delegate_chair button:text('Name the chair')")
        assert "Recorded: delegate chair" in await director.text(), await director.text()
        await director.accessible()
        chair = await person(browser, base, shots, await token(capsys, "fatima.hos"))
        for _ in range(100):
            await chair.open(f"/items/{MEETING}")
            if await chair.page.locator("form#record_decisions").count():
                break
            await asyncio.sleep(0.1)  # the pack is compiled once the meeting's day has come
        assert await chair.page.locator("form#record_decisions").count(), await chair.text()
        await chair.shot("qapm-decisions", "form#record_decisions")
        await chair.page.fill("#record_decisions-thematic_focus", "Neglect")
        await chair.page.fill("#record_decisions-actions-0-action", "A neglect toolkit workshop for every team")
        await chair.page.click("form#record_decisions button:text('Record the decisions')")
        refusal = await chair.text()
        assert "There is a problem" in refusal and "support" in refusal, refusal
        assert await chair.page.input_value("#record_decisions-thematic_focus") == "Neglect"
        await chair.accessible()
        await chair.page.fill("#record_decisions-actions-0-action", "")
        await chair.page.fill("#record_decisions-notes", "The pack was read; neglect is next.")
        await chair.page.fill("#record_decisions-attended", "fatima.hos\nhana.hos\nalex.assistant")
        await chair.page.click("form#record_decisions button:text('Record the decisions')")
        assert "Recorded: record decisions" in await chair.text(), await chair.text()
        assert "Neglect" in await chair.page.inner_text("main") and "fatima.hos" in await chair.text()
        await chair.accessible()
