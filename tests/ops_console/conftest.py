"""Helpers for the operator console: the CSRF token a page carries, a form post as a browser."""

from __future__ import annotations

import re

import pytest

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = TOKEN_RE.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


@pytest.fixture()
def ops(client, operator_headers):
    """A browser signed in to ``/ops/`` with the operator's Basic credentials."""

    class Ops:
        headers = operator_headers

        def get(self, path, **kw):
            return client.get(path, headers=operator_headers, **kw)

        def post_form(self, page: str, action: str, data: dict, **headers):
            """Open ``page``, take its CSRF token, post ``data`` to ``action`` like its form."""
            token = csrf_from(self.get(page).get_data(as_text=True))
            return client.post(
                action,
                data={"csrf_token": token, **data},
                headers={**operator_headers, "Origin": "http://localhost", **headers},
            )

    return Ops()
