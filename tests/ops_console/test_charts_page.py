"""The charts page: five server-side SVG charts from the snapshot series."""

from datetime import UTC, datetime

from controlplane.ops_console.snapshots import take_snapshot

TITLES = [
    "Signups per day",
    "Tenants by status",
    "MRR by plan",
    "API requests per hour",
    "Outbox and DLQ depth",
]


def test_charts_are_inline_svg_with_accessible_titles(ops, rt, tenant):
    take_snapshot(datetime.now(UTC))
    for range_name in ("48h", "7d", "30d", "90d", "400d"):
        resp = ops.get("/ops/charts", query_string={"range": range_name})
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert html.count("<svg") == 5, range_name
        for title in TITLES:
            assert f">{title}</title>" in html
        assert 'role="img"' in html and "<desc" in html
        assert "<script" not in html and "style=" not in html
        assert "Last snapshot" in html
    # tenants by status has a bar for the active tenants at the last snapshot
    html = ops.get("/ops/charts", query_string={"range": "48h"}).get_data(as_text=True)
    assert "active, " in html


def test_an_unknown_range_falls_back_to_30_days(ops):
    html = ops.get("/ops/charts", query_string={"range": "forever"}).get_data(as_text=True)
    assert 'aria-current="true">30d<' in html
