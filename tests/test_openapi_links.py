"""The OpenAPI ``links`` that chain create → read → update → delete (tests/fuzz follows them
statefully): each points at an operation of its own document and fills that operation's path
parameters, and every create operation that returns an id has them."""

from __future__ import annotations

import re

import pytest

METHODS = {"get", "post", "put", "patch", "delete"}


def _doc(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    return resp.get_json()


def _resolve(doc, ref):
    assert ref.startswith("#/paths/"), ref
    pointer, method = ref[len("#/paths/") :].rsplit("/", 1)
    path = pointer.replace("~1", "/").replace("~0", "~")
    return path, method, doc["paths"].get(path, {}).get(method)


def _links(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            for status, response in op["responses"].items():
                for name, link in response.get("links", {}).items():
                    yield f"{method.upper()} {path} {status} {name}", path, link


@pytest.fixture()
def docs(client, tenant):
    return {
        "controlplane": _doc(client, "/v1/openapi.json"),
        "tenant": _doc(client, tenant.url("/openapi.json")),
    }


@pytest.mark.parametrize("which", ["controlplane", "tenant"])
def test_every_link_targets_an_operation_and_fills_its_path(docs, which):
    doc = docs[which]
    found = list(_links(doc))
    assert len(found) >= (6 if which == "controlplane" else 40)
    for label, source_path, link in found:
        path, method, target = _resolve(doc, link["operationRef"])
        assert target is not None, f"{label}: no operation {method} {path}"
        parameters = doc["paths"][path].get("parameters", []) + target.get("parameters", [])
        declared = {p["name"] for p in parameters if p["in"] == "path"}
        needed = set(re.findall(r"{(\w+)}", path))
        assert set(link["parameters"]) >= needed, label
        assert needed <= declared, f"{label}: {path} declares {declared}"
        for value in link["parameters"].values():
            assert re.fullmatch(r"\$response\.body#(/[\w]+)+|\$request\.path\.\w+", value), label
            if value.startswith("$request.path."):
                assert "{" + value.split(".")[-1] + "}" in source_path, label


CREATES = {
    "tenant": [
        ("/leads", "post", "201"),
        ("/bookings", "post", "201"),
        ("/admin/blackouts", "post", "201"),
        ("/admin/workers", "post", "201"),
        ("/admin/checklist-templates", "post", "201"),
        ("/admin/teams", "put", "200"),
        ("/admin/bookings/{booking_id}/checklist/init", "post", "200"),
    ],
    "controlplane": [("/v1/signup", "post", "201")],
}


@pytest.mark.parametrize("which", ["controlplane", "tenant"])
def test_create_operations_link_to_what_they_created(docs, which):
    doc = docs[which]
    for path, method, status in CREATES[which]:
        links = doc["paths"][path][method]["responses"][status].get("links", {})
        assert links, f"{method.upper()} {path} has no links"
        methods = {_resolve(doc, link["operationRef"])[1] for link in links.values()}
        assert methods - {"get"}, f"{method.upper()} {path} links only to reads"


def test_links_reach_real_objects(client, tenant):
    """Following a link's expression on a real response gives an id the target accepts."""
    doc = _doc(client, tenant.url("/openapi.json"))
    resp = client.post(
        tenant.url("/admin/blackouts"),
        json={"starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T12:00:00Z"},
        headers=tenant.headers,
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    link = doc["paths"]["/admin/blackouts"]["post"]["responses"]["201"]["links"]["DeleteBlackout"]
    pointer = link["parameters"]["blackout_id"].split("#", 1)[1]
    value = body
    for part in pointer.strip("/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    path, method, _ = _resolve(doc, link["operationRef"])
    gone = client.open(
        tenant.url(path.replace("{blackout_id}", str(value))),
        method=method.upper(),
        headers=tenant.headers,
    )
    assert gone.status_code == 204


# --- the documents are as strict as the validation (tests/fuzz/test_schema_strictness.py) ------


def _component(doc, name):
    return doc["components"]["schemas"][name]


@pytest.mark.parametrize(
    "slug,ok",
    [
        ("abc", True),
        ("a" * 40, True),
        ("ab", False),
        ("a" * 41, False),
        ("a-b-c", True),
        ("a--b", False),
        ("ab-", False),
        ("1ab", False),
        ("abc-1", True),
    ],
)
def test_signup_slug_pattern_is_the_servers_rule(client, slug, ok):
    from shared.tenancy import SLUG_RE

    prop = _component(_doc(client, "/v1/openapi.json"), "SignupIn")["properties"]["slug"]
    documented = bool(re.match(prop["pattern"], slug)) and (
        prop["minLength"] <= len(slug) <= prop["maxLength"]
    )
    assert documented is ok is bool(SLUG_RE.match(slug))


def test_new_passwords_document_the_policy(client, tenant):
    from shared.auth.passwords import policy_problem

    cp = _doc(client, "/v1/openapi.json")
    props = [
        _component(cp, "SignupIn")["properties"]["password"],
        _component(cp, "PasswordResetConfirmIn")["properties"]["new_password"],
        _component(_doc(client, tenant.url("/openapi.json")), "AcceptInviteIn")["properties"][
            "password"
        ],
    ]
    for prop in props:
        assert prop["minLength"] == 12
        for candidate, ok in [
            ("Abcdefghijk1", True),
            ("Abcdefghij1", False),
            ("abcdefghijk1", False),
        ]:
            documented = len(candidate) >= prop["minLength"] and all(
                re.search(p["pattern"], candidate) for p in prop["allOf"]
            )
            assert documented is ok is (policy_problem(candidate) is None)


def test_time_zone_is_an_enum_of_zones(client):
    prop = _component(_doc(client, "/v1/openapi.json"), "SignupIn")["properties"]["time_zone"]
    assert "America/Edmonton" in prop["enum"] and "Mars/Olympus" not in prop["enum"]


def test_tenant_instants_are_documented_as_date_time(client, tenant):
    doc = _doc(client, tenant.url("/openapi.json"))
    for name in ("BlackoutIn", "MoveIn"):
        assert _component(doc, name)["properties"]["starts_at"] == {
            "type": "string",
            "format": "date-time",
        }


def test_strings_document_that_nul_is_refused(client, tenant):
    doc = _doc(client, tenant.url("/openapi.json"))
    note = _component(doc, "RunItemPatch")["properties"]["note"]
    assert note["pattern"] == "^[^\\x00]*$"
    assert not re.match(note["pattern"], "a\x00b") and re.match(note["pattern"], "ok")
    body = {"note": "a\x00b"}
    resp = client.patch(
        tenant.url("/admin/bookings/1/checklist/items/1"), json=body, headers=tenant.headers
    )
    assert resp.status_code == 400


def test_rules_across_fields_are_in_the_document(client, tenant):
    doc = _doc(client, tenant.url("/openapi.json"))
    subject = _component(doc, "DataSubjectIn")
    assert (subject["minProperties"], subject["maxProperties"]) == (1, 1)
    assert not any(p.get("nullable") for p in subject["properties"].values())
    assert _component(doc, "RunItemPatch")["minProperties"] == 1
    for body in ({}, {"customer_id": 1, "email": "a@example.com"}, {"customer_id": None}):
        resp = client.post(tenant.url("/admin/data/export"), json=body, headers=tenant.headers)
        assert resp.status_code == 422, body
    resp = client.post(
        tenant.url("/admin/data/export"),
        json={"email": "nobody@example.com"},
        headers=tenant.headers,
    )
    assert resp.status_code == 404  # one property, well formed: past validation, no such person
