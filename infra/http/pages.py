"""The web application: pages for the people who do the work, on the server of `qa serve`.

Server-rendered HTML (Jinja2, with the GOV.UK Design System's macros from `govuk-frontend-jinja`
and a small stylesheet of our own for the markup they render); every form works without
JavaScript. The pages are one more adapter over the application layer, as the CLI is: a page
reads through it (`infra.application.items.read`, the commands), which authorises the read and
writes it to the access log; a form records a step through it (`change_as`), whose workflow's
validator refuses a wrong person, order or value with one line, shown on the page with nothing
recorded.

Signing in: a password (the invitation's), or the council's identity provider when one is set.
The session is a cookie holding the sign-in's token (HttpOnly, SameSite=Lax, Secure over
HTTPS); every form carries a CSRF token bound to it (an HMAC of the token under the session
secret), checked before anything is asked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from infra.application.errors import AppError, NotSignedIn
from infra.http.forms import kept_value, shape, step_form, values_of
from infra.logging import get_logger
from infra.settings import Settings

log = get_logger("infra.http.pages")

SESSION_COOKIE = "qa_session"
SIGN_IN_COOKIE = "qa_sign_in"  # the sign-in form's nonce, before there is a session
HERE = Path(__file__).parent


class Page(Exception):
    """Render a page instead of answering as the API does: a form's error, a redirect to sign in."""

    def __init__(self, response: Response) -> None:
        self.response = response


def add_pages(app: FastAPI, settings: Settings) -> None:
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

    from infra.http.oidc import session_secret

    secret = session_secret(settings).encode()
    secure = (settings.server_url or "").startswith("https://")
    templates = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(HERE / "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    _words(templates)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def csrf(token: str) -> str:
        return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        token = request.cookies.get(SESSION_COOKIE)
        body = templates.get_template(name).render(
            request=request, **{"csrf": csrf(token) if token else "", "oidc": bool(settings.oidc_issuer), **context}
        )
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    async def person(request: Request) -> str:
        """Who is signed in, or a redirect to the sign-in page that comes back here."""
        from infra.application.sign_in import authenticate

        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                return await authenticate(token)
            except NotSignedIn:
                pass
        back = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        raise Page(RedirectResponse(f"/sign-in?next={back}", status_code=303))

    async def form_of(request: Request) -> dict[str, Any]:
        """The form's values, once its CSRF token is checked against the session's."""
        form = await request.form()
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token or not hmac.compare_digest(str(form.get("csrf", "")), csrf(token)):
            raise Page(render(request, "message.html", 403, title="This form has expired", text=_EXPIRED))
        return values_of(form.multi_items())

    @app.exception_handler(Page)
    async def page(request: Request, exc: Page) -> Response:
        return exc.response

    # --- signing in ----------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/my-work", status_code=303)

    def sign_in_form(request: Request, status: int = 200, **context: Any) -> Response:
        """The sign-in page, its form bound to a nonce in a cookie of its own: a sign-in posted from another site
        (to sign a person in as someone else, login CSRF) has neither and is refused."""
        nonce = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
        response = render(request, "sign_in.html", status, csrf=csrf(SIGN_IN_COOKIE + nonce), **context)
        response.set_cookie(
            SIGN_IN_COOKIE, nonce, max_age=3600, path="/sign-in", httponly=True, samesite="lax", secure=secure
        )
        return response

    @app.get("/sign-in", include_in_schema=False)
    async def sign_in_page(request: Request, next: str = "/my-work") -> Response:  # noqa: A002 - the form's name
        return sign_in_form(request, next=local_path(next), values={})

    @app.post("/sign-in", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        from domain.sign_in import TOKEN_LIFETIME
        from infra.application.sign_in import password_sign_in
        from infra.http.server import client_address

        form = await request.form()
        staff_id, password = str(form.get("staff_id", "")).strip(), str(form.get("password", ""))
        target = local_path(str(form.get("next", "/my-work")))
        nonce = request.cookies.get(SIGN_IN_COOKIE, "")
        if not nonce or not hmac.compare_digest(str(form.get("csrf", "")), csrf(SIGN_IN_COOKIE + nonce)):
            return sign_in_form(request, 403, next=target, error=_EXPIRED, values={"staff_id": staff_id})
        if not staff_id or not password:
            error = "Enter your user name and your password"
            return sign_in_form(request, 400, next=target, error=error, values={"staff_id": staff_id})
        try:
            issued = await password_sign_in(staff_id, password, client_address(request), TOKEN_LIFETIME)
        except AppError as exc:
            return sign_in_form(request, 400, next=target, error=str(exc), values={"staff_id": staff_id})
        response = start_session(RedirectResponse(target, status_code=303), issued.secret, secure)
        response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
        return response

    @app.post("/sign-out", include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        from infra.application.sign_in import sign_out as revoke

        await form_of(request)
        await revoke(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # --- my work -------------------------------------------------------------------------------

    @app.get("/my-work", include_in_schema=False)
    async def my_work(request: Request) -> Response:
        from infra.application.commands import perform

        me = await person(request)
        inbox = await perform("inbox", {"person": me}, me)
        alerts = await perform("alerts", {}, me)
        try:  # for the QA team and auditors: the e-mails that did not go out, to follow up
            undelivered = await perform("notifications.failed", {}, me)
        except AppError:
            undelivered = None
        return render(request, "my_work.html", me=me, inbox=inbox, alerts=alerts, undelivered=undelivered)

    @app.get("/my-practice", include_in_schema=False)
    async def my_practice(request: Request) -> Response:
        from infra.application.commands import perform

        me = await person(request)
        reviews = await perform("practice.mine", {}, me)
        return render(request, "my_practice.html", me=me, reviews=reviews)

    # --- items ---------------------------------------------------------------------------------

    async def item_page(request: Request, item_id: str, status: int = 200, **context: Any) -> Response:
        from infra.application.items import read

        me = await person(request)
        try:
            kind, state = await read(item_id, me)
        except AppError as exc:
            return render(request, "message.html", 404, title="This page cannot be shown", text=str(exc), me=me)
        template = _TEMPLATES.get(kind.prefix, "item.html")
        return render(
            request,
            template,
            status,
            me=me,
            item_id=item_id,
            kind=kind,
            state=state,
            done=request.query_params.get("done"),
            **await _for_template(template, item_id, kind, state, me),
            **{"values": {}, "failed": None, "more": "", **context},
        )

    @app.get("/items/{item_id}", include_in_schema=False)
    async def show_item(request: Request, item_id: str) -> Response:
        return await item_page(request, item_id)

    @app.get("/items/{item_id}/history", include_in_schema=False)
    async def show_history(request: Request, item_id: str, as_of: str = "") -> Response:
        """An item's record for those who may read it: its history in words on a timeline, the state as it stood
        at a moment they choose, and, for those who keep and check the record, whether its chain holds."""
        from domain.audit_views import state_lines
        from infra.application.commands import perform

        me = await person(request)
        try:
            history = await perform("audit.history", {"item_id": item_id}, me)
        except AppError as exc:
            return render(request, "message.html", 404, title="This page cannot be shown", text=str(exc), me=me)
        replayed, error = None, None
        if as_of.strip():
            try:
                replayed = await perform("audit.replay", {"item_id": item_id, "as_of": as_of.strip()}, me)
            except AppError as exc:
                error = str(exc).removeprefix("--as-of: ")
        try:
            verified = await perform("audit.verify", {"stream": item_id, "engine": False}, me)
        except AppError:
            verified = None  # not one who checks the record: the page says nothing of it
        return render(
            request,
            "history.html",
            400 if error else 200,
            me=me,
            item_id=item_id,
            history=history,
            as_of=as_of,
            replayed=replayed,
            replayed_lines=state_lines(replayed.state) if replayed else [],
            verified=verified,
            error=error,
            failed="as_of",
        )

    @app.get("/items/{item_id}/bundle", include_in_schema=False)
    async def download_bundle(request: Request, item_id: str) -> Response:
        """The item's evidence bundle (`qa audit export`) as one zip file, for those who may take it."""
        import io
        import zipfile

        from infra.application.commands import perform

        me = await person(request)
        try:
            bundle = await perform("audit.export", {"item_id": item_id, "to": "a download from the web pages"}, me)
        except AppError as exc:
            return render(request, "message.html", 403, title="This bundle cannot be given", text=str(exc), me=me)
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(bundle.files.items()):
                archive.writestr(f"{item_id}/{name}", data)
        return Response(
            packed.getvalue(),
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{item_id}-evidence.zip"',
                "Cache-Control": "no-store",
            },
        )

    @app.post("/items/{item_id}/{step}", include_in_schema=False)
    async def take_step(request: Request, item_id: str, step: str) -> Response:
        """A step's form: recorded, or shown again with what was given and why it was refused; or shown again with
        one more row where "add another" was pressed (nothing recorded)."""
        from infra.application.items import change_as, checked_id
        from infra.application.status import kind_of_item

        me = await person(request)
        values = await form_of(request)
        more = values.pop("more", "")
        if isinstance(more, str) and more:
            return await item_page(request, item_id, failed=step, values=values, more=more)
        try:
            request_type = _steps(await kind_of_item(checked_id(item_id))).get(step)
            await change_as(item_id, step, shape(request_type, values) if request_type else values, me)
        except AppError as exc:
            return await item_page(request, item_id, 400, error=str(exc), failed=step, values=values)
        return RedirectResponse(f"/items/{quote(item_id)}?done={quote(step)}", status_code=303)

    async def raise_from(
        request: Request, command: str, source: str, failed: str, raised_id: Callable[[Any], str]
    ) -> Response:
        """An item raised from the page of another (`source`, the form's field naming it): on to the new one, or
        back to that page with the refusal."""
        from infra.application.commands import perform

        me = await person(request)
        values = await form_of(request)
        try:
            raised = await perform(command, values, me)
        except AppError as exc:
            return await item_page(
                request, str(values.get(source, "")), 400, error=str(exc), failed=failed, values=values
            )
        return RedirectResponse(f"/items/{quote(raised_id(raised))}?done=raised", status_code=303)

    @app.post("/alerts", include_in_schema=False)
    async def raise_alert(request: Request) -> Response:
        return await raise_from(request, "alert.raise", "from_item", "alert", lambda raised: raised.id)

    @app.post("/disputes", include_in_schema=False)
    async def raise_dispute(request: Request) -> Response:
        return await raise_from(request, "dispute.raise", "review_id", "dispute", lambda dispute_id: dispute_id)


_TEMPLATES = {
    "review.": "review.html",
    "alert.": "alert.html",
    "cycle.": "cycle.html",
    "qapm.": "qapm.html",
    "plan.": "plan.html",
}
# What a dispute may be about, in the framework's words (domain.dispute).
DISPUTE_ABOUT = [
    {"value": "judgement", "text": "The judgement: the grade"},
    {"value": "actions", "text": "The recommended actions"},
    {"value": "opinion", "text": "A difference of professional opinion"},
]


async def _for_template(template: str, item_id: str, kind: Any, state: Any, me: str) -> dict[str, Any]:
    """What only some item pages need, asked for only by them: a kind's state in lines and its steps' forms
    (the generic page); whether the reader is in the QA team (the cycle's allocations, the review's reflection
    not obtained) and the grades of record (the cycle's sample)."""
    if template == "item.html":
        from domain.audit_views import state_lines

        return {"lines": state_lines(state.model_dump(mode="json")), "steps": _steps(kind)}
    if template in ("cycle.html", "review.html"):
        from domain.permissions import QA_TEAM
        from infra.application.commands import perform
        from infra.application.directory import staff_member

        member = await staff_member(me)
        qa_team = member is not None and member.active and bool(member.roles & set(QA_TEAM))
        if template == "review.html":
            return {"qa_team": qa_team}
        return {"qa_team": qa_team, "graded": await perform("cpr.grades", {"cycle_id": item_id}, me)}
    return {}


def _words(templates: Any) -> None:
    """What the templates say in the framework's words: the rubric's descriptors beside each choice, the
    Ofsted descriptors beside each grade, moments in London time."""
    from domain.audit_views import describe
    from domain.rubric import CRITERION_IDS, OFSTED_COLUMNS, OFSTED_DESCRIPTORS, RUBRIC, Evidence, Grade
    from domain.wording import sentence
    from infra.http.charts import stacked_bars

    def ofsted(grade: Grade) -> str:
        said = [f"{OFSTED_COLUMNS[c]}: {text}" for c, text in OFSTED_DESCRIPTORS[grade].items() if text]
        return " ".join(said) or f"The framework quotes no Ofsted descriptor for {grade.value}."

    templates.globals.update(
        local=_local,
        step_form=step_form,
        kept_value=kept_value,
        step_request=lambda kind, step: _steps(kind)[step],
        describe=describe,
        rubric=RUBRIC,
        criteria_count=len(CRITERION_IDS),
        grade_choices=[{"value": g.value, "text": g.value, "hint": {"text": ofsted(g)}} for g in Grade],
        dispute_about=DISPUTE_ABOUT,
        bars=stacked_bars,
        grade_names=[g.value for g in Grade],
    )
    templates.filters.update(
        choice=lambda c: {"value": c[0], "text": c[1]},
        score=lambda n: {"value": str(n), "text": str(n)},
        sentence=sentence,
        case_choice=lambda case_number: {"value": case_number, "text": f"Case {case_number}"},
        grade_row=lambda service, grades: (service, [grades[service].get(g.value, 0) for g in Grade]),
        deadline_row=lambda d: (d.what, [d.met, d.late, d.missed]),
        trend_row=lambda c: (c.start.isoformat(), [c.grades.get(g.value, 0) for g in Grade]),
        action_choice=lambda a: {"value": a.action_id, "text": f"{a.action_id}: {a.action}"},
        moderation_choice=lambda c: {
            "value": c.case_number,
            "text": f"Case {c.case_number}",
            "hint": {"text": f"Graded {c.grade.value} by {c.reviewer}; due {_local(c.moderation.due_at)}"},
        },
        evidence_choices=lambda c: [
            {"value": e.value, "text": e.label, "hint": {"text": c.descriptor(e)}} for e in Evidence
        ],
    )


_EXPIRED = "Go back, reload the page and try again: nothing was recorded."


def problem_page(text: str, status: int, title: str = "Sorry, there is a problem") -> HTMLResponse:
    """A page on its own, in one line: one that could not be made (Temporal or PostgreSQL away, a fault), or a
    sign-in the identity provider's answer refused. Plain HTML: it needs nothing that may have failed."""
    from html import escape

    return HTMLResponse(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} -'
        ' Quality Assurance Framework</title><link rel="stylesheet" href="/static/qa.css"></head><body>'
        '<div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">'
        f'<h1 class="govuk-heading-l">{escape(title)}</h1><p class="govuk-body">{escape(text)}</p>'
        '<p class="govuk-body"><a class="govuk-link" href="/my-work">Go to my work</a></p></main></div></body></html>',
        status_code=status,
    )


def start_session(response: Response, token: str, secure: bool) -> Response:
    """`response` with the browser's session: the sign-in's token, for as long as it holds, out of scripts' reach."""
    from domain.sign_in import TOKEN_LIFETIME

    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(TOKEN_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",  # sent when a link in an e-mail is followed; every form has its CSRF token besides
        secure=secure,
    )
    return response


def local_path(target: str) -> str:
    """Where to go after signing in: a path on this server only, never another site (`//host` and `/\\host` are
    another site to a browser)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and target.isprintable():
        return target
    return "/my-work"


def _local(moment: datetime | None) -> str:
    """A moment as people in the council read it: Europe/London, e.g. 'Mon 29 Nov 2027 23:59'."""
    from domain.working_days import LONDON

    if moment is None:
        return ""
    at = moment.astimezone(LONDON)
    return f"{at:%a} {at.day} {at:%b %Y %H:%M}"


def _steps(kind: Any) -> dict[str, type]:
    from workflows.registry import people_updates

    return {name: request for name, (_, request) in people_updates(kind.workflow_type).items()}
