"""``/dev/mail``: the messages ``make run``'s mail catcher kept (``APP_ENV=dev`` only).

Reads the ``.eml`` files in ``DEV_MAIL_DIR`` (newest first) and shows recipient, subject, time,
the text and every link, clickable. Never registered outside dev: it shows tokens in links.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, Flask, abort

from shared.web.pages import render_page

_LINK = re.compile(r"https?://[^\s<>\"')\]]+")
_NAME = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9]{4}\.eml$")
LIST_MAX = 200


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def links_of(mail: EmailMessage) -> list[str]:
    """Every distinct http(s) link of the message's text and HTML parts, in order."""
    found: dict[str, None] = {}
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            for link in _LINK.findall(part.get_content()):
                found.setdefault(link.rstrip(".,;"), None)
    return list(found)


def summary(mail: EmailMessage) -> dict:
    return {
        "to": mail.get("To", ""),
        "subject": mail.get("Subject", ""),
        "date": mail.get("Date", ""),
    }


def _read(folder: Path, name: str) -> EmailMessage:
    return message_from_bytes((folder / name).read_bytes(), policy=policy.default)


def init_app(app: Flask, folder: str) -> None:
    """Register ``/dev/mail`` on ``app`` for the catcher's ``folder``."""
    root = Path(folder)
    bp = Blueprint("dev_mail", __name__)

    @bp.get("/dev/mail")
    def inbox():
        names = sorted((p.name for p in root.glob("*.eml") if _NAME.match(p.name)), reverse=True)
        mails = []
        for name in names[:LIST_MAX]:
            mail = _read(root, name)
            mails.append({"name": name, **summary(mail), "links": links_of(mail)})
        return render_page("web/dev_mail.html", mails=mails, folder=str(root))

    @bp.get("/dev/mail/<name>")
    def message(name: str):
        if not _NAME.match(name) or not (root / name).is_file():
            abort(404)
        mail = _read(root, name)
        return render_page(
            "web/dev_mail.html",
            mail={"name": name, **summary(mail), "links": links_of(mail), "text": _text(mail)},
            folder=str(root),
        )

    app.register_blueprint(bp)
