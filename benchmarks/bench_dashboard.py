"""One dashboard page update of the default classroom city: step + map PNG + charts + ladder.

Prints the median of 8 updates after 60 warm-up days, for one city and for the A/B pair; never
fails (a benchmark, not a test; the target is under 200 ms). Run:
``.venv/bin/python benchmarks/bench_dashboard.py``.
"""

from __future__ import annotations

import io
import time

import numpy as np
from govsim.sim import app
from govsim.sim.app import ClassroomModel, city_figure, ladder_html, outcome_svg


def main() -> None:
    """Print the step and redraw times."""
    for ab in (False, True):
        m = ClassroomModel(ab_mode=ab)
        for _ in range(60):
            m.step()
        times = []
        for _ in range(8):
            t0 = time.perf_counter()
            m.step()
            t1 = time.perf_counter()
            city_figure(m.cities(), m.layout).savefig(io.BytesIO(), format="png")
            outcome_svg({k: app.chart_frame(x) for k, x in m.cities().items()})
            for k, x in m.cities().items():
                ladder_html(k, x, m.moves_log[k].recent())
            times.append((t1 - t0, time.perf_counter() - t1))
        step, draw = np.median(np.array(times), axis=0) * 1000
        print(f"[dashboard] {m.spec.world.population} residents{' A/B' if ab else ''}: step {step:.1f} ms + "
              f"redraw {draw:.1f} ms = {step + draw:.1f} ms (median of 8, target < 200 ms)")


if __name__ == "__main__":
    main()
