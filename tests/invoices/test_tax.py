"""The tax arithmetic of SPEC §5.11 (pure: tenantapp/invoices/tax.py), worked examples first."""

from decimal import Decimal

from tenantapp.invoices.tax import Line, Rate, compute, line_amount, split_amount

GST = Rate("GST", "GST", Decimal("5.000"))
PST_NO_ADD_ONS = Rate("PST", "PST", Decimal("7.000"), applies_to_add_ons=False)


def test_135_at_gst_5_percent_is_6_75():
    t = compute([Line("service", 13500)], [GST], False)
    assert (t.subtotal_cents, t.tax_cents, t.total_cents) == (13500, 675, 14175)
    assert t.taxes == [
        {"code": "GST", "name": "GST", "rate": "5.000", "taxable_cents": 13500, "tax_cents": 675}
    ]


def test_three_lines_of_33_33_are_taxed_once_per_invoice_not_per_line():
    t = compute([Line("custom", 3333)] * 3, [GST], False)
    assert t.tax_cents == 500  # 99.99 × 5 % = 4.9995 → 5.00; per line it would be 3 × 1.67 = 5.01


def test_a_quantity_of_three_at_33_33_is_the_same():
    assert line_amount(Decimal(3), 3333) == 9999
    assert compute([Line("custom", 9999)], [GST], False).tax_cents == 500


def test_rounding_is_half_up_at_the_half_cent():
    # 10.10 × 5 % = 0.505: half-up gives 0.51 (banker's rounding would give 0.50)
    assert compute([Line("service", 1010)], [GST], False).tax_cents == 51
    # 10.09 × 5 % = 0.5045 → 0.50
    assert compute([Line("service", 1009)], [GST], False).tax_cents == 50


def test_line_amounts_round_half_up_to_the_cent():
    assert line_amount(Decimal("1.5"), 3333) == 5000  # 4999.5 → 5000
    assert line_amount(Decimal("0.25"), 3) == 1  # 0.75 → 1


def test_tax_inclusive_105_at_5_percent_holds_5_00_of_tax():
    t = compute([Line("service", 10500)], [GST], True)
    assert (t.subtotal_cents, t.tax_cents, t.total_cents) == (10000, 500, 10500)


def test_gst_and_pst_on_a_discounted_invoice_with_add_ons_exempt_from_pst():
    lines = [
        Line("service", 20000),
        Line("discount", -2000, applies_to="service"),  # weekly 10 % of labour
        Line("add_on", 3000),  # oven: GST only
    ]
    t = compute(lines, [GST, PST_NO_ADD_ONS], False)
    gst, pst = t.taxes
    assert (gst["taxable_cents"], gst["tax_cents"]) == (21000, 1050)
    assert (pst["taxable_cents"], pst["tax_cents"]) == (18000, 1260)
    assert (t.subtotal_cents, t.tax_cents, t.total_cents) == (21000, 2310, 23310)


def test_a_credit_reduces_each_rates_base_pro_rata():
    lines = [
        Line("service", 20000),
        Line("discount", -2000, applies_to="service"),
        Line("add_on", 3000),
        Line("discount", -2000),  # referral credit: spread over 180.00 service and 30.00 add-on
    ]
    gst, pst = compute(lines, [GST, PST_NO_ADD_ONS], False).taxes
    assert (gst["taxable_cents"], gst["tax_cents"]) == (19000, 950)
    # PST base: 180.00 − 20.00 × 180/210 = 162.857… → tax 11.40 (rounded once, from the exact base)
    assert (pst["taxable_cents"], pst["tax_cents"]) == (16286, 1140)


def test_tips_are_never_taxed_even_when_marked_taxable():
    t = compute([Line("service", 10000), Line("tip", 1500, taxable=True)], [GST], False)
    assert t.taxes[0]["taxable_cents"] == 10000
    assert (t.tax_cents, t.total_cents) == (500, 12000)


def test_untaxable_lines_and_untaxable_discounts_leave_the_base_alone():
    t = compute(
        [Line("service", 10000), Line("fee", 500, taxable=False), Line("discount", -500, False)],
        [GST],
        False,
    )
    assert t.taxes[0]["taxable_cents"] == 10000


def test_inclusive_prices_under_two_rates_hold_both():
    t = compute([Line("service", 11200)], [GST, Rate("PST", "PST", Decimal("7"))], True)
    assert [x["tax_cents"] for x in t.taxes] == [500, 700]
    assert (t.subtotal_cents, t.total_cents) == (10000, 11200)


def test_no_rates_no_tax():
    t = compute([Line("service", 10500)], [], False)
    assert (t.tax_cents, t.total_cents, t.taxes) == (0, 10500, [])


def test_a_refund_credit_note_carries_the_invoices_tax_share():
    split = split_amount(
        10500,
        [
            {
                "code": "GST",
                "name": "GST",
                "rate": "5.000",
                "taxable_cents": 20000,
                "tax_cents": 1000,
            }
        ],
        21000,
    )
    assert split["tax_cents"] == 500 and split["subtotal_cents"] == 10000
