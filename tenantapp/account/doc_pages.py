"""The customer's invoice page and feedback page (SPEC §5.13).

- ``/t/<slug>/invoices/<id>?token=``: the invoice from ``invoices/templates/invoice.html``, the
  same template the PDF is printed from, with its stylesheets as fingerprinted assets (the page
  runs under the strict CSP) and Pay and PDF buttons. Pay posts to the public
  ``POST /v1/invoices/{id}/pay?token=`` (SPEC §5.11; ``pay.js`` follows its ``checkout_url``);
  PDF is ``GET /v1/invoices/{id}/pdf?token=``. The signed invoice token is the credential; a
  draft, another workspace's invoice or a bad token is a 404 page.
- ``/t/<slug>/feedback/<token>``: the review request (``tenantapp.reviews``): 0–10 and a comment,
  stored once; an answered link shows the answer given.
"""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from shared.auth.guards import public
from shared.errors import AppError, NotFound
from shared.web import i18n
from shared.web.assets import assets_of
from shared.web.csp import Csp
from shared.web.pages import page_language
from tenantapp.account import web
from tenantapp.invoices import pdf
from tenantapp.invoices import public as invoice_public
from tenantapp.invoices import reading as invoice_reading
from tenantapp.invoices import state as invoice_state
from tenantapp.reviews import service as reviews

blp = Blueprint("account_doc_pages", __name__, template_folder="templates")

MAX_TOKEN = 500
COMMENT_MAX = 2000


@blp.get("/invoices/<int:invoice_id>")
@public
def invoice(invoice_id: int):
    token = request.args.get("token", "")[:MAX_TOKEN]
    try:  # the token, a draft, another workspace: the public side's own checks (404)
        shown = invoice_public.invoice_page_data(invoice_id, token)
    except AppError as exc:
        raise NotFound("This invoice link is not valid.") from exc
    inv = invoice_state.get_invoice(invoice_id)
    lang = page_language()
    api = f"{request.script_root}/v1/invoices/{invoice_id}"
    assets = assets_of()
    page = {
        "stylesheets": [assets.url(f"invoice/{name}") for name in pdf.STYLESHEETS],
        "scripts": [assets.url("account/pay.js")],
        "actions": {
            "label": i18n.message("invoice_page.actions", lang),
            "pay_url": f"{api}/pay?token={token}" if shown["can_pay"] else None,
            "pay_text": i18n.message("invoice_page.pay", lang),
            "pdf_url": f"{api}/pdf?token={token}",
            "pdf_text": i18n.message("invoice_page.pdf", lang),
            "account_url": url_for("account_pages.account") if web.client() else None,
            "account_text": i18n.message("invoice_page.account", lang),
            "pay_failed": i18n.message("invoice_page.pay_failed", lang),
        },
    }
    html = pdf.render_html(
        invoice_reading.invoice_view(invoice_id), inv.seller or {}, inv.footer, True, page
    )
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = Csp().header()
    resp.headers.update(web.PRIVATE)
    return resp


def _score(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and int(raw) <= 10 else None


@blp.route("/feedback/<token>", methods=["GET", "POST"])
@public
def feedback(token: str):
    if len(token) > MAX_TOKEN:
        raise NotFound("This feedback link is not valid or has expired.")
    shown = reviews.view(token)
    if request.method == "GET" or shown["answered"]:
        return web.page("account/feedback.html", review=shown, token=token)
    web.check_csrf()
    score = _score(request.form.get("score"))
    comment = (request.form.get("comment") or "")[: COMMENT_MAX + 1]
    if score is None or len(comment) > COMMENT_MAX:
        error = "score" if score is None else "comment"
        return web.page(
            "account/feedback.html",
            status=422,
            review=shown,
            token=token,
            error=error,
            comment=comment,
        )
    return web.page(
        "account/feedback.html",
        review=reviews.submit(token, score, comment),
        token=token,
        thanks=True,
    )


@blp.errorhandler(AppError)
def _problem_page(exc: AppError):
    resp = web.page("account/problem.html", status=exc.status, detail=exc.detail)
    resp.headers.update(exc.headers)
    return resp
