"""Messages in the console (SPEC §5.14, §5.12): the conversations (customers who texted in, unread
first), one customer's thread with a reply box, and previews of every customer template.

The API's services and permissions: ``sms.service.conversations`` and ``thread`` (``view``;
opening the first page of a thread marks the customer's texts read, as ``GET
/admin/customers/{id}/messages`` does), ``staff_reply`` with ``ReplyIn`` (``dispatch``; no
consent → 409 ``opted_out``, over the plan → 402, both shown beside the text box) and
``bookings.previews.preview`` (``view``). Messages sit under Customers in the navigation.

The e-mail preview's HTML is never part of the console page: the page frames a separate URL
(sandboxed ``<iframe>``) that answers the HTML with a CSP allowing no script, no connection and
no form, framed by this origin only.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Response, g, request, url_for
from sqlalchemy import func, select

from shared import db
from shared.errors import AppError
from shared.web import i18n
from shared.web.csp import PAGE
from shared.web.pages import render_page
from tenantapp.bookings import previews
from tenantapp.bookings.models import Booking
from tenantapp.console import actions, forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.customers import service as customers
from tenantapp.settings.service import tenant_zone
from tenantapp.sms import schemas, service
from tenantapp.sms.models import SmsMessage
from tenantapp.sms.service import STAFF_MAX_CHARS

PAGE_SIZE = 50
THREAD_PAGE = 30
RECENT = 3  # texts on the customer's page
PREVIEW_BOOKINGS = 20  # bookings to preview a template with (the latest)
# The e-mail preview's frame: its own inline styles, images from anywhere (as a mail client
# would), nothing else; sandboxed (no script, no forms, a unique origin).
FRAME_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "sandbox; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
PREVIEW_CSP = replace(PAGE, frame=("'self'",))  # the page may frame only our own preview URL


def _section():
    g.console_section = "console.customers"  # Messages live under Customers


@blp.get("/messages")
@console_page("view")
def messages():
    _section()
    query = actions.query_filters(("unread", "cursor"))
    args = {"limit": PAGE_SIZE, "unread": "true" if query.get("unread") == "yes" else "false"}
    try:
        data = forms.load(schemas.ConversationArgs(), {**args, "cursor": query.get("cursor")})
        result = service.conversations(data["unread"], data["limit"], data["cursor"])
    except AppError:  # a damaged cursor: start again
        result = service.conversations(args["unread"] == "true", PAGE_SIZE, None)
    filters = {k: v for k, v in query.items() if k == "unread" and v == "yes"}
    nxt = result["next_cursor"]
    return render_page(
        "console/messages/list.html",
        items=result["items"],
        filters=filters,
        zone=tenant_zone(),
        next_url=url_for("console.messages", **filters, cursor=nxt) if nxt else None,
        first_url=url_for("console.messages", **filters) if query.get("cursor") else None,
    )


def _cursor() -> str | None:
    """The thread's page cursor: opaque and longer than a list filter (an instant, a source and
    an id, ~60 characters), so not cut to ``actions.query_filters``' 40."""
    value = request.args.get("cursor", "").replace("\x00", "").strip()[:200]
    return value or None


def _thread_page(customer_id: int, status=200, errors=None, summary=None, values=None):
    _section()
    customer = customers.get_customer(customer_id)  # another workspace's id → the 404 page
    cursor = _cursor()
    try:
        result = service.thread(customer_id, THREAD_PAGE, cursor)
    except AppError:  # a damaged cursor: the newest page
        cursor, result = None, service.thread(customer_id, THREAD_PAGE, None)
    nxt = result["next_cursor"]
    return render_page(
        "console/messages/thread.html",
        status=status,
        customer=customer,
        items=result["items"],
        zone=tenant_zone(),
        errors=errors or {},
        summary=summary,
        values=values or {},
        max_chars=STAFF_MAX_CHARS,
        sent=request.args.get("done") == "sent" and status == 200,
        next_url=url_for("console.conversation", customer_id=customer_id, cursor=nxt)
        if nxt
        else None,
        first_url=url_for("console.conversation", customer_id=customer_id) if cursor else None,
    )


@blp.get("/messages/<int:customer_id>")
@console_page("view")
def conversation(customer_id: int):
    return _thread_page(customer_id)


@blp.post("/messages/<int:customer_id>")
@console_page("dispatch")
def reply(customer_id: int):
    customers.get_customer(customer_id)  # 404 first, even for a bad form

    def run():
        data = forms.load(schemas.ReplyIn(), {"body": forms.text("body")})
        service.staff_reply(customer_id, data["body"])

    def page(status, errors, summary, values):
        # Consent, opt-out and the plan's limit are about this text: beside the box too.
        errors = {"body": errors.get("body") or summary}
        return _thread_page(customer_id, status, errors, None, values)

    done = url_for("console.conversation", customer_id=customer_id, done="sent")
    return actions.run_form(run, done, page, ("body",))


def recent_texts(customer_id: int) -> dict:
    """The customer's latest texts and how many of theirs are unread, for their page (reading
    only: the thread itself marks them read when opened)."""
    sess = db.session()
    rows = sess.scalars(
        select(SmsMessage)
        .where(SmsMessage.customer_id == customer_id)
        .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
        .limit(RECENT)
    )
    unread = sess.scalar(
        select(func.count()).where(
            SmsMessage.customer_id == customer_id,
            SmsMessage.direction == "in",
            SmsMessage.read_at.is_(None),
        )
    )
    return {"items": list(rows), "unread": unread or 0}


# -- template previews -----------------------------------------------------------------------


def _latest_bookings() -> list:
    rows = db.session().execute(
        select(Booking.id, Booking.customer_id, Booking.starts_at)
        .order_by(Booking.id.desc())
        .limit(PREVIEW_BOOKINGS)
    )
    return rows.all()


@blp.get("/messages/previews")
@console_page("view")
def previews_page():
    _section()
    bookings = _latest_bookings()
    query = actions.query_filters(("template", "booking_id"))
    values = {
        "template": schemas.PREVIEW_TEMPLATES[0],
        "booking_id": str(bookings[0].id) if bookings else "",
        **query,
    }
    errors, sms, email, email_error, status = {}, None, None, None, 200
    if values["booking_id"]:
        try:
            args = forms.load(
                schemas.PreviewArgs(), {**values, "booking_id": forms.number(values["booking_id"])}
            )
            sms = previews.preview(args["template"], args["booking_id"], "sms")
        except AppError as exc:
            if exc.status == 404 and not exc.extra.get("errors"):
                raise
            errors, _ = forms.field_errors(exc, ("template", "booking_id"))
            status = exc.status
        if sms is not None:
            try:
                email = previews.preview(args["template"], args["booking_id"], "email")
            except AppError as exc:  # a template without an e-mail version
                email_error = forms.field_errors(exc)[0].get("template", exc.detail)
    return render_page(
        "console/messages/previews.html",
        status=status,
        values=values,
        errors=errors,
        templates=schemas.PREVIEW_TEMPLATES,
        bookings=bookings,
        names=actions.customer_names(b.customer_id for b in bookings),
        zone=tenant_zone(),
        sms=sms,
        email=email,
        email_error=email_error,
        frame_url=url_for(
            "console.preview_frame",
            template=values["template"],
            booking_id=values["booking_id"],
        )
        if email
        else None,
        csp=PREVIEW_CSP,
    )


@blp.get("/messages/previews/email")
@console_page("view")
def preview_frame():
    """The e-mail's HTML alone, for the preview page's sandboxed frame."""
    query = actions.query_filters(("template", "booking_id"))
    args = forms.load(
        schemas.PreviewArgs(),
        {**query, "booking_id": forms.number(query.get("booking_id", "")), "channel": "email"},
    )
    rendered = previews.preview(args["template"], args["booking_id"], "email")
    resp = Response(rendered["html"] or "", mimetype="text/html")
    resp.headers["Content-Security-Policy"] = FRAME_CSP
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    g.allow_framing = True
    return resp


@blp.app_template_filter("console_template_option")
def _template_option(template: str) -> tuple[str, str]:
    return template, i18n.message(f"console.messages.templates.{template}")


@blp.app_template_filter("console_preview_booking_option")
def _booking_option(row, names: dict, zone) -> tuple[str, str]:
    when = row.starts_at.astimezone(zone).strftime("%b %d, %I:%M %p").replace(" 0", " ")
    return str(row.id), f"#{row.id} · {names.get(row.customer_id, '')} · {when}"
