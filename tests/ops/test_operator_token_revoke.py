"""``flask ops token revoke``: a revoked operator token is refused with 401."""

import re


def test_revoked_token_gets_401(wsgi_app, client):
    runner = wsgi_app.control_plane.test_cli_runner()
    made = runner.invoke(args=["ops", "token", "create", "ci-bot"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    token_id = re.search(r"token id \(for revoke\): ([0-9a-f-]{36})", made.output).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/ops/jobs", headers=headers).status_code == 200

    revoked = runner.invoke(args=["ops", "token", "revoke", token_id])
    assert revoked.exit_code == 0, revoked.output
    resp = client.get("/v1/ops/jobs", headers=headers)
    assert resp.status_code == 401
    assert client.get("/v1/ops/tenants", headers=headers).status_code == 401


def test_revoke_unknown_or_malformed_id_fails(wsgi_app):
    runner = wsgi_app.control_plane.test_cli_runner()
    unknown = runner.invoke(args=["ops", "token", "revoke", "00000000-0000-0000-0000-000000000000"])
    assert unknown.exit_code != 0 and "no operator token" in unknown.output
    bad = runner.invoke(args=["ops", "token", "revoke", "nope"])
    assert bad.exit_code != 0 and "not a token id" in bad.output
