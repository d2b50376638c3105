"""The web pages in a real browser: Debian's Chromium, driven by Playwright, against `qa serve` on a real
PostgreSQL, Temporal dev server and worker.

People sign in (a password set from an invitation, or a session their token opens) and do their parts of a
CPR review through the pages; every page is checked with axe-core for serious or critical accessibility
violations. Screenshots of the key pages go to the test's folder, or to QA_SCREENSHOTS (the README's come
from `QA_SCREENSHOTS=docs/screens pytest tests/infra/test_pages.py`).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from domain.bank_holidays import calendar_for
from domain.qapm import meeting_id
from domain.working_days import LONDON
from tests.infra.test_cli_cpr import (
    CASE,
    CYCLE,
    OWN_CASE,
    REVIEW,
    YEAR,
    ok,
    qa,
    stack,
    started_cycle,
    submit_by_cli,
)
from tests.infra.test_server import _Stdin, serving, token

__all__ = ["stack"]  # the fixture, used by name
AXE = Path(__file__).parents[1] / "browser" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "priya's long passphrase"

pytestmark = pytest.mark.wall_clock


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium")
    assert chromium, "install Debian's chromium (`apt-get install chromium`)"
    assert AXE.exists(), "run `npm ci --prefix tests/browser` first"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


class Person:
    """One person's browser: their own cookies, the pages they open checked and kept."""

    def __init__(self, page, base: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
        self.page, self.base, self.shots = page, base, shots

    async def open(self, path: str) -> None:
        await self.page.goto(self.base + path)
        await self.accessible()

    async def accessible(self) -> None:
        """No serious or critical violation axe-core finds on the page as it stands."""
        await self.page.add_script_tag(path=str(AXE))
        found = await self.page.evaluate("async () => (await axe.run(document)).violations")
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in found
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], f"{self.page.url}: {json.dumps(bad)}"

    async def shot(self, name: str, at: str | None = None) -> None:
        """What the person sees: the top of the page, or the part `at` (a selector) is in."""
        if at is not None:
            await self.page.locator(at).first.scroll_into_view_if_needed()
        await self.page.screenshot(path=str(self.shots / f"{name}.png"))

    async def text(self) -> str:
        return await self.page.inner_text("main")


async def person(browser, base: str, shots: Path, cookie: str | None = None) -> Person:  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    if cookie is not None:
        await context.add_cookies([{"name": "qa_session", "value": cookie, "url": base}])
    return Person(await context.new_page(), base, shots)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ["QA_SCREENSHOTS"]) if os.environ.get("QA_SCREENSHOTS") else tmp_path / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_a_cpr_review_is_done_through_the_pages_by_each_person_signed_in(
    stack, browser, shots, capsys, monkeypatch, tmp_path
):
    async with serving(monkeypatch, tmp_path) as base:
        officer = await token(capsys, "qa.officer")
        await started_cycle(capsys, sample=2)
        for case_number in (CASE, OWN_CASE):
            await ok(capsys, "--token", officer, "cpr", "allocate", CYCLE, case_number, "--reviewer", "sam.reviewer")
        # The sample's other review is done with the CLI: once both are in, moderation starts.
        await submit_by_cli(capsys, OWN_CASE, "lee.reviewer", "Good")
        code = (await ok(capsys, "--token", officer, "auth", "invite", "priya.practitioner")).split()[1]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "stdin", _Stdin(PASSWORD))
            assert (await qa(capsys, "auth", "accept", code, "--password-stdin"))[0] == 0

        # The practitioner signs in with her password: sent to the sign-in page, then back to where she was going.
        priya = await person(browser, base, shots)
        await priya.open(f"/items/{REVIEW}")
        assert priya.page.url == f"{base}/sign-in?next=/items/{REVIEW}"
        await priya.shot("sign-in")
        await priya.page.fill("#staff_id", "priya.practitioner")
        await priya.page.fill("#password", "not her password")
        await priya.page.click("button:text('Sign in')")
        assert "wrong user name or password" in await priya.text()
        await priya.accessible()
        await priya.page.fill("#password", PASSWORD)
        await priya.page.click("button:text('Sign in')")
        assert priya.page.url == f"{base}/items/{REVIEW}"
        await priya.accessible()
        # Her reflection: no score chosen for her; refused with the reason while it is missing.
        assert not await priya.page.is_checked("#reflect-score-8")
        await priya.page.fill("#reflect-pleased_with", "The plan is clear and the family trust us.")
        await priya.page.fill("#reflect-could_develop", "Visit records are late.")
        await priya.page.click("button:text('Give your reflection')")
        assert "score: Field required" in await priya.text()
        await priya.accessible()
        await priya.page.check("#reflect-score-8")  # 7 out of 10 (0 is the first)
        await priya.page.click("button:text('Give your reflection')")
        assert "Recorded: reflect" in await priya.text() and "Scaling: 7 out of 10." in await priya.text()

        # The reviewer, signed in with a session of his own: the voices, the conversation, the rubric criterion by
        # criterion with its descriptors, the grade with Ofsted's descriptors, an action, then submit.
        sam = await person(browser, base, shots, await token(capsys, "sam.reviewer"))
        await sam.open("/my-work")
        assert f"Complete the review of case {CASE}" in await sam.text()
        await sam.shot("my-work")
        await sam.page.click(f"a:text('Complete the review of case {CASE}')")
        assert sam.page.url == f"{base}/items/{REVIEW}"
        await sam.accessible()
        await sam.shot("review")
        await sam.shot("rubric", "#judge")
        for whose in ("child", "family"):
            await sam.page.check(f"#record_voice-whose{'' if whose == 'child' else '-2'}")
            await sam.page.check("#record_voice-obtained")
            await sam.page.fill("#record_voice-summary", f"The {whose} said the plan helps.")
            await sam.page.click("button:text('Record the voice')")
            assert "Recorded: record voice" in await sam.text()
        await sam.page.fill("#record_conversation-summary", "We agreed the chronology needs updating.")
        await sam.page.click("button:text('Record the conversation')")
        radios = sam.page.locator("input[type=radio][name^='judgements[']")
        assert (
            await radios.count() == 26 * 3 and await sam.page.locator("input[name^='judgements[']:checked").count() == 0
        )
        assert await sam.page.locator(".govuk-radios__hint").count() >= 26 * 3  # each choice with its descriptor
        for name in sorted({await r.get_attribute("name") for r in await radios.all()}):
            await sam.page.check(f"input[name='{name}'][value=clear]")
        await sam.page.click("button:text('Save the judgements')")
        assert "Recorded: judge" in await sam.text()
        # The grade: nothing chosen for him; the reason given when it is missing, and nothing recorded.
        await sam.page.fill("#grade-rationale", "Consistently good practice.")
        await sam.page.click("button:text('Record the grade')")
        assert "There is a problem" in await sam.text() and "grade: Field required" in await sam.text()
        await sam.accessible()
        assert "Requires Improvement" in await sam.page.inner_text("#grade")
        await sam.shot("grade-refused")
        await sam.page.check("#grade-grade-2")  # Good
        await sam.page.fill("#grade-rationale", "Consistently good practice.")
        await sam.page.click("button:text('Record the grade')")
        await sam.page.fill("#conclude-working_well", "The child is seen alone and listened to.")
        await sam.page.fill("#conclude-do_differently", "Keep the chronology up to date.")
        await sam.page.click("button:text('Record the conclusion')")
        assert "Recorded: conclude" in await sam.text()
        await sam.page.fill("#recommend_action-action", "Bring the chronology up to date.")
        await sam.page.fill("#recommend_action-due_by", f"{YEAR}-12-17")
        await sam.page.click("button:text('Recommend the action')")
        await sam.page.click("button:text('Submit the review')")
        assert "Recorded: submit" in await sam.text() and "submitted" in await sam.text()
        await sam.accessible()

        # The team manager records the action complete through supervision.
        nadia = await person(browser, base, shots, await token(capsys, "nadia.manager"))
        await nadia.open("/my-work")
        await nadia.page.click("a:text('Record action A1')")
        await nadia.accessible()
        await nadia.page.fill("#complete_action-oversight_note", "Reviewed in supervision; chronology now current.")
        await nadia.page.click("button:text('Record A1 complete')")
        assert "Recorded complete by nadia.manager" in await nadia.text()

        # The team's action plan, on its page: its owner adds a SMART action and records its progress.
        nadia_token = await token(capsys, "nadia.manager")
        started = "plan", "start", "--team", "Children in Need", "--owner", "nadia.manager", "--json"
        plan = json.loads(await ok(capsys, "--token", nadia_token, *started))["id"]
        await nadia.open(f"/items/{plan}")
        await nadia.page.fill("#add_action-action", "Every child's plan names who does what by when")
        await nadia.page.fill("#add_action-support", "A planning workshop")
        await nadia.page.fill("#add_action-responsible", "nadia.manager")
        await nadia.page.fill("#add_action-by_when", f"{YEAR + 1}-03-31")
        await nadia.page.fill("#add_action-evidence", "A dip audit finds 9 of 10 plans with timescales")
        await nadia.page.click("button:text('Add the action')")
        assert "Recorded: add action" in await nadia.text()
        await nadia.accessible()
        assert not await nadia.page.locator("#record_progress input:checked").count()
        await nadia.page.check("#record_progress-action_id")
        await nadia.page.check("#record_progress input[value=on-track]")
        await nadia.page.fill("#record_progress-note", "Workshop booked for January.")
        await nadia.page.click("button:text('Record the progress')")
        actions = await nadia.page.inner_text("table")
        assert "on-track" in actions and "Workshop booked for January." in actions
        await nadia.accessible()
        await nadia.page.fill("#record_meeting-attendees", "nadia.manager\npriya.practitioner")
        await nadia.page.click("button:text('Record the meeting')")
        assert "Recorded: record meeting" in await nadia.text() and "attended by nadia.manager, priya.practitioner" in (
            await nadia.text()
        )
        await nadia.accessible()
        await nadia.shot("plan")

        # Moderation, on the cycle's page: the sample with each review, grade and moderation; the QA officer
        # allocates a moderator, who moderates; no grade is chosen for either.
        officer_page = await person(browser, base, shots, officer)
        await officer_page.open("/my-work")  # the QA team's: e-mails that did not go out would be listed (none here)
        assert "E-mails that did not go out" not in await officer_page.text()
        await officer_page.open(f"/items/{CYCLE}")
        for _ in range(100):  # the cycle moves on once the review's submission reaches it
            if await officer_page.page.locator("#allocate_moderator").count():
                break
            await asyncio.sleep(0.1)
            await officer_page.page.reload()
        await officer_page.accessible()
        sample = await officer_page.page.inner_text("table")
        assert f"{CASE}" in sample and "by sam.reviewer" in sample and "Good" in sample
        await officer_page.page.check(f"#allocate_moderator input[value='{CASE}']")
        await officer_page.page.fill("#allocate_moderator-moderator", "sam.reviewer")
        await officer_page.page.click("button:text('Allocate the moderator')")
        assert "sam.reviewer reviewed case" in await officer_page.text()  # refused: his own review
        await officer_page.accessible()
        await officer_page.page.fill("#allocate_moderator-moderator", "maya.moderator")
        await officer_page.page.click("button:text('Allocate the moderator')")
        assert "Recorded: allocate moderator" in await officer_page.text()
        maya = await person(browser, base, shots, await token(capsys, "maya.moderator"))
        await maya.open("/my-work")
        await maya.page.locator("a", has_text=f"case {CASE}").first.click()
        assert maya.page.url == f"{base}/items/{CYCLE}"
        await maya.accessible()
        assert not await maya.page.locator("#moderate input:checked").count()
        await maya.page.check(f"#moderate input[value='{CASE}']")
        await maya.page.check("#moderate-grade-2")  # Good, as the reviewer graded
        await maya.page.fill("#moderate-rationale", "The evidence supports Good.")
        await maya.page.fill("#moderate-sampled", "The plan and the assessment domain.")
        await maya.page.click("button:text('Record the moderation')")
        assert "Recorded: moderate" in await maya.text() and "maya.moderator: Good (agreed)" in await maya.text()
        await maya.shot("cycle")

        # The other review moderated with the CLI; then the QA officer publishes the findings report on the page.
        await ok(capsys, "--token", officer, "moderation", "allocate", CYCLE, OWN_CASE, "--moderator", "omar.moderator")
        omar = await token(capsys, "omar.moderator")
        await ok(
            capsys,
            "--token",
            omar,
            "moderation",
            "record",
            CYCLE,
            OWN_CASE,
            "--grade",
            "Good",
            "--rationale",
            "Good.",
            "--sampled",
            "The plan.",
        )
        for _ in range(100):  # the cycle moves on to its report once both moderations reach it
            await officer_page.open(f"/items/{CYCLE}")
            if await officer_page.page.locator("#publish_report").count():
                break
            await asyncio.sleep(0.1)
        assert not await officer_page.page.locator("#publish_report input[type=radio]").count()
        await officer_page.page.fill("#publish_report-key_findings", "Plans are clear; chronologies lag.")
        await officer_page.page.fill("#publish_report-strengths", "Children's voices are heard.")
        await officer_page.page.fill("#publish_report-areas_for_development", "Chronologies.")
        await officer_page.page.fill("#publish_report-recommendations", "A chronology workshop.")
        await officer_page.page.fill("#publish_report-voices_summary", "Children said the plan helps.")
        await officer_page.page.fill("#publish_report-actions-0-action", "Chronology workshop for all teams")
        await officer_page.page.click("button:text('Publish the report')")
        # A SMART action with no plan named is refused in words; then left out, the report is published.
        assert "say which action plan the actions go to" in await officer_page.text()
        await officer_page.accessible()
        # What was written is still there; the action row too.
        assert (
            await officer_page.page.input_value("#publish_report-key_findings") == "Plans are clear; chronologies lag."
        )
        assert (
            await officer_page.page.input_value("#publish_report-actions-0-action")
            == "Chronology workshop for all teams"
        )
        await officer_page.page.fill("#publish_report-actions-0-action", "")
        await officer_page.page.click("button:text('Publish the report')")
        assert "Recorded: publish report" in await officer_page.text() and "published: " in await officer_page.text()

        # The QAPM meeting's pack: its charts, each with its table; the next working day's meeting is compiled now.
        meeting_on = calendar_for(datetime.now(LONDON).date()).add_working_days(datetime.now(LONDON).date(), 1)
        await ok(capsys, "--token", officer, "qapm", "start", "--on", meeting_on.isoformat())
        meeting = meeting_id(meeting_on)
        for _ in range(100):
            if json.loads(await ok(capsys, "--token", officer, "qapm", "show", meeting, "--json"))["pack"]:
                break
            await asyncio.sleep(0.1)
        await officer_page.open(f"/items/{meeting}")
        # Grades by service, deadlines, moderation agreement, and the Children in Need trend across its cycles.
        assert await officer_page.page.locator("svg.qa-chart[role=img]").count() == 4
        assert "Children in Need: each cycle" in await officer_page.text()
        grades = await officer_page.page.inner_text("#grades + svg + table")
        assert "Children in Need" in grades and "\t2\t" in grades  # both reviews Good
        assert "2 of 2 moderations agreed (100%)." in await officer_page.text()
        await officer_page.shot("qapm", "#grades")

        # A dispute, raised by the practitioner from the review's page, through its three stages on the dispute's page,
        # with no decision chosen beforehand at any: the reviewer and the practitioner do not resolve it; the QA
        # officer allocates a moderator, whose three-way conversation does not either; the Head of QA decides.
        await priya.open(f"/items/{REVIEW}")
        await priya.page.locator("summary", has_text="Raise a dispute").click()
        await priya.page.check("#dispute-about")  # the judgement
        await priya.page.fill("#dispute-issues", "The grade does not reflect the late visits.")
        await priya.page.click("button:text('Raise the dispute')")
        dispute = f"{REVIEW}-dispute-1"
        assert f"/items/{dispute}" in priya.page.url and "Recorded: raised" in await priya.text()
        await priya.accessible()

        async def step(who: Person, name: str, fields: dict[str, str], choices: tuple[str, ...] = ()) -> None:
            await who.open(f"/items/{dispute}")
            await who.page.locator("summary", has_text=name).first.click()
            form = who.page.locator(f"form#{name.lower().replace(' ', '_')}")
            assert not await form.locator("input[type=radio]:checked").count()
            for field, value in fields.items():
                await form.locator(f"[name={field}]").fill(value)
            for choice in choices:
                await form.locator(f"input[value={choice}]").check()
            await form.locator("button[type=submit]").click()
            assert f"Recorded: {name.lower()}" in await who.text(), await who.text()
            await who.accessible()

        await step(sam, "Record conversation", {"issues": "Late visits.", "outcome": "We differ."}, ("not_resolved",))
        await step(officer_page, "Allocate moderator", {"moderator": "omar.moderator"})
        omar_page = await person(browser, base, shots, omar)
        await step(omar_page, "Record moderation", {"moderation": "The grade is supported by the record."})
        await step(
            omar_page, "Record three way", {"issues": "Late visits.", "outcome": "Still differ."}, ("not_resolved",)
        )
        quinn = await person(browser, base, shots, await token(capsys, "quinn.hoqa"))
        decision = {"issues": "Late visits.", "decision": "Requires Improvement: the visits were late."}
        await step(quinn, "Record decision", decision, ("'Requires Improvement'",))
        decided = await quinn.page.inner_text("pre.qa-state")
        assert "decided_by: quinn.hoqa" in decided and "the visits were late." in decided
        await quinn.shot("dispute")
        # The decision set the review's grade of record: the cycle's sample says so, and how it changed.
        await officer_page.open(f"/items/{CYCLE}")
        sample = await officer_page.page.inner_text("table")
        assert "Good (reviewer) -> Good (moderation, maya.moderator) -> Requires Improvement (dispute, quinn.hoqa)" in (
            sample
        )

        # A safeguarding alert from the review: to the team manager at once, who acknowledges it on her page.
        await sam.open(f"/items/{REVIEW}")
        await sam.page.locator("summary", has_text="Raise a safeguarding alert").click()
        await sam.page.fill("#alert-concern", "A new adult in the household with a history of violence.")
        await sam.page.click("button:text('Raise the alert')")
        assert "/items/alert-" in sam.page.url and "Recorded: raised" in await sam.text()
        await sam.accessible()
        await nadia.open("/my-work")
        assert "Acknowledge this alert" in await nadia.text()
        await nadia.shot("my-work-alert")
        await nadia.page.click(f"button:text('Acknowledge the alert for case {CASE}')")
        assert "acknowledged" in await nadia.text() and "Recorded: acknowledge" in await nadia.text()
        await nadia.accessible()
        await nadia.shot("alert")

        # The record in words, for those who may read the audit record: not the reviewer; the team manager, yes.
        await sam.open(f"/items/{REVIEW}/history")
        assert f"refused: sam.reviewer may not read the audit record of {REVIEW}" in await sam.text()
        await nadia.open(f"/items/{REVIEW}/history")
        history = await nadia.text()
        assert "the practitioner's reflection recorded: 7/10" in history and "review submitted" in history
        await nadia.shot("history")

        # The auditor's page: the history on a timeline, the chain verified, the state as it stood at a moment (a
        # moment before the review opened has nothing; one a person cannot mean is refused in words), the bundle.
        audrey = await person(browser, base, shots, await token(capsys, "audrey.auditor"))
        await audrey.open(f"/items/{REVIEW}/history")
        assert "Verified: its" in await audrey.text() and "events chain unbroken" in await audrey.text()
        await audrey.page.fill("#as_of", "yesterday at noon")
        await audrey.page.click("button:text('Show the state then')")
        assert "is not a time" in await audrey.text()
        await audrey.accessible()
        # Today, on the engine's own (wall) clock: the whole day, so far.
        await audrey.page.fill("#as_of", datetime.now(LONDON).date().isoformat())
        await audrey.page.click("button:text('Show the state then')")
        assert "reflection:" in await audrey.page.inner_text("#as-of-state")
        await audrey.accessible()
        await audrey.shot("audit", "#as-of-state")
        async with audrey.page.expect_download() as download:
            await audrey.page.click("a:text('Download its evidence bundle')")
        bundle = await (await download.value).path()
        with zipfile.ZipFile(bundle) as archive:
            names = archive.namelist()
        assert f"{REVIEW}/manifest.json" in names and len(names) > 2

        # A form from another page, or an old one, records nothing.
        answer = await sam.page.request.post(f"{base}/items/{REVIEW}/submit", form={"csrf": "forged"})
        assert answer.status == 403 and "This form has expired" in await answer.text()
        # Nor does a sign-in posted from another site (login CSRF: signing someone in as another person).
        forged = {"staff_id": "priya.practitioner", "password": PASSWORD, "next": "/my-work"}
        answer = await sam.page.request.post(f"{base}/sign-in", form=forged, max_redirects=0)
        assert answer.status == 403 and "Go back, reload the page" in await answer.text()
        assert "qa_session" not in answer.headers.get("set-cookie", "")
