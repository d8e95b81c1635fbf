"""The customer's account pages (SPEC §5.13): ``/t/<slug>/account`` and its actions.

Ways in: a magic link (``/account/signin?token=``, from ``POST /client/login`` or the sign-in
form) opens a 30-day session; the booking's manage link
(``/account?booking=<id>&token=<manage token>``) opens that one booking without a session, with
a sign-in form for the rest. Every action is a plain form (POST + CSRF token) calling the same
service functions as the public API, so the rules and their 409s are the API's; a booking, plan
or invoice that is not the customer's is a 404.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, g, redirect, request, url_for
from marshmallow import ValidationError, fields

from shared.auth.guards import public
from shared.errors import AppError, NotFound
from shared.limits import client_ip
from shared.web.pages import page_language
from tenantapp.account import signin, view, web
from tenantapp.bookings import lifecycle
from tenantapp.bookings import links as booking_links
from tenantapp.bookings import service as bookings
from tenantapp.payments import cards
from tenantapp.plans import changes

blp = Blueprint("account_pages", __name__, template_folder="templates")

MAX_ID = 10**18
_email = fields.Email()


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) < MAX_ID else None


def _token_ok(token: str | None, booking_id: int) -> bool:
    try:
        booking_links.check_manage_token(token, booking_id)
    except AppError:
        return False
    return True


def _booking_for_action(booking_id: int) -> tuple:
    """(booking, manage token or None): the session's own booking, or the one the manage token
    in the form/query opens; anything else is 404."""
    token = request.values.get("token")
    if token and _token_ok(token, booking_id):
        return bookings.get(booking_id), token
    who = web.client()
    if who is None:
        raise NotFound("No such booking.")
    return view.owned_booking(who.customer_id, booking_id), None


def _back(token: str | None, booking_id: int, notice: str):
    if token:
        url = url_for("account_pages.account", booking=booking_id, token=token, notice=notice)
    else:
        url = url_for("account_pages.account", notice=notice)
    return redirect(url, 303)


@blp.get("/account")
@public
def account():
    lang = page_language()
    notice = request.args.get("notice") if request.args.get("notice") in NOTICES else None
    booking_id = _int(request.args.get("booking"))
    token = request.args.get("token")
    who = web.client()
    if booking_id is not None and token and _token_ok(token, booking_id):
        booking = bookings.get(booking_id)
        if who is None or who.customer_id != booking.customer_id:
            return web.page(
                "account/booking.html",
                visit=view.one_booking(booking, lang),
                token=token,
                notice=notice,
            )
    elif booking_id is not None or token:
        return web.page("account/signin.html", status=404, error="link_invalid")
    if who is None:
        return web.page("account/signin.html", notice=notice)
    return web.page("account/account.html", notice=notice, **view.overview(who.customer_id, lang))


NOTICES = {"cancelled", "rescheduled", "skipped", "paused", "signed_out", "cancel_requested"}


@blp.post("/account/login")
@public
def login():
    web.check_csrf()
    email = (request.form.get("email") or "").strip()[:320]
    try:
        _email.deserialize(email)
    except ValidationError:
        return web.page("account/signin.html", status=422, email=email, error="email_invalid")
    try:
        signin.request_link(email, client_ip())
    except AppError as exc:
        if exc.status != 429:
            raise
        resp = web.page("account/signin.html", status=429, email=email, error="rate_limited")
        resp.headers.update(exc.headers)
        return resp
    return web.page("account/signin.html", sent=True, email=email)


@blp.get("/account/signin")
@public
def signin_link():
    try:
        token, _ = signin.consume_link(request.args.get("token"))
    except signin.LinkRefused as exc:
        # The browser leaves with no session at all: a refused link never leaves it signed in
        # (as someone else, on a shared computer) behind a page that says it did not work.
        g.account_client = None
        resp = web.page("account/signin.html", status=410, error="link_" + exc.reason)
        web.clear_session(resp)
        return resp
    resp = redirect(url_for("account_pages.account"), 303)
    resp.headers.update(web.PRIVATE)
    web.set_session(resp, token)
    return resp


@blp.post("/account/logout")
@public
def logout():
    web.check_csrf()
    who = web.client()
    if who is not None:
        signin.sign_out(who.session_id)
    resp = redirect(url_for("account_pages.account", notice="signed_out"), 303)
    web.clear_session(resp)
    return resp


@blp.route("/account/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@public
def cancel(booking_id: int):
    booking, token = _booking_for_action(booking_id)
    lang = page_language()
    shown = view.one_booking(booking, lang)
    refund = view.refund_preview(booking, view.utcnow())
    context = {"visit": shown, "token": token, "refund": refund}
    if not shown["can_cancel"]:
        return web.page("account/cancel.html", status=409, error="cannot_cancel", **context)
    if request.method == "GET":
        return web.page("account/cancel.html", **context)
    web.check_csrf()
    try:
        lifecycle.cancel(booking_id, "customer request", "customer")
    except AppError as exc:
        return web.page("account/cancel.html", status=exc.status, detail=exc.detail, **context)
    return _back(token, booking_id, "cancelled")


@blp.route("/account/bookings/<int:booking_id>/skip", methods=["GET", "POST"])
@public
def skip(booking_id: int):
    booking, token = _booking_for_action(booking_id)
    shown = view.one_booking(booking, page_language())
    context = {"visit": shown, "token": token}
    if not shown["can_skip"]:
        return web.page("account/skip.html", status=409, error="cannot_skip", **context)
    if request.method == "GET":
        return web.page("account/skip.html", **context)
    web.check_csrf()
    try:
        changes.skip(booking_id, "customer request", by="customer")
    except AppError as exc:
        return web.page("account/skip.html", status=exc.status, detail=exc.detail, **context)
    return _back(token, booking_id, "skipped")


def _day(raw: str | None, default: date, today: date) -> date:
    try:
        day = date.fromisoformat(raw) if raw else default
    except ValueError:
        day = default
    return max(day, today)


@blp.route("/account/bookings/<int:booking_id>/reschedule", methods=["GET", "POST"])
@public
def reschedule(booking_id: int):
    booking, token = _booking_for_action(booking_id)
    shown = view.one_booking(booking, page_language())
    today = datetime.now(view.tenant_zone()).date()
    day = _day(request.values.get("date"), max(shown["starts_at_local"].date(), today), today)
    context = {"visit": shown, "token": token, "day": day, "today": today}
    if not shown["can_reschedule"]:
        return web.page("account/reschedule.html", status=409, error="cannot_move", **context)
    if request.method == "POST":
        web.check_csrf()
        try:
            start = datetime.fromisoformat(request.form.get("starts_at", ""))
            if start.tzinfo is None:
                raise ValueError("naive")
        except ValueError:
            detail = "Choose one of the times offered."
            return web.page(
                "account/reschedule.html",
                status=422,
                detail=detail,
                slots=view.times_for(booking, day),
                **context,
            )
        try:
            lifecycle.move(booking_id, start, None, by="customer")
        except AppError as exc:
            return web.page(
                "account/reschedule.html",
                status=exc.status,
                detail=exc.detail,
                slots=view.times_for(booking, day),
                **context,
            )
        return _back(token, booking_id, "rescheduled")
    return web.page("account/reschedule.html", slots=view.times_for(booking, day), **context)


@blp.post("/account/plans/<int:plan_id>/pause")
@public
def pause(plan_id: int):
    who = web.client()
    if who is None:
        raise NotFound("No such plan.")
    view.owned_plan(who.customer_id, plan_id)
    web.check_csrf()
    weeks = _int(request.form.get("weeks"))
    lang = page_language()
    if weeks is None or not 1 <= weeks <= 8:
        return web.page(
            "account/account.html",
            status=422,
            pause_error=(plan_id, "Choose from 1 to 8 weeks."),
            **view.overview(who.customer_id, lang),
        )
    try:
        changes.customer_pause(plan_id, weeks)
    except AppError as exc:
        return web.page(
            "account/account.html",
            status=exc.status,
            pause_error=(plan_id, exc.detail),
            **view.overview(who.customer_id, lang),
        )
    return redirect(url_for("account_pages.account", notice="paused"), 303)


@blp.post("/account/plans/<int:plan_id>/cancel-request")
@public
def plan_cancel_request(plan_id: int):
    """Ask the company to end the plan (SPEC §5.10: a request, staff decide)."""
    who = web.client()
    if who is None:
        raise NotFound("No such plan.")
    view.owned_plan(who.customer_id, plan_id)
    web.check_csrf()
    reason = (request.form.get("reason") or "").strip()
    if len(reason) > 500:
        return web.page(
            "account/account.html",
            status=422,
            cancel_error=(plan_id, "Please keep the reason under 500 characters."),
            **view.overview(who.customer_id, page_language()),
        )
    changes.request_cancellation(plan_id, reason or None)
    return redirect(url_for("account_pages.account", notice="cancel_requested"), 303)


@blp.post("/account/card")
@public
def save_card():
    """Save a card for later invoices: Stripe Checkout in setup mode (payments' service)."""
    who = web.client()
    if who is None:
        raise NotFound("Sign in first.")
    web.check_csrf()
    return redirect(cards.start_card_setup(who.customer_id), 303)


@blp.errorhandler(AppError)
def _problem_page(exc: AppError):
    """Errors of these pages are pages too (a 404 for someone else's booking, an old form)."""
    resp = web.page("account/problem.html", status=exc.status, detail=exc.detail)
    resp.headers.update(exc.headers)
    return resp
