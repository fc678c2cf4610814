"""Print a Morris screening's ranking as the markdown tables quoted in docs/calibration.md.

Run from the repository root, after a sweep and its analysis:
    govsim sweep experiments/uncertainties.toml --out out/uncertainties
    govsim analyze out/uncertainties --method morris
    .venv/bin/python tools/morris_ranking.py out/uncertainties [--top 15] [--assumptions-only]

For each outcome, μ* (mean absolute elementary effect, in the outcome's units per the parameter's whole
range, SALib's unit-hypercube scaling) is divided by the largest μ* of that outcome, so that outcomes
in different units can be put side by side; a parameter's overall rank is by its mean relative μ*
over the outcomes. The bootstrap interval of μ* (``govsim analyze``) says whether two neighbours in
the ranking can be told apart; parameters whose interval includes 0 for every outcome are listed as
"no detectable influence".
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def ranking(indices: pd.DataFrame) -> pd.DataFrame:
    """Relative μ* per (parameter, outcome), the mean over outcomes, and whether any interval excludes 0."""
    mu = indices[indices["index"] == "mu_star"].copy()
    mu["rel"] = mu["value"] / mu.groupby("outcome")["value"].transform("max").where(lambda s: s > 0)
    wide = mu.pivot(index="parameter", columns="outcome", values="rel").fillna(0.0)
    wide["mean"] = wide.mean(axis=1)
    detect = mu.assign(sig=mu["ci_low"] > 0).groupby("parameter")["sig"].any()
    wide["detectable"] = detect.reindex(wide.index).fillna(False)
    return wide.sort_values("mean", ascending=False)


def markdown(table: pd.DataFrame, top: int) -> str:
    """The top rows as a markdown table (relative μ*, two decimals)."""
    outcomes = [c for c in table.columns if c not in ("mean", "detectable")]
    lines = ["| rank | parameter | " + " | ".join(f"`{o}`" for o in outcomes) + " | mean |",
             "| --- | --- | " + " | ".join("---" for _ in outcomes) + " | --- |"]
    for i, (name, row) in enumerate(table.head(top).iterrows(), 1):
        cells = " | ".join(f"{row[o]:.2f}" for o in outcomes)
        lines.append(f"| {i} | `{name}` | {cells} | {row['mean']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Read ``FOLDER/analysis/indices.csv`` and print the ranking."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--assumptions-only", action="store_true", help="leave the levers (policy.*) out")
    args = ap.parse_args(argv)
    indices = pd.read_csv(args.folder / "analysis" / "indices.csv")
    if args.assumptions_only:
        indices = indices[~indices["parameter"].str.startswith("policy.")]
    table = ranking(indices)
    print(markdown(table, args.top))
    quiet = [p for p, d in table["detectable"].items() if not d]
    print(f"\n{len(table)} parameters; no detectable influence (every μ* interval includes 0): "
          + (", ".join(f"`{p}`" for p in quiet) if quiet else "none"))


if __name__ == "__main__":  # pragma: no cover
    main()
