"""E-mail for both apps: one transport interface (SMTP, SendGrid), rendering, unsubscribe tokens."""

from shared.mail.message import OutgoingMail
from shared.mail.transports import MailTransport, transport_from_settings

__all__ = ["MailTransport", "OutgoingMail", "transport_from_settings"]
