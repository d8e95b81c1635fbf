"""The mail catcher ``make run`` starts when no SMTP_URL or SendGrid key is set (SPEC §5.13).

An aiosmtpd server on a free local port takes every message the app sends, keeps it as an
``.eml`` file under ``.data/mail/`` and prints its recipient, subject and links in the terminal,
so sign-up verification, invitations, resets and magic links work on a laptop. ``/dev/mail``
(``APP_ENV=dev`` only, ``shared/web/devmail.py``) lists the kept messages with clickable links.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

from shared.web.devmail import links_of, summary

_seq = itertools.count(1)


def _free_port() -> int:
    # aiosmtpd's start() connects to its port to see it serving, so it cannot take port 0.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Keep:
    def __init__(self, folder: Path, say: Callable[[str], None]):
        self.folder, self.say = folder, say

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(_seq):04d}.eml"
        raw = envelope.original_content or envelope.content
        (self.folder / name).write_bytes(raw)
        mail = message_from_bytes(raw, policy=policy.default)
        info = summary(mail)
        self.say(f"mail to {info['to']}: {info['subject']}")
        for link in links_of(mail)[:5]:
            self.say(f"    {link}")
        return "250 kept"


class MailCatcher:
    def __init__(self, folder: Path, say: Callable[[str], None] = print):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.controller = Controller(_Keep(folder, say), hostname="127.0.0.1", port=_free_port())

    def start(self) -> str:
        """Start serving; returns the SMTP URL for the app."""
        self.controller.start()
        return f"smtp://127.0.0.1:{self.controller.port}"

    def stop(self) -> None:
        self.controller.stop()
