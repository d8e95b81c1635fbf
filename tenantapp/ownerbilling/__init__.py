"""Plan and billing in the console's Settings (SPEC §4.5): plan, status, period end, usage bars
against the plan's limits with the metering drift, Upgrade (Stripe Checkout), Manage billing
(Stripe portal) and the ``past_due`` grace banner. Billing data comes through
``shared.billing_bridge`` (the tenant app never imports the control plane)."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"  # /assets/<digest>/ownerbilling/<file>
