"""A chart that sets its own height keeps it when the window narrows: Plotly's responsive mode
re-reads the chart box's size on a resize, and a box left at its CSS min-height shrank under a
tall chart, which then ran over the next card (feature importance at 390 px). Headless Chromium
on a local page with the project's own app.js and the plotly wheel's bundle; no server."""

from __future__ import annotations

from pathlib import Path

import pytest

from vur.staticfinders import _plotly_dir
from vur.tests.browser import charts_over_their_box, set_width, wait

pytestmark = pytest.mark.browser

APP_JS = Path(__file__).resolve().parents[1] / "static" / "vur" / "app.js"
CSS = Path(__file__).resolve().parents[1] / "static" / "vur" / "app.css"
PAGE = """<!doctype html><html><head><meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="{css}"></head><body>
<section class="card"><div id="tall" class="chart"></div><p id="after">after the chart</p></section>
<script src="{plotly}"></script><script src="{app}"></script>
<script>
  window.__relayouts = 0;
  var names = []; for (var i = 0; i < 25; i++) names.push("feature_number_" + i);
  var el = window.vurChart("tall", [{{type: "bar", orientation: "h", y: names,
    x: names.map(function (_, i) {{ return i + 1; }})}}], {{height: 22 * 25 + 60}});
  el.on("plotly_relayout", function () {{ window.__relayouts += 1; }});
</script></body></html>"""


def test_a_tall_chart_keeps_its_height_when_the_window_narrows(browser, tmp_path):
    page = tmp_path / "chart.html"
    page.write_text(
        PAGE.format(
            css=CSS.as_uri(),
            plotly=(_plotly_dir() / "plotly.min.js").as_uri(),
            app=APP_JS.as_uri(),
        )
    )
    browser.get(page.as_uri())
    wait(browser).until(lambda d: d.execute_script("return !!document.querySelector('.main-svg')"))
    assert charts_over_their_box(browser) == []
    set_width(browser, 390)
    # Plotly's own resize handler relays the chart out after the window's resize event.
    wait(browser).until(lambda d: d.execute_script("return window.__relayouts") >= 1)
    assert charts_over_their_box(browser) == []
    box = browser.execute_script("return document.getElementById('tall').offsetHeight")
    after = browser.execute_script("return document.getElementById('after').offsetTop")
    assert box == 22 * 25 + 60 and after >= box
