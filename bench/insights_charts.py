"""The dashboard's charts: our plain SVG (app/usage/charts.py and its template) against pygal, same run, same data.

Run: .venv/bin/python bench/insights_charts.py (pygal is not a dependency: `pip install pygal` to compare).
It prints milliseconds per 30-day chart of two series, its bytes, and the inline <style>/<script> the
pages' Content-Security-Policy would block.
"""

import random
import time

from flask import render_template_string

from app import create_app
from app.usage import charts

RUNS = 200
TEMPLATE = '{% import "insights_charts.html" as c %}{{ c.chart(chart, "bench", "A chart.") }}'


def timed(make) -> tuple[float, str]:
    """Milliseconds per call of `make`, after a warm-up, and its last output."""
    out = make()
    start = time.perf_counter()
    for _ in range(RUNS):
        out = make()
    return (time.perf_counter() - start) / RUNS * 1000, out


def main() -> None:
    """Measure both and print one line each."""
    rng = random.Random(1)
    days = [f"2026-11-{d:02d}" for d in range(1, 31)]
    series = [("Texts", [rng.randint(0, 100) for _ in days]), ("Calls", [rng.randint(0, 40) for _ in days])]
    app = create_app({"TESTING": True})
    with app.test_request_context():
        ours = timed(lambda: render_template_string(TEMPLATE, chart=charts.columns(days, series)))
    results = {"plain SVG (ours)": ours}
    try:
        import pygal
    except ImportError:
        pygal = None
    if pygal:
        def make_pygal() -> str:
            chart = pygal.Bar(js=[], disable_xml_declaration=True, width=720, height=300)
            chart.x_labels = days
            for name, values in series:
                chart.add(name, values)
            return chart.render(is_unicode=True)

        results[f"pygal {pygal.__version__}"] = timed(make_pygal)
    for name, (ms, svg) in results.items():
        print(f"{name:18} {ms:7.2f} ms  {len(svg):6} bytes  inline <style>: {svg.count('<style')}  "
              f"<script>: {svg.count('<script')}")
    if not pygal:
        print("pygal not installed: pip install pygal to compare")


if __name__ == "__main__":
    main()
