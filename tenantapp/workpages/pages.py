"""The worker pages ``/t/<slug>/work/`` (SPEC §4.5): sign-in, today's and upcoming jobs, a job
page with "On my way", the checklist, the timer and camera photos, and the web app manifest.

Every form posts to the server and comes back to the page (post/redirect/get), so the pages work
without script; ``work.js`` only adds niceties (sending a photo as soon as it is taken, a ticking
timer). Each action calls the same service as the worker API, through the portal's visibility
rule, and shows the API's error beside the part of the page it concerns, with the API's status.
"""

from __future__ import annotations

import json
import uuid

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from marshmallow import ValidationError

from shared.auth.guards import public
from shared.errors import AppError, ValidationFailed, flatten_messages
from shared.runtime import current_runtime
from shared.web.pages import render_page
from tenantapp.checklists import service as checklists
from tenantapp.checklists.schemas import RunItemPatch
from tenantapp.photos import service as photos
from tenantapp.photos.upload import read_upload
from tenantapp.portal import service as portal
from tenantapp.portal.schemas import OnMyWayIn
from tenantapp.settings.service import get_settings
from tenantapp.timetracking import service as timer
from tenantapp.timetracking.schemas import FinishIn
from tenantapp.timetracking.service import Actor
from tenantapp.workers import service as workers
from tenantapp.workpages import session, view

blp = Blueprint("work_pages", __name__, template_folder="templates")

NO_STORE = {"Cache-Control": "no-store"}
MAX_FIELD = 2000
TIMER_ACTIONS = {"start": timer.start, "pause": timer.pause, "resume": timer.resume}
DONE_MESSAGES = {"on-my-way", "ticked", "complete", "start", "pause", "resume", "finish", "photo"}
DONE_MESSAGES |= {"photo-deleted", "note"}


def _field(name: str) -> str:
    value = request.form.get(name, "")
    return "" if "\x00" in value else value[: MAX_FIELD + 1]


def _problem(exc: AppError) -> dict:
    errors = exc.extra.get("errors") or []
    return {
        "message": exc.detail,
        "fields": {e["field"]: e["message"] for e in errors},
        "missing": exc.extra.get("missing_item_ids") or [],
    }


def _invalid(exc: ValidationError) -> AppError:
    return ValidationFailed(flatten_messages(exc.messages))


def _company() -> str:
    return get_settings().company_name


# ---------------------------------------------------------------------------- sign-in


def _safe_next(value: str | None) -> str | None:
    """Only a path inside the worker pages (never another site or another workspace)."""
    if not value or "\\" in value or "\x00" in value or not value.startswith("/work/"):
        return None
    return value if len(value) < 500 else None


def _login_page(status: int = 200, **context) -> Response:
    resp = render_page(
        "workpages/login.html",
        status=status,
        headers=NO_STORE,
        company=_company(),
        csrf=session.login_csrf_token(),
        next=_safe_next(request.values.get("next")),
        **context,
    )
    return session.keep_login_nonce(resp)


@blp.get("/work/login")
@public
def login():
    if session.current_worker_token():
        return redirect(url_for("work_pages.jobs"), 303)
    return _login_page(email=request.args.get("email", "")[:254])


@blp.post("/work/login")
@public
def login_submit():
    email = _field("email").strip()[:254]
    try:
        session.check_login_csrf()
        token, expires_at = workers.login(email, _field("password")[:1024])
    except AppError as exc:
        resp = _login_page(exc.status, email=email, error=exc.detail)
        for name, value in exc.headers.items():
            if name.lower() == "retry-after":
                resp.headers[name] = value
        return resp
    target = _safe_next(request.form.get("next")) or "/work/"
    return session.start(redirect(request.script_root + target, 303), token, expires_at)


@blp.post("/work/logout")
@session.signed_in
def logout():
    session.revoke_current()
    return session.end(redirect(url_for("work_pages.login"), 303))


# ---------------------------------------------------------------------------- jobs


@blp.get("/work/")
@session.signed_in
def jobs():
    return render_page(
        "workpages/jobs.html", headers=NO_STORE, company=_company(), **view.jobs_page()
    )


def _job_page(booking_id: int, status: int = 200, errors: dict | None = None) -> Response:
    try:
        model = view.job_page(booking_id)
    except AppError as exc:
        if exc.status != 404:
            raise
        return render_page(
            "workpages/missing.html", status=404, headers=NO_STORE, company=_company()
        )
    return render_page(
        "workpages/job.html",
        status=status,
        headers=NO_STORE,
        company=_company(),
        errors=errors or {},
        done=request.args.get("done") if request.args.get("done") in DONE_MESSAGES else None,
        **model,
    )


@blp.get("/work/jobs/<int:booking_id>")
@session.signed_in
def job(booking_id: int):
    return _job_page(booking_id)


def _act(booking_id: int, part: str, action, done: str, anchor: str | None = None):
    """Run ``action`` on one of my jobs; back to the job page (its error beside ``part``)."""
    try:
        portal.visible_job(booking_id)
        action()
    except ValidationError as exc:
        problem = _invalid(exc)
        return _job_page(booking_id, problem.status, {part: _problem(problem)})
    except AppError as exc:
        if exc.status == 404:
            return _job_page(booking_id)  # the job is not (or no longer) mine: its 404 page
        return _job_page(booking_id, exc.status, {part: _problem(exc)})
    target = url_for("work_pages.job", booking_id=booking_id, done=done)
    return redirect(f"{target}#{anchor or part}", 303)


@blp.post("/work/jobs/<int:booking_id>/on-my-way")
@session.signed_in
def on_my_way(booking_id: int):
    def run():
        raw = _field("eta_minutes").strip()
        eta = int(raw) if raw.isdigit() and len(raw) < 6 else (raw or None)
        data = OnMyWayIn().load({"eta_minutes": eta})
        portal.on_my_way(booking_id, data["eta_minutes"])

    return _act(booking_id, "on-my-way", run, "on-my-way")


@blp.post("/work/jobs/<int:booking_id>/checklist/items/<int:item_id>")
@session.signed_in
def checklist_item(booking_id: int, item_id: int):
    body = {}
    if "done" in request.form:
        body["done"] = _field("done")
    if "note" in request.form:
        body["note"] = _field("note").strip() or None

    def run():
        checklists.update_item(booking_id, item_id, RunItemPatch().load(body))

    done = "note" if "note" in body else "ticked"
    return _act(booking_id, "checklist", run, done, anchor=f"item-{item_id}")


@blp.post("/work/jobs/<int:booking_id>/checklist/complete")
@session.signed_in
def checklist_complete(booking_id: int):
    return _act(booking_id, "checklist", lambda: checklists.complete(booking_id), "complete")


def _me() -> Actor:
    return Actor(worker_id=portal.my_worker_id(), portal=True)


@blp.post("/work/jobs/<int:booking_id>/time/<action>")
@session.signed_in
def time_action(booking_id: int, action: str):
    if action == "finish":

        def run():
            body = {"overrun_reason": _field("overrun_reason") or None}
            body["note"] = _field("note").strip() or None
            data = FinishIn().load(body)
            timer.finish(booking_id, data["overrun_reason"], data["note"], _me())

    elif action in TIMER_ACTIONS:

        def run():
            TIMER_ACTIONS[action](booking_id, _me())

    else:
        abort(404)
    return _act(booking_id, "timer", run, action)


@blp.post("/work/jobs/<int:booking_id>/photos")
@session.signed_in
def photo_upload(booking_id: int):
    def run():
        # As the API's upload: consent first (nothing read when refused), then stream, then store.
        photos.booking_for_upload(booking_id)
        max_bytes = current_runtime().settings.photo_max_bytes
        upload = read_upload(request.stream, request.content_type, max_bytes)
        photos.store_photo(
            booking_id, upload, photos.Uploader("worker", str(portal.my_worker_id()))
        )

    return _act(booking_id, "photos", run, "photo")


@blp.post("/work/jobs/<int:booking_id>/photos/<uuid:photo_id>/delete")
@session.signed_in
def photo_delete(booking_id: int, photo_id: uuid.UUID):
    def run():
        me = photos.Uploader("worker", str(portal.my_worker_id()))
        photos.delete_photo(booking_id, photo_id, only_by=me)

    return _act(booking_id, "photos", run, "photo-deleted")


# ---------------------------------------------------------------------------- home screen


@blp.get("/work/manifest.webmanifest")
@public
def manifest():
    asset_url = current_app.jinja_env.globals["asset"]
    base = f"{request.script_root}/work/"
    body = {
        "name": f"{_company()} — jobs",
        "short_name": "Jobs",
        "start_url": base,
        "scope": base,
        "id": base,
        "display": "standalone",
        "background_color": "#f6f7f9",
        "theme_color": "#0f766e",
        "icons": [
            {"src": asset_url(f"work/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
            for n in (192, 512)
        ],
    }
    resp = Response(json.dumps(body), mimetype="application/manifest+json")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp
