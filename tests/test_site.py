"""The documentation site: the file-format references cover every field, the nav covers every page,
and ``mkdocs build --strict`` (broken links and docstrings fail it) builds the pages offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from govsim.experiments.spec_models import (  # noqa: E402
    CalibrationTable,
    ExperimentSpec,
    ExperimentTable,
    ParameterSpec,
    TargetSpec,
)
from govsim.sim.scenario import ScenarioSpec  # noqa: E402

from tools import gen_experiment_reference  # noqa: E402

DOCS = ROOT / "docs"


def _rows(path: Path) -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", path.read_text(encoding="utf-8"), flags=re.M))


def _dotted(cls: type[BaseModel], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, f in cls.model_fields.items():
        key = f"{prefix}{f.alias or name}"
        ann = f.annotation
        inner = typing.get_args(ann)[0] if typing.get_origin(ann) is list else None
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _dotted(ann, key + ".")
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            out += _dotted(inner, key + "[].")
        else:
            out.append(key)
    return out


# --------------------------------------------------------------------------- file-format references


def test_scenario_reference_lists_every_field_of_the_scenario_model() -> None:
    keys = _dotted(ScenarioSpec)
    assert len(keys) > 150
    assert set(keys) == _rows(DOCS / "scenario-reference.md")


def test_experiment_reference_is_generated() -> None:
    text = (DOCS / "experiment-reference.md").read_text(encoding="utf-8")
    assert text == gen_experiment_reference.render(), (
        "docs/experiment-reference.md is stale: run .venv/bin/python tools/gen_experiment_reference.py")


def _models_of(annotation: object) -> set[type]:
    """The pydantic models an annotation names (``X``, ``X | None``, ``dict[str, X]``, ``list[X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {annotation}
    return {m for arg in typing.get_args(annotation) for m in _models_of(arg)}


def test_experiment_reference_lists_every_field_of_the_experiment_models() -> None:
    listed = _rows(DOCS / "experiment-reference.md")
    tables = ExperimentSpec.model_fields
    assert set(tables) == {"experiment", "parameters", "fixed", "calibration", "targets"}, "a new table needs a section"
    # The tables' models, read from ExperimentSpec's annotations, so a swapped model cannot go unnoticed.
    prefixes = {"experiment": "experiment.", "parameters": "parameters.<path>.", "calibration": "calibration.",
                "targets": "targets.<name>."}
    models = {table: _models_of(tables[table].annotation) for table in prefixes}
    assert models == {"experiment": {ExperimentTable}, "parameters": {ParameterSpec},
                      "calibration": {CalibrationTable}, "targets": {TargetSpec}}
    expected = {f"{prefixes[table]}{n}" for table, (model,) in models.items() for n in model.model_fields}
    expected.add("fixed.<path>")
    assert {f"calibration.{n}" for n in ("method", "generations", "particles", "quantile")} <= expected
    assert {f"targets.<name>.{n}" for n in ("outcome", "value", "low", "high", "weight", "scale")} <= expected
    assert listed == expected


def test_experiment_reference_describes_every_field() -> None:
    for _, _, rows in gen_experiment_reference.sections():
        for r in rows:
            assert len(r.description) > 8, f"{r.key} has no description (add it to the model's Attributes:)"
    samples = next(r for _, _, rows in gen_experiment_reference.sections() for r in rows if r.key == "experiment.samples")
    assert samples.default == "`16`" and "≥ 1" in samples.allowed and "Base sample size" in samples.description
    quantile = next(r for _, _, rows in gen_experiment_reference.sections() for r in rows
                    if r.key == "calibration.quantile")
    assert quantile.default == "`0.3`" and "> 0" in quantile.allowed and "≤ 1" in quantile.allowed
    outcome = next(r for _, _, rows in gen_experiment_reference.sections() for r in rows
                   if r.key == "targets.<name>.outcome")
    assert outcome.default == "(required)" and "outcome" in outcome.description


# --------------------------------------------------------------------------- nav


def _nav_files(nav: list) -> list[str]:
    out: list[str] = []
    for item in nav:
        for value in (item.values() if isinstance(item, dict) else [item]):
            out += _nav_files(value) if isinstance(value, list) else [value]
    return out


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_every_page_is_in_the_nav_and_every_nav_entry_exists(config: dict) -> None:
    nav = _nav_files(config["nav"])
    for entry in nav:
        assert (DOCS / entry).is_file(), f"mkdocs.yml nav names a missing page: {entry}"
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*") if p.suffix in (".md", ".ipynb")
             and ".ipynb_checkpoints" not in p.parts}
    assert pages <= set(nav), f"pages missing from the nav in mkdocs.yml: {sorted(pages - set(nav))}"
    for required in ("index.md", "getting-started.md", "ODD.md", "policies.md", "scenario-reference.md",
                     "experiment-reference.md", "performance.md", "teaching.md", "api/govsim.md",
                     "calibration.md", "reliability.md", "reproducibility.md"):
        assert required in nav


def test_the_theme_fetches_no_fonts(config: dict) -> None:
    assert config["theme"]["name"] == "material"
    assert config["theme"]["font"] is False
    assert config.get("strict") is True
    jupyter = next(p["mkdocs-jupyter"] for p in config["plugins"] if isinstance(p, dict) and "mkdocs-jupyter" in p)
    assert jupyter["execute"] is False and jupyter["cache"] is False  # nothing run, nothing written into the clone


# --------------------------------------------------------------------------- build


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "JUPYTER_PLATFORM_DIRS": "1"}
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert res.returncode == 0, f"mkdocs build --strict failed:\n{res.stdout[-3000:]}\n{res.stderr[-6000:]}"
    return out


@pytest.mark.slow
def test_site_builds_strict_with_the_expected_pages(site: Path) -> None:
    for page in ("index.html", "getting-started.html", "ODD.html", "policies.html", "scenario-reference.html",
                 "experiment-reference.html", "sweeps.html", "analysis.html", "performance.html", "teaching.html",
                 "calibration.html", "reliability.html", "reproducibility.html",
                 "api/govsim.html", "api/sim.html", "api/experiments.html", "api/analysis.html",
                 "notebooks/mymodel.py"):
        assert (site / page).is_file(), page
    for nb in sorted((DOCS / "notebooks").glob("*.ipynb")):
        html = (site / "notebooks" / f"{nb.stem}.html").read_text(encoding="utf-8")
        code_cells = sum(c["cell_type"] == "code" for c in json.loads(nb.read_text(encoding="utf-8"))["cells"])
        assert 'class="jp-Notebook"' in html and "govsim" in html, nb.name  # rendered as a notebook
        # every code cell is rendered (mkdocs-jupyter nests nbconvert's cell div in its own: two per cell)
        assert html.count("jp-CodeCell jp-Notebook-cell") == 2 * code_cells, nb.name


@pytest.mark.slow
def test_api_pages_come_from_the_docstrings(site: Path) -> None:
    html = (site / "api" / "govsim.html").read_text(encoding="utf-8")
    for name in ("load_scenario", "override", "run", "RunResult", "compare", "sweep", "analyze", "discover",
                 "dashboard"):
        assert f'id="govsim.api.{name}"' in html, name
    assert "common random numbers" in html  # compare's docstring
    assert 'id="govsim.sim.scenario.ScenarioSpec"' in (site / "api" / "sim.html").read_text(encoding="utf-8")
    assert 'id="govsim.experiments.runner.run_sweep"' in (site / "api" / "experiments.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_site_references_nothing_remote_at_view_time(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, page
        remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', text)
        assert not remote, f"{page.relative_to(site)} loads {remote[:3]}"
