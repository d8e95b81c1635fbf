"""Settings in the console (SPEC §5.14, issue #30 item 5): one page per section with a
sub-navigation — company, hours and blackouts, pricing, taxes, branding, SMS, members — each
form validated by its API's schema and saved by its API's service, with the API's permission
(``admin`` everywhere, as ``/admin/settings``, ``/admin/pricing``, ``/admin/teams``,
``/admin/blackouts`` and ``/members``). Plan and billing is ``owner_billing.billing``.

Importing the package attaches every section's routes to the console blueprint.
"""

from tenantapp.console.settings import (  # noqa: F401  (each module adds its routes to blp)
    branding,
    company,
    hours,
    members,
    pricing,
    sms,
    taxes,
)
