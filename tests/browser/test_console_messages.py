"""Console Workers and Messages in headless Chromium (SPEC §5.14, issue 30 items 3 and 7): open a
conversation from Today's unread tile and reply to a text, as a person would; the Workers and
Messages pages pass axe at 1280 px and fit 390 px without scrolling sideways."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import horizontal_overflow, run_axe
from tests.browser.console_people_screens import people_tenant
from tests.browser.console_screens import check_pages_fit_and_pass_axe, console_url, sign_in


def test_open_a_conversation_and_reply_to_a_text(page, live, watch):
    tenant, made = people_tenant(live)
    customer = made["customers"][0][0]
    sign_in(page, live, tenant)
    page.get_by_role("link", name="Open messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    page.get_by_role("link", name=customer["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Messages with {customer['name']}")
    expect(page.get_by_text("The key is under the mat.")).to_be_visible()
    page.get_by_label("Text", exact=True).fill("Thanks Maria, noted: the key under the mat.")
    page.get_by_role("button", name="Send text").click()
    expect(page.get_by_text("Text sent.")).to_be_visible()
    newest = page.locator("ol.thread > li").first
    expect(newest).to_contain_text("Thanks Maria, noted: the key under the mat.")
    expect(newest).to_contain_text("From us")
    resp = live.client().get(tenant.url("/admin/conversations"), headers=tenant.headers)
    unread = {c["customer_id"]: c["unread"] for c in resp.get_json()["items"]}
    assert unread[customer["id"]] == 0  # opening the conversation read it
    watch.clean()


def test_workers_and_messages_pages_pass_axe_and_fit_390px(page, live, watch):
    tenant, made = people_tenant(live)
    sign_in(page, live, tenant)
    customer_id = made["customers"][0][0]["id"]
    paths = [
        "/workers",
        "/workers/new",
        f"/workers/{made['workers'][0]['id']}",
        "/workers/teams",
        "/workers/timesheets",
        "/messages",
        f"/messages/{customer_id}",
        "/messages/previews",
        f"/customers/{customer_id}",
    ]
    check_pages_fit_and_pass_axe(page, live, tenant, paths)
    watch.clean()


def test_tick_two_workers_and_move_them_to_a_team_together(page, live, watch):
    tenant, _made = people_tenant(live)
    sign_in(page, live, tenant)
    page.goto(console_url(live, tenant, "/workers/teams"))
    north = page.get_by_role("region", name="North")
    for name in ("Ana Souza", "Ben Carter"):
        expect(north).to_contain_text(name)
        page.get_by_role("checkbox", name=f"Select {name}").check()
    page.get_by_label("To team").select_option(label="South")
    page.get_by_role("button", name="Move ticked workers").click()
    expect(page.locator(".notice.ok[role=status]")).to_contain_text("2 of 2 done.")
    south = page.get_by_role("region", name="South")
    for name in ("Ana Souza", "Ben Carter", "Chen Wei"):
        expect(south).to_contain_text(name)
    expect(page.get_by_role("region", name="North")).not_to_contain_text("Ana Souza")
    assert run_axe(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert horizontal_overflow(page) <= 0
    watch.clean()
