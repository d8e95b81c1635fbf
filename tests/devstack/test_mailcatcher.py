"""make run's mail catcher and /dev/mail (SPEC §5.13, mail on a developer's machine)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from devstack.mailcatcher import MailCatcher
from devstack.run import start_mail_catcher
from tests.support import ApiClient


def _send(url: str, subject: str, body: str) -> None:
    host, port = url.removeprefix("smtp://").split(":")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "app@example.com", "pat@example.com", subject
    mail.set_content(body)
    with smtplib.SMTP(host, int(port), timeout=5) as smtp:
        smtp.send_message(mail)


def test_catcher_keeps_messages_prints_subject_and_links_and_dev_mail_lists_them(
    tmp_path, settings
):
    said: list[str] = []
    catcher = MailCatcher(tmp_path / "mail", said.append)
    url = catcher.start()
    try:
        _send(
            url, "Sign in to Demo", "Your link: http://127.0.0.1:8000/t/demo/account?token=abc.\n"
        )
    finally:
        catcher.stop()
    kept = list((tmp_path / "mail").glob("*.eml"))
    assert len(kept) == 1
    assert said[0] == "mail to pat@example.com: Sign in to Demo"
    assert said[1].strip() == "http://127.0.0.1:8000/t/demo/account?token=abc"

    from wsgi import create_wsgi

    dev = ApiClient(
        create_wsgi(settings.replace(app_env="dev", dev_mail_dir=str(tmp_path / "mail")))
    )
    page = dev.get("/dev/mail")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sign in to Demo" in html
    assert '<a href="http://127.0.0.1:8000/t/demo/account?token=abc">' in html
    one = dev.get(f"/dev/mail/{kept[0].name}")
    assert one.status_code == 200 and "Your link:" in one.get_data(as_text=True)
    assert dev.get("/dev/mail/..%2f..%2fetc%2fpasswd").status_code == 404


def test_dev_mail_exists_only_in_dev(client):
    assert client.get("/dev/mail").status_code == 404  # APP_ENV=test


def test_make_run_starts_the_catcher_only_without_smtp_or_sendgrid(tmp_path):
    assert start_mail_catcher({"SMTP_URL": "smtp://mail:25"}, tmp_path) is None
    assert start_mail_catcher({"SENDGRID_API_KEY": "SG.x"}, tmp_path) is None
    children: dict = {}
    catcher = start_mail_catcher(children, tmp_path)
    try:
        assert children["SMTP_URL"].startswith("smtp://127.0.0.1:")
        assert children["DEV_MAIL_DIR"] == str(tmp_path / "mail")
    finally:
        catcher.stop()
