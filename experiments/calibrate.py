"""Calibration by approximate Bayesian computation (ABC) over the sweep runner.

An experiment file with a ``[calibration]`` table and ``[targets.NAME]`` tables (see
:class:`experiments.spec_models.CalibrationTable` and :class:`experiments.spec_models.TargetSpec`) names the
uncertain parameters (``[parameters]``: their bounds or distributions are the prior), the targets
(an outcome, a value or an interval, a weight) and the algorithm:

* ``rejection``: one generation of ``particles`` prior draws (Latin hypercube), the ``quantile``
  share closest to the targets is accepted;
* ``smc`` (ABC-SMC, population Monte Carlo; Beaumont, Cornuet, Marin & Robert 2009): generation 0 as
  above, then each generation proposes ``particles`` sets by resampling the accepted ones by weight and
  moving them with a Gaussian kernel of twice their weighted covariance, runs them, accepts those within
  the tolerance ε_g (the ``quantile`` of the generation's distances, never above ε_{g−1}) and weights
  them by prior density / kernel mixture density.

Every generation is an ordinary sweep (``points`` design) in ``DIR/genNN``, so it runs on any
executor and an interrupted calibration resumes: finished generations are read back, the proposal of
a generation is written (``DIR/genNN_points.csv``) before it runs and reused on resume.

Distance: ``d = sqrt(Σ_k w_k (e_k / scale_k)² / Σ_k w_k)`` with ``e_k`` the distance of the mean of a
parameter set's replicates from target ``k`` (0 inside an interval) and ``scale_k`` the target's scale
(default: half the interval; for a point target the median absolute deviation of the outcome over
generation 0).

Outputs in ``DIR``: ``accepted.parquet`` / ``accepted.csv`` (accepted parameter sets, weights,
distances, outcome means), ``posterior_draws.csv`` (an equal-weight resample, used by
``govsim compare --posterior``), ``posterior_summary.csv``, ``fit.csv`` (per target: the posterior
predictive mean and 5–95 % interval over accepted sets and replicates, and whether the mean meets the
target), ``posterior_marginals.png``, ``predicted_vs_target.png`` and ``calibration.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from govsim.experiments.fileio import read_posterior  # noqa: F401 - the calibration folder's reader, kept importable here
from govsim.experiments.spec import load_experiment, parse_experiment
from govsim.experiments.spec_models import ExperimentSpec, TargetSpec
from govsim.experiments.store import existing_study
from govsim.sim.errors import InputError

FORMAT = "govsim-calibration/1"


# --------------------------------------------------------------------------- priors


class Prior:
    """The prior of the calibrated parameters: the ``[parameters]`` table (bounds or distributions)."""

    def __init__(self, spec: ExperimentSpec) -> None:
        self.names = spec.names
        self.dists = []
        for name, p in spec.parameters.items():
            if p.kind == "levels" or p.integer:
                raise InputError(spec.path or "<experiment>", f'parameters."{name}"',
                                 "calibrated parameters must be continuous: {low, high} or {dist = ...}")
            from scipy import stats

            self.dists.append(p.frozen_dist() if p.kind == "dist" else stats.uniform(p.low, p.high - p.low))

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map unit-cube samples (n × D) to parameter values."""
        return np.column_stack([d.ppf(u[:, j]) for j, d in enumerate(self.dists)])

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Prior density of rows of ``x`` (n × D)."""
        out = np.ones(len(x))
        for j, d in enumerate(self.dists):
            out *= d.pdf(x[:, j])
        return out

    def sd(self) -> np.ndarray:
        """Prior standard deviations."""
        return np.array([d.std() for d in self.dists])

    def support(self) -> list[tuple[float, float]]:
        """Each parameter's 0.1–99.9 % range (the axis of the marginal plots)."""
        return [(float(d.ppf(0.001)), float(d.ppf(0.999))) for d in self.dists]


# --------------------------------------------------------------------------- distances


def target_centre(t: TargetSpec) -> float:
    """The target's point value, or its interval's midpoint."""
    return float(t.value) if t.value is not None else (float(t.low) + float(t.high)) / 2.0  # type: ignore[arg-type]


def target_error(t: TargetSpec, x: np.ndarray) -> np.ndarray:
    """Distance of outcome values ``x`` from the target (0 inside an interval)."""
    if t.value is not None:
        return np.abs(x - t.value)
    return np.maximum.reduce([np.zeros_like(x), t.low - x, x - t.high])  # type: ignore[operator]


def target_scales(spec: ExperimentSpec, gen0: pd.DataFrame) -> dict[str, float]:
    """Each target's scale: given, half the interval, or the MAD of its outcome over generation 0."""
    out: dict[str, float] = {}
    for name, t in spec.targets.items():
        if t.scale is not None:
            out[name] = float(t.scale)
        elif t.value is None:
            out[name] = (float(t.high) - float(t.low)) / 2.0  # type: ignore[arg-type]
        else:
            x = gen0[t.outcome].to_numpy(float)
            mad = float(np.median(np.abs(x - np.median(x)))) * 1.4826
            out[name] = mad if mad > 0 else max(abs(float(t.value)) * 0.05, 1e-9)
    return out


def distances(spec: ExperimentSpec, means: pd.DataFrame, scales: dict[str, float]) -> np.ndarray:
    """Weighted root-mean-square scaled distance of each row's outcome means from the targets."""
    total = np.zeros(len(means))
    wsum = 0.0
    for name, t in spec.targets.items():
        e = target_error(t, means[t.outcome].to_numpy(float)) / scales[name]
        total += t.weight * e**2
        wsum += t.weight
    return np.sqrt(total / max(wsum, 1e-12))


# --------------------------------------------------------------------------- weighted statistics


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float | list[float]) -> np.ndarray:
    """Quantiles of ``x`` under weights ``w``: the smallest value whose cumulative weight reaches ``q``."""
    order = np.argsort(x, kind="stable")
    xs, ws = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cdf = np.cumsum(ws) / ws.sum()
    idx = np.searchsorted(cdf, np.atleast_1d(q) - 1e-12, side="left")
    return xs[np.minimum(idx, len(xs) - 1)]


def _weighted_cov(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    w = w / w.sum()
    mu = w @ x
    d = x - mu
    cov = (d * w[:, None]).T @ d
    return np.atleast_2d(cov)


# --------------------------------------------------------------------------- the generations


def _generation_spec(spec: ExperimentSpec, points: Path, gen: int) -> ExperimentSpec:
    """The sweep of one generation: the experiment with a ``points`` design and no calibration tables."""
    data = spec.model_dump(mode="json", exclude={"calibration", "targets"}, exclude_none=True)
    ex = data["experiment"]
    ex.update(name=f"{spec.experiment.name}-gen{gen:02d}", design="points", points=str(points.resolve()))
    if spec.scenario_path is not None:
        ex["scenario"] = str(spec.scenario_path)
    outcomes = list(dict.fromkeys([*ex.get("outcomes", []), *(t.outcome for t in spec.targets.values())]))
    ex["outcomes"] = outcomes
    return parse_experiment(data, f"<{spec.experiment.name} generation {gen}>")


def _rng(spec: ExperimentSpec, gen: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(spec.experiment.seed, spawn_key=(7919, gen)))


def _propose(spec: ExperimentSpec, prior: Prior, gen: int, prev: pd.DataFrame | None) -> np.ndarray:
    """Generation 0: a Latin hypercube on the prior; later: resample accepted sets and move them."""
    n = spec.calibration.particles  # type: ignore[union-attr]
    rng = _rng(spec, gen)
    if prev is None:
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(prior.names), seed=rng).random(n)
        return prior.from_unit(np.clip(u, 1e-9, 1 - 1e-9))
    theta = prev[prior.names].to_numpy(float)
    w = prev["weight"].to_numpy(float)
    cov = 2.0 * _weighted_cov(theta, w) + np.diag((1e-6 * prior.sd()) ** 2)
    out: list[np.ndarray] = []
    for _ in range(1000):
        idx = rng.choice(len(theta), size=n, p=w / w.sum())
        cand = theta[idx] + rng.multivariate_normal(np.zeros(len(prior.names)), cov, size=n)
        out.extend(cand[prior.pdf(cand) > 0])
        if len(out) >= n:
            break
    if len(out) < n:
        raise RuntimeError("the perturbation kernel keeps leaving the prior's support")
    return np.array(out[:n])


def _kernel_weights(prior: Prior, new: np.ndarray, prev: pd.DataFrame) -> np.ndarray:
    """Importance weights π(θ) / Σ_j w_j K(θ | θ_j) of ABC-SMC."""
    from scipy.stats import multivariate_normal

    theta = prev[prior.names].to_numpy(float)
    w = prev["weight"].to_numpy(float)
    w = w / w.sum()
    cov = 2.0 * _weighted_cov(theta, w) + np.diag((1e-6 * prior.sd()) ** 2)
    dens = np.zeros(len(new))
    for j in range(len(theta)):
        dens += w[j] * multivariate_normal(theta[j], cov, allow_singular=True).pdf(new)
    return prior.pdf(new) / np.maximum(dens, 1e-300)


def _read_generation(folder: Path, spec: ExperimentSpec, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs, per-point means) of a finished generation."""
    from govsim.experiments.store import read_runs

    runs = read_runs(folder)
    ok = runs[runs["status"] == "ok"]
    outcomes = list(dict.fromkeys(t.outcome for t in spec.targets.values()))
    means = ok.groupby("point_id")[outcomes].mean()
    pts = runs.groupby("point_id")[names].first()
    means = pts.join(means, how="inner").reset_index()
    return ok, means


def calibrate(spec_or_path: ExperimentSpec | str | Path, out: str | Path, executor: str = "processes",
              workers: int | None = None, scheduler: str | None = None, resume: bool = False,
              progress: bool = False) -> Path:
    """Run (or resume) an ABC calibration into the folder ``out``.

    Args:
        spec_or_path: An experiment file with ``[calibration]`` and ``[targets.*]`` tables, or its spec.
        out: Results folder: empty or absent unless ``resume``.
        executor: ``serial``, ``processes``, ``dask`` or ``mpi`` (as :func:`experiments.run_sweep`).
        workers: Worker count.
        scheduler: Dask scheduler address.
        resume: Continue a calibration interrupted in ``out``.
        progress: Show each generation's progress bar.

    Returns:
        The results folder.

    Raises:
        InputError: The file has no calibration tables, or the folder holds something else.
    """
    from govsim.experiments.fileio import atomic_write_json, atomic_write_text
    from govsim.experiments.runner import run_sweep

    spec = spec_or_path if isinstance(spec_or_path, ExperimentSpec) else load_experiment(spec_or_path)
    file = spec.path or "<experiment>"
    if spec.calibration is None or not spec.targets:
        raise InputError(file, "calibration", "a calibration needs a [calibration] table and [targets.NAME] tables")
    cal = spec.calibration
    prior = Prior(spec)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    meta_path = folder / "calibration.json"
    fingerprint = spec.content_hash()
    existing_study(folder, meta_path.name, fingerprint, resume, "calibration")
    meta = {"format": FORMAT, "fingerprint": fingerprint, "experiment_raw": spec.raw,
            "experiment_file": str(spec.path) if spec.path else None, "method": cal.method,
            "parameters": prior.names, "generations": []}
    atomic_write_json(meta_path, meta)

    n_gen = 1 if cal.method == "rejection" else cal.generations
    prev: pd.DataFrame | None = None
    scales: dict[str, float] = {}
    eps_prev = np.inf
    all_runs: pd.DataFrame | None = None
    for gen in range(n_gen):
        points_csv = folder / f"gen{gen:02d}_points.csv"
        if not points_csv.exists():
            theta = _propose(spec, prior, gen, prev)
            atomic_write_text(points_csv, pd.DataFrame(theta, columns=prior.names).to_csv(
                index=False, float_format="%.10g"))
        gdir = folder / f"gen{gen:02d}"
        gspec = _generation_spec(spec, points_csv, gen)
        run_sweep(gspec, gdir, executor=executor, workers=workers, scheduler=scheduler,
                  resume=gdir.exists() and any(gdir.iterdir()), progress=progress)
        runs, means = _read_generation(gdir, spec, prior.names)
        if means.empty:
            raise RuntimeError(f"every run of generation {gen} failed; see {gdir / 'failures.jsonl'}")
        if gen == 0:
            scales = target_scales(spec, means)
        d = distances(spec, means, scales)
        eps = min(eps_prev, float(np.quantile(d, cal.quantile)))
        accepted = d <= eps
        if not accepted.any():  # keep the closest set rather than an empty population
            accepted = d <= d.min()
            eps = float(d.min())
        means["distance"] = d
        means["accepted"] = accepted
        theta_new = means[prior.names].to_numpy(float)
        w = np.ones(len(means)) if prev is None else _kernel_weights(prior, theta_new, prev)
        means["weight"] = np.where(accepted, w, 0.0)
        means["generation"] = gen
        means.to_parquet(folder / f"gen{gen:02d}_population.parquet", index=False)
        meta["generations"] = [*meta["generations"][:gen], {
            "generation": gen, "epsilon": eps, "proposed": len(means), "accepted": int(accepted.sum()),
            "ess": float(means["weight"].sum() ** 2 / max((means["weight"] ** 2).sum(), 1e-300))}]
        meta["scales"] = scales
        atomic_write_json(meta_path, meta)
        prev = means[means["accepted"]].reset_index(drop=True)
        eps_prev = eps
        runs = runs.assign(generation=gen)
        all_runs = runs if gen == n_gen - 1 else None
    assert prev is not None and all_runs is not None
    _write_outputs(spec, prior, folder, prev, all_runs, scales, meta)
    return folder


# --------------------------------------------------------------------------- outputs


def posterior_draws(accepted: pd.DataFrame, names: list[str], n: int, seed: int) -> pd.DataFrame:
    """An equal-weight resample of ``n`` accepted parameter sets (systematic resampling by weight).

    The draws are shuffled, so that the first few (the replicates of a small comparison) are spread
    over the posterior rather than repeating one set.
    """
    rng = np.random.default_rng(seed)
    w = accepted["weight"].to_numpy(float)
    w = w / w.sum()
    u = (rng.random() + np.arange(n)) / n
    idx = np.minimum(np.searchsorted(np.cumsum(w), u), len(w) - 1)
    return accepted.iloc[rng.permutation(idx)][names].reset_index(drop=True)


def posterior_summary(accepted: pd.DataFrame, prior: Prior) -> pd.DataFrame:
    """Weighted mean, sd and 5/50/95 % quantiles of each parameter, beside the prior's mean and sd."""
    w = accepted["weight"].to_numpy(float)
    rows = []
    for j, name in enumerate(prior.names):
        x = accepted[name].to_numpy(float)
        mean = float(np.average(x, weights=w))
        sd = float(np.sqrt(np.average((x - mean) ** 2, weights=w)))
        q5, q50, q95 = weighted_quantile(x, w, [0.05, 0.5, 0.95])
        rows.append({"parameter": name, "mean": mean, "sd": sd, "q05": q5, "median": q50, "q95": q95,
                     "prior_mean": float(prior.dists[j].mean()), "prior_sd": float(prior.dists[j].std())})
    return pd.DataFrame(rows)


def fit_table(spec: ExperimentSpec, runs: pd.DataFrame, accepted: pd.DataFrame) -> pd.DataFrame:
    """Per target: posterior predictive mean and 5–95 % interval over accepted sets × replicates."""
    weights = dict(zip(accepted["point_id"], accepted["weight"], strict=True))
    sub = runs[runs["point_id"].isin(weights)]
    w = sub["point_id"].map(weights).to_numpy(float)
    rows = []
    for name, t in spec.targets.items():
        x = sub[t.outcome].to_numpy(float)
        mean = float(np.average(x, weights=w))
        lo, hi = weighted_quantile(x, w, [0.05, 0.95])
        met = bool(target_error(t, np.array([mean]))[0] == 0) if t.value is None else None
        rows.append({"target": name, "outcome": t.outcome, "value": t.value, "low": t.low, "high": t.high,
                     "weight": t.weight, "model_mean": mean, "model_q05": lo, "model_q95": hi, "met": met,
                     "source": t.source})
    return pd.DataFrame(rows)


def plot_marginals(accepted: pd.DataFrame, prior: Prior, truth: dict[str, float] | None = None):
    """Weighted posterior histograms of each parameter on its prior range (matplotlib ``Figure``)."""
    from matplotlib.figure import Figure

    k = len(prior.names)
    cols = min(3, k)
    rows = -(-k // cols)
    fig = Figure(figsize=(4.2 * cols, 2.8 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    w = accepted["weight"].to_numpy(float)
    for j, (name, (lo, hi)) in enumerate(zip(prior.names, prior.support(), strict=True)):
        ax = axes[j]
        grid = np.linspace(lo, hi, 200)
        ax.fill_between(grid, prior.dists[j].pdf(grid), color="0.85", label="prior")
        ax.hist(accepted[name].to_numpy(float), bins=20, range=(lo, hi), weights=w / w.sum() * 20 / (hi - lo),
                color="tab:blue", alpha=0.7, label="posterior")
        if truth and name in truth:
            ax.axvline(truth[name], color="tab:red", lw=2, label="truth")
        ax.set_title(name, fontsize=9)
        ax.set_yticks([])
    for ax in axes[k:]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    return fig


def plot_fit(fit: pd.DataFrame):
    """Target (value or interval) against the posterior predictive mean and 5–95 % interval, per target."""
    from matplotlib.figure import Figure

    k = len(fit)
    cols = min(3, k)
    rows = -(-k // cols)
    fig = Figure(figsize=(4.2 * cols, 1.7 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, r in zip(axes, fit.itertuples(), strict=False):
        if pd.notna(r.value):
            ax.axvline(r.value, color="tab:green", lw=3, alpha=0.7, label="target")
            span = [r.value, r.model_q05, r.model_q95]
        else:
            ax.axvspan(r.low, r.high, color="tab:green", alpha=0.3, label="target")
            span = [r.low, r.high, r.model_q05, r.model_q95]
        ax.errorbar([r.model_mean], [0], xerr=[[r.model_mean - r.model_q05], [r.model_q95 - r.model_mean]],
                    fmt="o", color="tab:blue", capsize=4, label="model (5–95 %)")
        pad = 0.15 * (max(span) - min(span) or abs(max(span)) or 1.0)
        ax.set_xlim(min(span) - pad, max(span) + pad)
        ax.set_yticks([])
        ax.set_title(f"{r.target}: {r.outcome}", fontsize=9)
    for ax in axes[k:]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="upper left")
    return fig


def _write_outputs(spec: ExperimentSpec, prior: Prior, folder: Path, accepted: pd.DataFrame, runs: pd.DataFrame,
                   scales: dict[str, float], meta: dict[str, Any]) -> None:
    from govsim.experiments.fileio import (
        atomic_write,
        atomic_write_csv,
        atomic_write_frame,
        atomic_write_json,
        atomic_write_text,
    )

    atomic_write_frame(folder / "accepted.parquet", accepted)
    atomic_write_csv(folder / "accepted.csv", accepted)
    n_draws = max(len(accepted), 100)
    draws = posterior_draws(accepted, prior.names, n_draws, spec.experiment.seed)
    atomic_write_text(folder / "posterior_draws.csv", draws.to_csv(index=False, float_format="%.10g"))
    summary = posterior_summary(accepted, prior)
    atomic_write_csv(folder / "posterior_summary.csv", summary)
    fit = fit_table(spec, runs, accepted)
    atomic_write_csv(folder / "fit.csv", fit)
    for name, fig in (("posterior_marginals.png", plot_marginals(accepted, prior)),
                      ("predicted_vs_target.png", plot_fit(fit))):
        atomic_write(folder / name, lambda tmp, fig=fig: fig.savefig(tmp, format="png", dpi=110))
    meta["finished"] = True
    meta["posterior"] = summary.to_dict(orient="records")
    meta["fit"] = json.loads(fit.to_json(orient="records"))
    atomic_write_json(folder / "calibration.json", meta)


def check_targets(spec: ExperimentSpec, scenario: Any, replicates: int = 10, seed: int = 1,
                  workers: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a scenario ``replicates`` times and compare each target with the mean and 95 % interval.

    Returns:
        ``(table, runs)``: per target the model's mean, the 2.5–97.5 % range over replicates, a 95 %
        t-interval of the mean, and ``met`` (the mean within the interval, or within one scale of a point
        target); and the runs.
    """
    from govsim.experiments.options import replicate_seeds, run_replicates
    from scipy import stats

    runs, _ = run_replicates([scenario], replicate_seeds(seed, replicates), workers)
    rows = []
    for name, t in spec.targets.items():
        x = runs[t.outcome].to_numpy(float)
        m = float(x.mean())
        half = float(stats.t.ppf(0.975, len(x) - 1) * stats.sem(x)) if len(x) > 1 and x.std() > 0 else 0.0
        met = bool(target_error(t, np.array([m]))[0] == 0) if t.value is None else \
            bool(abs(m - t.value) <= (t.scale or abs(t.value) * 0.1))
        rows.append({"target": name, "outcome": t.outcome, "target_value": t.value, "target_low": t.low,
                     "target_high": t.high, "mean": m, "ci_low": m - half, "ci_high": m + half,
                     "q025": float(np.quantile(x, 0.025)), "q975": float(np.quantile(x, 0.975)), "met": met,
                     "mapping": t.mapping})
    return pd.DataFrame(rows), runs
