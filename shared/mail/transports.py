"""Mail transports behind one interface: SMTP (``SMTP_URL``) and SendGrid's HTTP API.

Every network call goes through the shared ``mail`` circuit breaker with timeouts. A refusal that
retrying cannot fix (5xx to a recipient, a 4xx from SendGrid) is carried *out* of the breaker as a
value, so one bad address never opens the circuit for everyone.
"""

from __future__ import annotations

import smtplib
import ssl
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from shared.mail.message import OutgoingMail, address_value, header_value
from shared.outbox.delivery import Permanent, Retryable, through_breaker
from shared.settings import Settings

BREAKER = "mail"


class MailTransport(Protocol):
    name: str

    def send(self, mail: OutgoingMail) -> str:
        """Hand ``mail`` to the provider; return its reference. Raises ``Retryable``/``Permanent``
        (from ``shared.outbox.delivery``) or ``ServiceUnavailable`` when the circuit is open."""


class SmtpTransport:
    """``smtp://user:pass@host:port[?starttls=1]`` or ``smtps://...`` (implicit TLS)."""

    name = "smtp"

    def __init__(self, url: str, timeout: float = 10.0):
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://[user:pass@]host[:port]")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        self.starttls = query.get("starttls", ["0"])[0].lower() in {"1", "true", "yes"}
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            conn.starttls(context=ssl.create_default_context())
        return conn

    def _send(self, mail: OutgoingMail):
        try:
            mime = mail.to_mime()  # before connecting: a message that cannot be built is ours
        except (ValueError, TypeError) as exc:
            return Permanent("invalid_message", repr(exc)[:200])  # returned: never trips
        try:
            with self._connect() as conn:
                if self.username:
                    conn.login(self.username, self.password or "")
                conn.send_message(mime)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            if 500 <= code < 600:
                return Permanent("recipient_refused", f"{code} {text!r}")
            raise Retryable("recipient_deferred", f"{code} {text!r}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise Retryable("smtp_auth_failed", str(exc.smtp_code)) from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                return Permanent("smtp_rejected", f"{exc.smtp_code} {exc.smtp_error!r}")
            raise Retryable("smtp_deferred", f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise Retryable("smtp_unavailable", repr(exc)) from exc
        return mail.message_id

    def send(self, mail: OutgoingMail) -> str:
        return through_breaker(BREAKER, self._send, mail)


class SendGridTransport:
    """SendGrid v3 ``mail/send`` (``SENDGRID_API_KEY``; base URL overridable for tests)."""

    name = "sendgrid"

    def __init__(self, api_key: str, base_url: str, timeout: float = 10.0):
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _body(self, mail: OutgoingMail) -> dict:
        """SendGrid's JSON (``ValueError`` for an address with a line break, like SMTP's)."""
        from email.utils import parseaddr

        name, address = parseaddr(header_value(mail.from_addr))
        body = {
            "personalizations": [{"to": [{"email": address_value(mail.to)}]}],
            "from": {"email": address, **({"name": name} if name else {})},
            "subject": header_value(mail.subject),
            "content": [
                {"type": "text/plain", "value": mail.text},
                {"type": "text/html", "value": mail.html},
            ],
            "custom_args": {"message_id": mail.message_id},
        }
        if mail.headers:
            body["headers"] = {header_value(k): header_value(v) for k, v in mail.headers.items()}
        if mail.reply_to and "\n" not in mail.reply_to and "\r" not in mail.reply_to:
            body["reply_to"] = {"email": mail.reply_to.strip()}
        return body

    def _send(self, mail: OutgoingMail):
        try:
            body = self._body(mail)
        except ValueError as exc:
            return Permanent("invalid_message", repr(exc)[:200])  # returned: never trips
        try:
            resp = requests.post(
                f"{self.base_url}/v3/mail/send",
                json=body,
                headers={"Authorization": f"Bearer {self.api_key}"},
                timeout=(min(self.timeout, 5.0), self.timeout),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise Retryable("sendgrid_unavailable", repr(exc)) from exc
        if resp.status_code in (200, 202):
            return resp.headers.get("X-Message-Id") or mail.message_id
        if resp.status_code == 429 or resp.status_code >= 500:
            raise Retryable("sendgrid_deferred", f"HTTP {resp.status_code}")
        return Permanent("sendgrid_rejected", f"HTTP {resp.status_code} {resp.text[:200]!r}")

    def send(self, mail: OutgoingMail) -> str:
        return through_breaker(BREAKER, self._send, mail)


class MissingTransport:
    """No SMTP_URL and no SENDGRID_API_KEY: every try fails (retryable) until one is set."""

    name = "none"

    def send(self, mail: OutgoingMail) -> str:
        raise Retryable("mail_not_configured", "set SMTP_URL or SENDGRID_API_KEY")


def transport_from_settings(settings: Settings) -> MailTransport:
    """SendGrid when an API key is set, else SMTP when ``SMTP_URL`` is set."""
    if settings.sendgrid_api_key:
        return SendGridTransport(
            settings.sendgrid_api_key, settings.sendgrid_api_base, settings.mail_timeout_seconds
        )
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url, settings.mail_timeout_seconds)
    return MissingTransport()
