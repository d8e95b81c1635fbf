"""Event builders for one tenant's subscription story."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from tests.billing.conftest import PRICES
from tests.stripe_stub import event, subscription


@dataclass
class Story:
    tenant_id: str
    plan: str = "pro"
    customer: str = field(default_factory=lambda: "cus_" + secrets.token_hex(6))
    sub_id: str = field(default_factory=lambda: "sub_" + secrets.token_hex(6))
    t0: int = field(default_factory=lambda: int(time.time()) - 3600)
    with_metadata: bool = True

    def checkout_completed(self, dt: int = 0, paid: bool = True) -> dict:
        return event(
            "checkout.session.completed",
            {
                "id": "cs_test_" + secrets.token_hex(6),
                "object": "checkout.session",
                "mode": "subscription",
                "status": "complete",
                "payment_status": "paid" if paid else "unpaid",
                "customer": self.customer,
                "subscription": self.sub_id,
                "client_reference_id": self.tenant_id,
                "metadata": {"tenant_id": self.tenant_id, "plan": self.plan},
            },
            created=self.t0 + dt,
        )

    def sub(self, etype: str, status: str, dt: int, plan: str | None = None, sub_id=None):
        plan = plan or self.plan
        obj = subscription(
            sub_id or self.sub_id,
            self.customer,
            status,
            PRICES[plan],
            tenant_id=self.tenant_id if self.with_metadata else None,
            plan=plan if self.with_metadata else None,
            period_end=self.t0 + 30 * 86400,
        )
        return event(f"customer.subscription.{etype}", obj, created=self.t0 + dt)

    def invoice(self, etype: str, dt: int) -> dict:
        details = {"subscription": self.sub_id}
        if self.with_metadata:
            details["metadata"] = {"tenant_id": self.tenant_id, "plan": self.plan}
        return event(
            f"invoice.{etype}",
            {
                "id": "in_" + secrets.token_hex(6),
                "object": "invoice",
                "customer": self.customer,
                "amount_due": 9900,
                "hosted_invoice_url": "https://invoice.stripe.test/i/x",
                "parent": {"type": "subscription_details", "subscription_details": details},
                "lines": {"data": [{"pricing": {"price_details": {"price": PRICES[self.plan]}}}]},
            },
            created=self.t0 + dt,
        )
