"""The Twilio transport (SPEC §5.12): send one text through the ``twilio`` package.

``TWILIO_API_BASE`` (tests: ``tests/twilio_stub.py``) replaces Twilio's API origin, so the real
client, its request shapes and its error parsing are what the tests exercise. Outcomes are
classified for the outbox: refusals Twilio will repeat (unsubscribed recipient 21610, invalid or
unreachable numbers, other 4xx) are ``SmsRefused`` with the Twilio error code; timeouts, connection
errors and 5xx/429 are ``SmsUnavailable`` (worth retrying, and they trip the circuit breaker).
"""

from __future__ import annotations

from dataclasses import dataclass

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from shared.settings import Settings

TWILIO_ORIGIN = "https://api.twilio.com"
UNSUBSCRIBED = 21610  # "Attempt to send to unsubscribed recipient"
UNDELIVERABLE = (30003, 30005)  # unreachable handset, unknown destination


class SmsUnavailable(Exception):
    """Twilio could not be reached or failed (5xx, 429, timeout): try again later."""


class SmsRefused(Exception):
    """Twilio refused this message (4xx with an error code); sending it again will not help."""

    def __init__(self, code: int | None, status: int, detail: str):
        super().__init__(f"twilio_{code or status}: {detail}")
        self.code = code
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


class _BaseRewritingClient(TwilioHttpClient):
    """Twilio's own HTTP client, pointed at ``TWILIO_API_BASE`` instead of api.twilio.com."""

    def __init__(self, base: str, timeout: float):
        super().__init__(timeout=timeout)
        self._base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if self._base and url.startswith(TWILIO_ORIGIN):
            url = self._base + url[len(TWILIO_ORIGIN) :]
        return super().request(method, url, *args, **kwargs)


class TwilioTransport:
    """Sends texts with the platform's Twilio account."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.client = Client(
            settings.twilio_account_sid or "AC_unconfigured",
            settings.twilio_auth_token or "unconfigured",
            http_client=_BaseRewritingClient(
                settings.twilio_api_base, settings.sms_timeout_seconds
            ),
        )

    @property
    def configured(self) -> bool:
        return bool(self.settings.twilio_account_sid and self.settings.twilio_auth_token)

    def send(
        self,
        to: str,
        body: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> Sent:
        """Create the message; returns its SID. Raises ``SmsRefused`` or ``SmsUnavailable``."""
        params: dict = {"to": to, "body": body}
        if from_number:
            params["from_"] = from_number
        else:
            params["messaging_service_sid"] = messaging_service_sid
        if status_callback:
            params["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**params)
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                raise SmsUnavailable(f"twilio {exc.status}: {exc.msg}") from exc
            raise SmsRefused(exc.code, exc.status, str(exc.msg)[:200]) from exc
        except TwilioException as exc:  # connection errors, timeouts
            raise SmsUnavailable(str(exc)[:200]) from exc
        except OSError as exc:
            raise SmsUnavailable(str(exc)[:200]) from exc
        return Sent(sid=message.sid, status=message.status or "queued")


def validate_signature(auth_token: str, url: str, params: dict, signature: str | None) -> bool:
    """Twilio's own check of ``X-Twilio-Signature`` over ``url`` and the POSTed form."""
    if not auth_token or not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)
