"""Ablations of the capacity channels (issue 14; docs/policies.md, "Capacity channels").

Each channel acts through offices' case capacity; its ablation runs the same scenario with the
channel switched on and off on common random numbers (the same seed for both runs of a pair) and
reports the mean paired difference of the outcome with a 95 % t-interval and the two-sided Wilcoxon
signed-rank p-value. ``tests/test_ablations.py`` asserts p < 0.01 for each; ``python
tools/capacity_ablations.py`` prints the table of docs/policies.md.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from govsim.sim import load_scenario
from govsim.sim.catalog import scenario_file
from govsim.sim.model import run_quietly
from govsim.sim.scenario import ScenarioSpec, apply_overrides
from scipy import stats

from govsim.comparison import replicate_seeds

WORLD: dict[str, Any] = {"world.population": 20_000, "run.days": 240}
"""The test city: the baseline's 20,000 residents for 240 days."""
PAIRS = 32
SEED = 20261205


@dataclass(frozen=True)
class Ablation:
    """A capacity channel: the scenario with it on, the keys that switch it off, and the outcome it moves."""

    channel: str
    on: dict[str, Any]
    off: dict[str, Any]
    outcome: str
    why: str
    base: str = "baseline"
    world: dict[str, Any] = field(default_factory=dict)


ABLATIONS: tuple[Ablation, ...] = (
    # the handling-time cut is switched off on both sides: this is refocus acting through capacity alone.
    # In the baseline city (streets ≈ 68 % utilised) that gain is not significant (docs/policies.md); it
    # is where street capacity binds, as in the austerity city.
    Ablation("street_refocus (capacity)", {"policy.street_refocus": 1.0, "effects.refocus_handling_cut": 0.0},
             {"policy.street_refocus": 0.0, "effects.refocus_handling_cut": 0.0}, "share_unsolved",
             "street staff freed from economic tasks take up more of the queue", base="austerity"),
    Ablation("alliance capacity gain", {"policy.party_building_alliance": 1.0},
             {"policy.party_building_alliance": 1.0, "effects.alliance_capacity_gain": 0.0}, "mean_wait_days",
             "units of the alliance lend community staff time"),
    Ablation("secretary projects' staff", {"policy.secretary_projects": 24},
             {"policy.secretary_projects": 24, "policy.secretary_project_staff": 0.0}, "mean_wait_days",
             "a project's extra staff take up the hotspot community's queue"),
    Ablation("professionalisation (turnover)", {"policy.community_worker_professionalisation": 0.0},
             {"policy.community_worker_professionalisation": 0.0, "effects.turnover_capacity_loss": 0.0},
             "mean_wait_days", "without career posts, turnover costs community capacity"),
    Ablation("austerity's staff cut", {}, {"levels.community.staff_per_10k": 18.0, "levels.street.staff_per_10k": 10.0,
                                           "levels.district.staff_per_10k": 3.0, "levels.city.staff_per_10k": 5.0},
             "mean_wait_days", "40 % fewer staff per resident: less case capacity everywhere", base="austerity"),
)


_BASELINE_STAFF = {"levels.community.staff_per_10k": 18.0, "levels.street.staff_per_10k": 10.0,
                   "levels.district.staff_per_10k": 3.0, "levels.city.staff_per_10k": 5.0,
                   "policy.grid_members_per_10k": 10.0}
LEVER_EFFECTS: tuple[Ablation, ...] = (
    Ablation("street_refocus (whole lever)", {"policy.street_refocus": 1.0}, {"policy.street_refocus": 0.0},
             "satisfaction_street", "capacity and handling time together"),
    Ablation("street_refocus (whole lever)", {"policy.street_refocus": 1.0}, {"policy.street_refocus": 0.0},
             "share_unsolved", "capacity and handling time together"),
    Ablation("austerity (scenario vs baseline)", {}, _BASELINE_STAFF, "share_unsolved",
             "40 % fewer staff per resident, half the grid members", base="austerity"),
    Ablation("austerity (scenario vs baseline)", {}, _BASELINE_STAFF, "mean_resolution_days",
             "40 % fewer staff per resident, half the grid members", base="austerity"),
    Ablation("austerity (scenario vs baseline)", {}, _BASELINE_STAFF, "share_left_city",
             "40 % fewer staff per resident, half the grid members", base="austerity"),
)
"""The two levers the issue names, as a whole against their absence (printed after the ablations)."""


def _spec(a: Ablation, over: dict[str, Any]) -> ScenarioSpec:
    base = load_scenario(scenario_file(a.base))
    return apply_overrides(base, {**WORLD, **a.world, **over}, "ablation")


def _run(job: tuple[ScenarioSpec, Any]) -> dict[str, float]:
    spec, seed = job
    return run_quietly(spec, seed).summary()


def run_ablations(ablations: tuple[Ablation, ...] = ABLATIONS, pairs: int = PAIRS, workers: int = 2
                  ) -> list[dict[str, Any]]:
    """Run every ablation's pairs; returns one row per channel (mean on, off, difference, 95 % CI, p)."""
    seeds = replicate_seeds(SEED, pairs)
    jobs = [(_spec(a, over), s) for a in ablations for over in (a.on, a.off) for s in seeds]
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as ex:
        out = list(ex.map(_run, jobs, chunksize=4))
    rows = []
    for i, a in enumerate(ablations):
        on = np.array([r[a.outcome] for r in out[2 * i * pairs:(2 * i + 1) * pairs]])
        off = np.array([r[a.outcome] for r in out[(2 * i + 1) * pairs:(2 * i + 2) * pairs]])
        d = on - off
        half = stats.t.ppf(0.975, pairs - 1) * d.std(ddof=1) / np.sqrt(pairs) if d.std() > 0 else 0.0
        p = float(stats.wilcoxon(on, off).pvalue) if np.any(d != 0) else 1.0
        rows.append({"channel": a.channel, "outcome": a.outcome, "on": float(on.mean()), "off": float(off.mean()),
                     "effect": float(d.mean()), "low": float(d.mean() - half), "high": float(d.mean() + half),
                     "p": p, "why": a.why})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as the table of docs/policies.md."""
    lines = ["| channel | outcome | with it | without | effect (with − without) [95 % CI] | Wilcoxon p |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['channel']} | `{r['outcome']}` | {r['on']:.3g} | {r['off']:.3g} | "
                     f"{r['effect']:+.3g} [{r['low']:+.3g}, {r['high']:+.3g}] | {r['p']:.1g} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run_ablations()))
    print()
    print(markdown(run_ablations(LEVER_EFFECTS)))
