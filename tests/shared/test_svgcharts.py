"""shared/svgcharts.py: line, bar and stacked bar charts as CSP-safe, accessible SVG."""

import xml.etree.ElementTree as ET

import pytest

from shared.svgcharts import Series, bar_chart, line_chart, nice_scale, stacked_bar_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup):
    return ET.fromstring(str(markup))


def test_line_chart_is_an_accessible_image_with_axes_and_a_point_per_value():
    svg = parse(
        line_chart(
            "Requests", "Per hour", ["a", "b", "c"], [Series("api", [1, 5, 3])], chart_id="c1"
        )
    )
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find("svg:title", NS).text == "Requests"
    assert svg.find("svg:desc", NS).text == "Per hour"
    assert svg.get("viewBox") == "0 0 560 260" and svg.get("width") is None  # scales
    points = svg.findall(".//svg:circle", NS)
    assert [p.find("svg:title", NS).text for p in points] == ["api, a: 1", "api, b: 5", "api, c: 3"]
    (line,) = svg.findall(".//svg:polyline", NS)
    assert len(line.get("points").split()) == 3
    ticks = [t.text for t in svg.findall(".//svg:g[@class='axis axis-y']/svg:text", NS)]
    assert ticks[0] == "0" and ticks[-1] == "5"
    assert [t.text for t in svg.findall(".//svg:g[@class='axis axis-x']/svg:text", NS)] == [
        "a",
        "b",
        "c",
    ]


def test_higher_values_are_drawn_higher():
    svg = parse(line_chart("t", "d", ["a", "b"], [Series("s", [1, 9])]))
    low, high = (float(c.get("cy")) for c in svg.findall(".//svg:circle", NS))
    assert high < low  # SVG's y grows downwards


def test_a_missing_value_breaks_the_line():
    svg = parse(line_chart("t", "d", list("abcde"), [Series("s", [1, 2, None, 4, 5])]))
    lines = svg.findall(".//svg:polyline", NS)
    assert [len(p.get("points").split()) for p in lines] == [2, 2]
    assert len(svg.findall(".//svg:circle", NS)) == 4


def test_text_is_escaped_and_nothing_needs_inline_script_or_style():
    evil = '<script>alert("x")</script>'
    markup = str(
        stacked_bar_chart(evil, evil, [evil], [Series(evil, [1]), Series("b", [2])], chart_id="x")
    )
    assert "<script" not in markup and "style" not in markup and " on" not in markup
    svg = parse(markup)
    assert svg.find("svg:title", NS).text == evil  # shown as text, not run


def test_stacked_bars_stack_in_series_order_and_the_axis_fits_the_total():
    svg = parse(
        stacked_bar_chart(
            "t", "d", ["jan"], [Series("free", [3]), Series("pro", [5])], chart_id="s"
        )
    )
    free, pro = (g.find("svg:rect", NS) for g in svg.findall("svg:g[@class]", NS)[2:4])
    assert free.find("svg:title", NS).text == "free, jan: 3"
    assert pro.find("svg:title", NS).text == "pro, jan: 5"
    # pro sits on top of free, and together they reach the top of the axis (8)
    assert float(pro.get("y")) + float(pro.get("height")) == pytest.approx(float(free.get("y")))
    ticks = [t.text for t in svg.findall(".//svg:g[@class='axis axis-y']/svg:text", NS)]
    assert ticks[-1] == "8"
    legend = [t.text for t in svg.findall(".//svg:g[@class='legend']/svg:text", NS)]
    assert legend == ["free", "pro"]


def test_bar_chart_with_a_value_format():
    svg = parse(bar_chart("MRR", "d", ["pro"], [990000], fmt=lambda c: f"${c / 100:,.0f}"))
    assert svg.find(".//svg:rect/svg:title", NS).text == "pro: $9,900"
    assert svg.get("class") == "chart chart-bar"


def test_no_data_says_so():
    for markup in (
        line_chart("t", "d", ["a"], [Series("s", [None])]),
        bar_chart("t", "d", ["a", "b"], [0, 0]),
        bar_chart("t", "d", [], []),
    ):
        svg = parse(markup)
        assert svg.find(".//svg:text[@class='empty']", NS).text == "No data yet"


def test_values_must_match_the_labels():
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        line_chart("t", "d", ["a", "b", "c"], [Series("s", [1, 2])])


def test_x_labels_are_thinned_so_they_never_overlap():
    labels = [f"d{i}" for i in range(400)]
    svg = parse(bar_chart("t", "d", labels, list(range(400))))
    shown = svg.findall(".//svg:g[@class='axis axis-x']/svg:text", NS)
    assert 2 <= len(shown) <= 8 and shown[0].text == "d0"


def test_ids_are_stable_per_title():
    a = parse(line_chart("Same", "d", ["a"], [Series("s", [1])]))
    b = parse(line_chart("Same", "d", ["a"], [Series("s", [2])]))
    assert a.find("svg:title", NS).get("id") == b.find("svg:title", NS).get("id")


@pytest.mark.parametrize(
    ("top", "integer", "expected"),
    [
        (0, True, (1, 1)),
        (1, True, (1, 1)),
        (3, True, (3, 1)),
        (7, False, (8, 2)),
        (0.3, False, (0.4, 0.1)),
        (1234, True, (1250, 250)),
        (5, True, (5, 1)),
        (10, False, (10, 2.5)),
    ],
)
def test_nice_scale(top, integer, expected):
    assert nice_scale(top, integer=integer) == pytest.approx(expected)


def test_a_long_legend_wraps_onto_more_rows_and_the_image_grows():
    names = [f"Dead letters: kind number {i}" for i in range(6)]
    svg = parse(line_chart("t", "d", ["a", "b"], [Series(n, [1, 2]) for n in names]))
    legend = [t.text for t in svg.findall(".//svg:g[@class='legend']/svg:text", NS)]
    assert legend == names  # none dropped
    rows = {t.get("y") for t in svg.findall(".//svg:g[@class='legend']/svg:text", NS)}
    assert len(rows) > 1
    height = float(svg.get("viewBox").split()[3])
    assert height > 260 and max(float(y) for y in rows) < height
