"""Dashboard charts keep their size when a query returns no rows (#19).

datasette-dashboards draws a Vega-Lite chart from ``display`` plus the query's rows. With
no rows, a chart of ours grew to 33,554,432 px (the browser's limit) and pushed every card
below it out of reach. Each Vega-Lite chart is therefore drawn as two layers at a fixed
height: the chart itself, and a "No data" text that shows only when there are no rows
(a count over the rows, kept when it is zero). One definition, applied to every chart by
tracker/publish.py, so a chart added to metadata.yml gets it too.
"""

DEFAULT_HEIGHT = 260
NO_DATA_TEXT = "No data for this selection"

# Vega-Lite names the rows datasette-dashboards passes (top-level inline values) source_0;
# the text layer has one row of its own, kept only while source_0 is empty.
NO_DATA_LAYER = {
    "data": {"values": [{"no_data": NO_DATA_TEXT}]},
    "transform": [{"filter": "length(data('source_0')) == 0"}],
    "mark": {"type": "text", "fontSize": 14, "color": "#6b6b6b", "align": "center",
             "baseline": "middle", "x": {"expr": "width / 2"}, "y": {"expr": "height / 2"}},
    "encoding": {"text": {"field": "no_data", "type": "nominal"}},
}


def with_fixed_size(display):
    """The ``display`` of a Vega-Lite chart as a fixed-height layer plus the no-data text;
    unchanged when it is already layered (a chart that handles emptiness itself)."""
    if not isinstance(display, dict) or "layer" in display or "mark" not in display:
        return display
    # "fit": axes, labels and legend are drawn inside the fixed size. The default "pad"
    # measures them, and with no rows their bounds are infinite.
    outer = {"height": display.get("height", DEFAULT_HEIGHT), "autosize": {"type": "fit"}}
    chart = {k: v for k, v in display.items() if k not in ("height", "width")}
    return {**outer, "layer": [chart, NO_DATA_LAYER]}


def keep_chart_sizes(dashboards):
    """Apply with_fixed_size to every vega-lite chart of a datasette-dashboards config."""
    for dashboard in (dashboards or {}).values():
        for chart in (dashboard.get("charts") or {}).values():
            if chart.get("library") == "vega-lite":
                chart["display"] = with_fixed_size(chart.get("display"))
