"""An outgoing e-mail, independent of the transport that carries it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def header_value(value: str) -> str:
    """``value`` on one line: line breaks and other controls become a space.

    Names (a company's, a customer's) reach headers (From, Subject); a CR/LF in one would
    inject headers, and Python's e-mail package refuses it with ``ValueError``, which failed
    the send inside the mail circuit breaker and tripped it for everyone.
    """
    return " ".join(_LINE_BREAKS.sub(" ", value).split())


def address_value(value: str) -> str:
    """An address header's value, refused (``ValueError``) if it holds a line break: folded
    into one line, ``a@x.com\r\nBcc: b@y.com`` would read as a group naming a new recipient."""
    if _LINE_BREAKS.search(value):
        raise ValueError("an e-mail address must not contain line breaks")
    return value.strip()


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str
    from_addr: str
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)
    reply_to: str | None = None

    def to_mime(self) -> EmailMessage:
        """A multipart/alternative MIME message (text first, HTML preferred by clients)."""
        msg = EmailMessage()
        msg["From"] = header_value(self.from_addr)
        msg["To"] = address_value(self.to)
        msg["Subject"] = header_value(self.subject)
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = header_value(self.message_id)
        if self.reply_to and not _LINE_BREAKS.search(self.reply_to):
            msg["Reply-To"] = self.reply_to.strip()  # a broken reply address is left out
        for name, value in self.headers.items():
            msg[header_value(name)] = header_value(value)
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        return msg


def message_id(scope: str, outbox_id: int, domain: str) -> str:
    """A Message-ID stable for one outbox row: a replay reuses it, so mail clients and MTAs that
    collapse duplicates by Message-ID show a deliberate resend once."""
    return f"<outbox.{scope}.{outbox_id}@{domain}>"
