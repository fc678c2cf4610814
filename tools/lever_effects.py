"""Print the lever effects and Tacitus-trap figures quoted in docs/policies.md, as tests/test_levers.py measures them.

Run from the repository root:  .venv/bin/python tools/lever_effects.py [--workers 2] [--no-trap]

Nothing is re-defined here: the cases (low/high setting, outcome, direction, pairs, test world), the
seeds, the runner and the paired test are imported from ``tests/test_levers.py``; the 95 % interval of
the mean paired difference is ``govsim compare``'s t-interval. Per lever it prints the outcome, the
mean at low and high, the mean paired difference high − low with its 95 % t-interval, the one-sided
Wilcoxon p (what the test asserts < ALPHA), and whether ``cost`` rose in every pair.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from govsim.analysis.compare import t_interval  # noqa: E402
from govsim.experiments.options import replicate_seeds  # noqa: E402
from scipy import stats  # noqa: E402

from tests import test_levers as T  # noqa: E402


def lever_table(workers: int) -> None:
    """Run every case of ``T.CASES`` with ``T.run_cases`` and print one row per lever."""
    results = T.run_cases(T.CASES, workers=workers)
    print(f"{'lever':38} {'outcome':27} {'dir':4} {'n':>3} {'pop':>6} {'mean low':>10} {'mean high':>10} "
          f"{'Δ':>10} {'95% t-interval':>23} {'p (1-sided)':>11} {'pass':>4} {'cost↑ all':>9}")
    for c in T.CASES:
        low, high = results[c.lever]
        diff, p = T.paired_test(c, low, high)
        a = np.array([r[c.outcome] for r in low])
        b = np.array([r[c.outcome] for r in high])
        lo, hi = t_interval(b - a)
        cost_up = all(h["cost"] > lo_["cost"] for lo_, h in zip(low, high, strict=True))
        pop = {**T.WORLD, **(c.world or {})}["world.population"]
        zeros = int((a == 0).sum() + (b == 0).sum())  # e.g. a rate with no cases (metrics._share gives 0)
        print(f"{c.lever:38} {c.outcome:27} {'↑' if c.direction == 'greater' else '↓':4} {c.replicates:>3} "
              f"{pop:>6} {a.mean():>10.4g} {b.mean():>10.4g} {diff:>+10.4g} [{lo:>+10.4g}, {hi:>+10.4g}] "
              f"{p:>11.2g} {'yes' if p < T.ALPHA else 'NO':>4} {'yes' if cost_up else 'no':>9}"
              + (f"  ({zeros} runs with outcome 0)" if zeros else ""))


def trap_figures(workers: int) -> None:
    """The Tacitus-trap figures ``T.test_tacitus_trap`` checks (same seeds and runs as its ``trap`` fixture)."""
    seeds = replicate_seeds(T.SEED + 1, T.TRAP_REPLICATES)
    jobs = [(n, s) for n in ("baseline", "tacitus_trap") for s in seeds]
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as ex:
        out = list(ex.map(T._trap_run, jobs))
    base, tac = out[:T.TRAP_REPLICATES], out[T.TRAP_REPLICATES:]

    def col(rs, k):
        return np.array([r[k] for r in rs])

    first, second, base_second = col(tac, "rate_first"), col(tac, "rate_second"), col(base, "rate_second")
    grows = sum(r["low_start"] < r["low_mid"] < r["low_end"] for r in tac)
    print(f"\nTacitus trap ({T.TRAP_WORLD}, 1825 days, {T.TRAP_REPLICATES} pairs, seeds from {T.SEED + 1})")
    print(f"  share below threshold: start {col(tac, 'low_start').mean():.3f}, mid {col(tac, 'low_mid').mean():.3f}, "
          f"end {col(tac, 'low_end').mean():.3f}; grows start<mid<end in {grows}/{len(tac)} replicates")
    print(f"  mean trust at end: trap {col(tac, 'trust_end').mean():.3f} (max {col(tac, 'trust_end').max():.3f}), "
          f"baseline {col(base, 'trust_end').mean():.3f}")
    p1 = stats.wilcoxon(second, first, alternative="less").pvalue
    p2 = stats.wilcoxon(second, base_second, alternative="less").pvalue
    print(f"  reporting rate: first half {first.mean():.3f}, second half {second.mean():.3f} "
          f"(lower in {(second < first).sum()}/{len(tac)} pairs, p = {p1:.2g}); "
          f"baseline second half {base_second.mean():.3f} (trap lower in {(second < base_second).sum()}/{len(tac)}, "
          f"p = {p2:.2g})")


TRUST_WORLD = {"world.population": 20_000, "run.days": 730}
"""The trust table's city: trust relaxes over about a year, so two years show most of a lever's effect."""
TRUST_REPLICATES = 10


def trust_table(workers: int) -> None:
    """Every lever's effect on ``mean_trust`` after two years (low → high), paired, with a 95 % t-interval."""
    cases = tuple(T.LeverCase(c.lever, c.low, c.high, "mean_trust", c.direction, c.why, replicates=TRUST_REPLICATES,
                              world=TRUST_WORLD) for c in T.CASES)
    results = T.run_cases(cases, workers=workers)
    print(f"\nmean_trust after 730 days ({TRUST_WORLD}, {TRUST_REPLICATES} pairs)")
    print(f"{'lever':38} {'low → high':>14} {'trust low':>10} {'trust high':>10} {'Δ':>8} {'95% t-interval':>20}")
    rows = []
    for c in cases:
        low, high = results[c.lever]
        a = np.array([r["mean_trust"] for r in low])
        b = np.array([r["mean_trust"] for r in high])
        lo, hi = t_interval(b - a)
        rows.append((abs((b - a).mean()), c, a.mean(), b.mean(), (b - a).mean(), lo, hi))
    for _, c, a, b, d, lo, hi in sorted(rows, key=lambda r: -r[0]):
        print(f"{c.lever:38} {str(c.low) + ' → ' + str(c.high):>14} {a:10.3f} {b:10.3f} {d:+8.3f} [{lo:+.3f}, {hi:+.3f}]")


PARTICIPATION_LEVERS = ("party_member_return", "self_governance", "party_building_alliance")
"""The levers that act on participation directly (ODD §7.18): members' visits and example, organised activities."""


def participation_table(workers: int) -> None:
    """Each participation lever's effect on ``participation_rate`` after two years (0 → 1), with and without
    the feedback of ODD §7.18 (``participation.feedback``), paired, with a 95 % t-interval."""
    rows = []
    for feedback in (True, False):
        world = {**TRUST_WORLD, "participation.feedback": feedback}
        cases = tuple(T.LeverCase(lv, 0.0, 1.0, "participation_rate", "greater", "", replicates=TRUST_REPLICATES,
                                  world=world) for lv in PARTICIPATION_LEVERS)
        results = T.run_cases(cases, workers=workers)
        for c in cases:
            low, high = results[c.lever]
            a = np.array([r["participation_rate"] for r in low])
            b = np.array([r["participation_rate"] for r in high])
            lo, hi = t_interval(b - a)
            rows.append((c.lever, feedback, a.mean(), b.mean(), (b - a).mean(), lo, hi))
    print(f"\nparticipation_rate after 730 days ({TRUST_WORLD}, {TRUST_REPLICATES} pairs)")
    print(f"{'lever':26} {'feedback':>8} {'low':>7} {'high':>7} {'Δ':>8} {'95% t-interval':>20}")
    for lever, fb, a, b, d, lo, hi in rows:
        print(f"{lever:26} {'on' if fb else 'off':>8} {a:7.3f} {b:7.3f} {d:+8.3f} [{lo:+.3f}, {hi:+.3f}]")


def main() -> None:
    """Print the header (commit, test world), the lever table and, unless ``--no-trap``, the trap figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-trap", action="store_true", help="skip the 5-year Tacitus-trap runs")
    ap.add_argument("--trust-only", action="store_true", help="print only the levers' two-year trust effects")
    ap.add_argument("--participation-only", action="store_true",
                    help="print only the participation levers' two-year effects, with and without feedback")
    args = ap.parse_args()
    if args.participation_only:
        participation_table(args.workers)
        return
    if args.trust_only:
        trust_table(args.workers)
        return
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    print(f"commit {head or '?'}; test world {T.WORLD} (+ per-case overrides); root seed {T.SEED}; alpha {T.ALPHA}\n")
    lever_table(args.workers)
    if not args.no_trap:
        trap_figures(args.workers)
    trust_table(args.workers)
    participation_table(args.workers)


if __name__ == "__main__":
    main()
