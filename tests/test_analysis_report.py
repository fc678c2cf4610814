"""Reports are self-contained and complete; the analyze command writes what it promises."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import typer
from govsim.analysis import synthetic as syn
from govsim.analysis.cli import register
from govsim.analysis.compare import compare_runs
from govsim.analysis.report import write_comparison_report
from govsim.analysis.sensitivity import TABLE_COLUMNS
from govsim.sim.errors import InputError
from typer.testing import CliRunner


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _parse(html_text):
    p = _Collect()
    p.feed(html_text)
    return p.tags


def assert_self_contained(html_text):
    tags = _parse(html_text)
    imgs = [a for t, a in tags if t == "img"]
    assert imgs and all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    assert not [t for t, a in tags if t in ("script", "link", "iframe", "object")]
    for _t, attrs in tags:
        for k, v in attrs.items():
            if k in ("src", "href"):
                assert not re.match(r"\s*(https?:)?//", v or ""), (k, v)
    assert "http://" not in html_text and "https://" not in html_text
    assert "@import" not in html_text and "url(" not in html_text
    return tags


@pytest.fixture(scope="module")
def comparison_inputs():
    rng = np.random.default_rng(0)
    rows = []
    for s, e in (("baseline", 0.0), ("<script>alert(1)</script>", 0.1)):
        for r in range(6):
            trust = 0.5 + e + np.cumsum(rng.normal(0, 0.01, 20))
            rows.append(pd.DataFrame({"scenario": s, "replicate": r, "seed": 100 + r, "day": np.arange(20),
                                      "mean_trust": trust, "share_low_trust": 1 - trust, "cost": 10 + 5 * e}))
    ts = pd.concat(rows, ignore_index=True)
    runs = ts[ts.day == 19].drop(columns="day").reset_index(drop=True)
    return ts, runs, compare_runs(runs, ["mean_trust", "share_low_trust", "cost"], n_boot=300)


def test_comparison_report_is_self_contained(tmp_path, comparison_inputs):
    ts, runs, cmp = comparison_inputs
    path = write_comparison_report(cmp, runs, ts, tmp_path, {"git_commit": "abc123", "versions": {"mesa": "3.5.1"},
                                                              "note": "<b>unsafe</b>"})
    text = path.read_text(encoding="utf-8")
    tags = assert_self_contained(text)
    # figures: forest + a fan chart per outcome + the trust trap
    assert sum(t == "img" for t, _ in tags) == 1 + 3 + 1
    # tables: the answer + one per outcome + provenance
    assert sum(t == "table" for t, _ in tags) == 1 + 3 + 1
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>unsafe</b>" not in text
    for needle in ("abc123", "3.5.1", "replicates per scenario", "Cohen"):
        assert needle in text
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    for m in re.findall(r"\]\((figures/[^)]+)\)", md):
        assert (tmp_path / m).is_file(), m
    assert (tmp_path / "figures" / "forest.svg").is_file()
    assert not (tmp_path / "comparison.csv").exists()  # the caller's file (govsim compare writes it once)


def test_comparison_report_leads_with_the_answer(tmp_path, comparison_inputs):
    """The answer (best option per outcome, its cost, cost per unit) comes first; provenance comes last."""
    _, runs, cmp = comparison_inputs
    text = write_comparison_report(cmp, runs, None, tmp_path, {"git_commit": "abc123"}).read_text(encoding="utf-8")
    answer, forest, prov = text.index("The answer"), text.index('alt="Difference from the reference'), \
        text.index("<h2>Provenance")
    assert answer < forest < prov
    head = text[answer:prov]
    assert "Best option on each main outcome" in head and "万元" in head and "cost per unit of improvement" in head
    assert "per 0.01 more trust" in head  # the price of the improvement, in words
    assert "direction of improvement is" not in text  # no screen of 'not ranked' lines
    assert not re.search(r"\d\.\d+e[-+]\d", text[:prov])  # no scientific notation before provenance


def test_readable_numbers():
    from govsim.analysis.report import cost_per_improvement, num, show

    assert num(5.257e-06) == "0.00000526" and num(1887.04, 4) == "1,887" and num(float("nan")) == "–"
    nb = "\u00a0"  # a value never breaks across lines
    assert show("share_left_city", 0.0123) == f"1.23{nb}%" and show("mean_resolution_days", 13.448) == f"13.4{nb}days"
    assert show("cost", 2101.83) == f"2,102{nb}万元" and show("share_left_city", -0.01, diff=True) == f"-1.00{nb}pp"
    assert cost_per_improvement("left_city", 4.0, 100.0) == f"25.0{nb}万元 per dispute kept inside the city"
    assert cost_per_improvement("mean_trust", 0.02, -5.0).endswith("dominant")
    assert cost_per_improvement("mean_trust", -0.02, 5.0) == "no improvement"


def test_comparison_report_without_timeseries(tmp_path, comparison_inputs):
    _, runs, cmp = comparison_inputs
    text = write_comparison_report(cmp, runs, None, tmp_path, {}).read_text(encoding="utf-8")
    assert sum(t == "img" for t, _ in assert_self_contained(text)) == 1


def _app():
    app = typer.Typer()
    register(app)

    @app.callback()
    def main():  # a group, so that "analyze" is a sub-command as in govsim
        pass

    return app


def noisy(X, rng):
    return {"y": syn.ishigami(X) + rng.normal(0, 0.5, len(X)), "share_left_city": np.clip(X[:, 0], 0, None) / 10}


@pytest.fixture(scope="module")
def sobol_folder(tmp_path_factory):
    return syn.write_sweep(tmp_path_factory.mktemp("sw"), noisy, syn.ISHIGAMI_PROBLEM, design="sobol", n=128,
                           replicates=2, seed=3)


def test_analyze_command_writes_tables_figures_report(tmp_path, sobol_folder):
    out = tmp_path / "an"
    res = CliRunner().invoke(_app(), ["analyze", str(sobol_folder), "--out", str(out), "--resamples", "200"])
    assert res.exit_code == 0, res.output
    assert "report:" in res.output and "x1" in res.output
    idx = pd.read_csv(out / "indices.csv")
    assert list(idx.columns) == TABLE_COLUMNS
    assert set(idx["outcome"]) == {"y", "share_left_city"} and {"S1", "ST"} <= set(idx["index"])
    for o in ("y", "share_left_city"):
        assert (out / "figures" / f"sobol_{o}.png").is_file() and (out / "figures" / f"sobol_{o}.svg").is_file()
    text = (out / "report.html").read_text(encoding="utf-8")
    tags = assert_self_contained(text)
    assert sum(t == "img" for t, _ in tags) == 2
    assert sum(t == "table" for t, _ in tags) == 1 + 2 * 2  # provenance + indices and convergence per outcome
    assert "replicates = 2" in text and "total runs = 1280" in text and "noise share" in text
    assert (out / "report.md").is_file() and (out / "convergence.csv").is_file()


def test_analyze_command_prim(tmp_path, sobol_folder):
    out = tmp_path / "prim"
    res = CliRunner().invoke(_app(), ["analyze", str(sobol_folder), "--method", "prim", "--outcome",
                                      "share_left_city", "--threshold", "0.1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    box = pd.read_csv(out / "prim_box.csv").set_index("parameter")
    assert set(box.index) == {"x1"}  # bad when x1 > 1
    assert box.loc["x1", "low"] == pytest.approx(1.0, abs=0.1)
    assert pd.read_csv(out / "feature_importance.csv").iloc[0]["parameter"] == "x1"
    tags = assert_self_contained((out / "report.html").read_text(encoding="utf-8"))
    assert sum(t == "img" for t, _ in tags) == 2


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--method", "morris"], "'sobol' design supports sobol"),
        (["--outcome", "nope"], "unknown outcome"),
        (["--method", "prim", "--outcome", "y"], "--threshold"),
        (["--method", "bogus"], "one of auto"),
        (["--stat", "mode"], "stat"),
    ],
)
def test_analyze_command_bad_input(tmp_path, sobol_folder, args, match):
    res = CliRunner().invoke(_app(), ["analyze", str(sobol_folder), "--out", str(tmp_path), *args])
    assert isinstance(res.exception, InputError)
    assert match in str(res.exception) and "\n" not in str(res.exception)


def test_analyze_command_missing_folder(tmp_path):
    res = CliRunner().invoke(_app(), ["analyze", str(tmp_path / "missing")])
    assert isinstance(res.exception, InputError) and "does not exist" in str(res.exception)
    res = CliRunner().invoke(_app(), ["analyze", str(tmp_path)])
    assert isinstance(res.exception, InputError) and "manifest.json" in str(res.exception)


def test_ranked_index_table_orders_by_main_index_and_folds_warnings():
    import pandas as pd
    from govsim.analysis.report import _grouped_warnings, convergence_table, ranked_index_table

    tab = pd.DataFrame({
        "parameter": ["a", "b", "c", "a", "b", "c"],
        "outcome": ["y"] * 6,
        "index": ["mu_star"] * 3 + ["sigma"] * 3,
        "value": [0.1, 0.5, 0.3, 0.01, 0.02, 0.03],
        "ci_low": [0.05, 0.4, 0.2, None, None, None],
        "ci_high": [0.15, 0.6, 0.4, None, None, None],
    })
    wide = ranked_index_table(tab)
    assert wide["parameter"].tolist() == ["b", "c", "a"]
    assert list(wide.columns)[:2] == ["parameter", "mu_star"]
    assert wide.loc[0, "mu_star"] == "0.5 [0.4, 0.6]"
    warns = _grouped_warnings(["y: a and b cannot be ranked (x)", "y: b and c cannot be ranked (x)", "y: other"], "y")
    assert len(warns) == 2 and "2 adjacent pairs" in warns[0] and "a, b, c" in warns[0]
    conv = tab[tab["index"] == "mu_star"].assign(n=[5, 5, 5])
    conv = pd.concat([conv, conv.assign(n=10)])
    assert list(convergence_table(conv).columns) == ["parameter", "index", "N = 5", "N = 10"]
