"""An outgoing e-mail, independent of the transport that carries it."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate


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
        msg["From"] = self.from_addr
        msg["To"] = self.to
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = self.message_id
        if self.reply_to:
            msg["Reply-To"] = self.reply_to
        for name, value in self.headers.items():
            msg[name] = value
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        return msg


def message_id(scope: str, outbox_id: int, domain: str) -> str:
    """A Message-ID stable for one outbox row: a replay reuses it, so mail clients and MTAs that
    collapse duplicates by Message-ID show a deliberate resend once."""
    return f"<outbox.{scope}.{outbox_id}@{domain}>"
