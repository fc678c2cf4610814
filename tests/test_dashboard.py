"""The classroom dashboard (sim/app.py): model adapter, layout, ladder, controls and page, headless."""

from __future__ import annotations

import os

import ipyvuetify as v
import numpy as np
import pytest
import solara
from govsim.sim import app
from govsim.sim.app import (
    CHARTS,
    LEVERS,
    MAX_CITY_FILE_POPULATION,
    POPULATION_RANGE,
    UNCERTAINTIES,
    ClassroomModel,
    Dashboard,
    city_figure,
    ladder_html,
    ladder_rows,
    model_params,
    outcome_svg,
    presets,
)
from govsim.sim.scenario import load_scenario
from mesa.visualization.solara_viz import UserInputs, _check_model_params, split_model_params

EMPOWER = LEVERS["street_empowerment"].label


def render_page(model: solara.Reactive):
    """The page as the server shows it: inside solara's AppLayout, so the sidebar is rendered too."""
    return solara.render(solara.AppLayout(children=[Dashboard(model)]), handle_error=False)


def text_of(rc, cls: str) -> str:
    """Text of the solara.Text spans with CSS class ``cls``."""
    return " ".join(str(w.children[0]) for w in rc.find(v.Html, class_=cls).widgets)


def html_of(rc, cls: str) -> str:
    return " ".join(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets if cls in (w.unsafe_innerHTML or ""))


# --------------------------------------------------------------------------- the model adapter


def test_every_lever_and_uncertainty_has_a_labelled_control_within_its_range():
    m = ClassroomModel()
    params = model_params(m)
    _check_model_params(m, params)  # SolaraViz's own check: every key is a keyword of the model
    user, fixed = split_model_params(params)
    assert set(LEVERS) | set(UNCERTAINTIES) | {"seed", "population", "ab_mode", "b_preset"} == set(user)
    assert fixed == {"preset": "baseline"}
    for name, lever in LEVERS.items():
        p = params[name]
        assert p["label"] == lever.label
        assert p["value"] == getattr(m.spec.policy, name)
        if lever.kind == "bool":
            assert p["type"] == "Checkbox"
        else:
            assert (p["min"], p["max"]) == (lever.low, lever.high)
    assert params["b_preset"]["values"] == list(presets())
    assert (params["population"]["min"], params["population"]["max"]) == POPULATION_RANGE


def test_every_preset_in_scenarios_loads_into_the_classroom_city():
    names = presets()
    assert {"baseline", "street_empowerment", "fengqiao_full"} <= set(names)
    for name, path in names.items():
        m = ClassroomModel(preset=name)
        file = load_scenario(path)
        # a preset naming a city file (zhuji, dongcheng) shows that real city on the map, at its size;
        # one too large for the page (beijing, 21.9 M) becomes a classroom city with its policy, and says so
        too_big = file.world.city_file is not None and file.world.population > MAX_CITY_FILE_POPULATION
        assert len(m.notices) == too_big, (name, m.notices)
        assert not too_big or (m.spec.world.city_file is None and "too large" in m.notices[0])
        assert m.spec.policy == file.policy
        assert m.spec.world.population == (3000 if m.spec.world.city_file is None else m.world.population)
        m.step()


def test_controls_override_the_preset_and_clip_extreme_values():
    m = ClassroomModel(preset="street_empowerment", street_empowerment=0.3, secretary_projects=4.0,
                       hotline_response=True, trust_loss_weight=4.0)
    assert m.spec.policy.street_empowerment == 0.3
    assert m.spec.policy.secretary_projects == 4 and isinstance(m.spec.policy.secretary_projects, int)
    assert m.spec.policy.hotline_response is True
    assert m.spec.world.trust_loss_weight == 4.0
    assert m.notices == []
    x = ClassroomModel(street_empowerment=7, grid_members_per_10k=-5, secretary_projects=1e9,
                       tacitus_threshold=3.0, population=10**9, data_sharing="lots")
    assert x.spec.policy.street_empowerment == 1.0
    assert x.spec.policy.grid_members_per_10k == 0.0
    assert x.spec.policy.secretary_projects == 24
    assert x.spec.world.tacitus_threshold == 1.0
    assert x.spec.world.population == POPULATION_RANGE[1]
    assert x.spec.policy.data_sharing == LEVERS["data_sharing"].default
    assert len(x.notices) == 6 and any("Empower streets" in n and "using 1" in n for n in x.notices)
    with pytest.raises(TypeError, match="unknown dashboard controls: no_such_lever"):
        ClassroomModel(no_such_lever=1.0)


@pytest.mark.parametrize(
    ("typed", "used", "noticed"),
    [("7", 7, False), (" 12 ", 12, False), (5, 5, False), ("1e3", 1000, False), ("", 42, True), (None, 42, True),
     ("abc", 42, True), ("-3", 42, True), ("2.5", 42, True), ("nan", 42, True), ("9" * 40, 42, True)],
)
def test_seed_typed_in_the_page_is_coerced(typed, used, noticed):
    m = ClassroomModel(seed=typed)
    assert m.seed_value == used
    assert bool(m.notices) is noticed


def test_same_seed_same_city_and_mesa_scenario_from_reset_is_ignored():
    from mesa.experimental.scenarios import Scenario

    a = ClassroomModel(seed="11", scenario=Scenario())  # SolaraViz's Reset passes one
    b = ClassroomModel(seed=11)
    for _ in range(40):
        a.step()
        b.step()
    assert a.summary() == b.summary()
    c = ClassroomModel(seed=12)
    for _ in range(40):
        c.step()
    assert c.summary() != a.summary()


def test_ab_mode_runs_b_with_the_other_policy_on_the_same_seed_and_world():
    m = ClassroomModel(preset="baseline", ab_mode=True, b_preset="fengqiao_full", seed=5, trust_loss_weight=3.0)
    assert m.twin is not None
    assert m.twin.spec.policy == load_scenario(app.SCENARIO_DIR / "fengqiao_full.toml").policy
    assert m.twin.spec.world == m.spec.world
    np.testing.assert_array_equal(m.twin.residents.trust, m.residents.trust)  # common random numbers
    for _ in range(60):
        m.step()
    assert m.twin.time == m.time == 60
    assert m.twin.summary() != m.summary()
    # B with A's own policy is the same run: the comparison is paired
    same = ClassroomModel(preset="baseline", ab_mode=True, b_preset="baseline", seed=5)
    for _ in range(60):
        same.step()
    assert same.twin.summary() == same.summary()


# --------------------------------------------------------------------------- map, ladder, charts


@pytest.mark.parametrize("population", [500, 3000, 20_000])
def test_layout_puts_every_building_in_its_own_cell_inside_its_grid_community_and_street(population):
    m = ClassroomModel(population=population)
    lay = m.layout
    cells = set(zip(lay.x.tolist(), lay.y.tolist(), strict=True))
    assert len(cells) == m.n_buildings
    assert lay.x.max() < lay.shape[1] and lay.y.max() < lay.shape[0]
    street_of = m.community_street[m.grid_community[m.building_grid]]
    for s, (x0, y0, w, h) in enumerate(lay.rects["street"]):
        inside = (lay.x >= x0) & (lay.x < x0 + w) & (lay.y >= y0) & (lay.y < y0 + h)
        np.testing.assert_array_equal(inside, street_of == s)
    comm_of = m.grid_community[m.building_grid]
    for c, (x0, y0, w, h) in enumerate(lay.rects["community"]):
        inside = (lay.x >= x0) & (lay.x < x0 + w) & (lay.y >= y0) & (lay.y < y0 + h)
        np.testing.assert_array_equal(inside, comm_of == c)


def test_ladder_rows_account_for_every_open_and_settled_issue_and_recent_moves():
    m = ClassroomModel(seed=3, grid_members_per_10k=0, building_heads=0.0)
    for _ in range(90):
        m.step()
    before = m.counts.moves.copy()
    for _ in range(app.MOVES_WINDOW):
        m.step()
    recent = m.moves_log["A"].recent()
    np.testing.assert_array_equal(recent, m.counts.moves - before)
    rows = ladder_rows(m, recent)
    assert sum(r["open"] for r in rows[:-1]) == m.counts.open == len(m.open_issues)
    assert sum(r["settled"] for r in rows[1:-1]) == m.counts.settled_total
    assert rows[-1]["total"] == m.counts.left_city
    assert sum(r["in"] for r in rows[1:]) == recent.sum()
    html = ladder_html("", m, recent)
    assert f"total {m.counts.left_city}" in html and "Moves in the last 7 days" in html


def test_map_marks_open_issues_where_they_arise_and_switches_colouring():
    m = ClassroomModel(seed=2)
    for _ in range(30):
        m.step()
    counts, top = app.open_by_building(m)
    assert counts.sum() == len(m.open_issues) > 0
    for issue in m.open_issues.values():
        assert top[issue.building] >= issue.level
    fig = city_figure(m.cities(), m.layout, "open issues")
    ax = fig.axes[0]
    img = ax.images[0].get_array()
    np.testing.assert_array_equal(np.asarray(img)[m.layout.y, m.layout.x], counts)
    markers = [c for c in ax.collections if c.get_gid() == "open-issues"]
    assert len(markers) == 1 and len(markers[0].get_offsets()) == (counts > 0).sum()
    np.testing.assert_array_equal(markers[0].get_offsets()[:, 0], m.layout.x[counts > 0])
    trust = np.asarray(city_figure(m.cities(), m.layout, "trust").axes[0].images[0].get_array())
    np.testing.assert_allclose(trust[m.layout.y, m.layout.x], app.trust_by_building(m))


def test_charts_draw_each_outcome_for_each_city():
    m = ClassroomModel(ab_mode=True, b_preset="fengqiao_full")
    for _ in range(20):
        m.step()
    svg = outcome_svg({k: app.chart_frame(x) for k, x in m.cities().items()})
    assert svg.count("<svg") == len(CHARTS) and svg.count("<polyline") == 2 * len(CHARTS)
    for col in CHARTS:
        assert f'data-outcome="{col}"' in svg
    assert "day 20" in svg


# --------------------------------------------------------------------------- components and page


def test_user_inputs_slider_sets_the_lever_of_the_new_model():
    params = model_params(ClassroomModel())
    user, _ = split_model_params(params)
    changed: dict = {}

    @solara.component
    def Inputs():
        UserInputs(user, on_change=lambda name, value: changed.__setitem__(name, value))

    _, rc = solara.render(Inputs(), handle_error=False)
    rc.find(v.Slider, label=EMPOWER).widget.v_model = 0.65
    rc.find(v.Checkbox, label=LEVERS["hotline_response"].label).widget.v_model = True
    assert changed == {"street_empowerment": 0.65, "hotline_response": True}
    kwargs = {**{k: p["value"] for k, p in user.items()}, **changed}
    m = ClassroomModel(**kwargs)
    assert m.spec.policy.street_empowerment == 0.65
    assert m.spec.policy.hotline_response is True


def test_page_steps_resets_with_a_lever_and_loads_a_preset():
    model = solara.reactive(ClassroomModel())
    _, rc = render_page(model)
    assert text_of(rc, "govsim-status").startswith("Day 0 · preset 'baseline'")
    step = rc.find(v.Btn, children=["Step"]).widget
    ladder0 = html_of(rc, "govsim-ladder")
    for _ in range(15):
        step.click()
    assert model.value.time == 15
    assert text_of(rc, "govsim-status").startswith("Day 15 ")
    assert text_of(rc, "govsim-latest").startswith("Day 15 — Mean trust: A ")
    assert html_of(rc, "govsim-ladder") != ladder0
    # a lever moved in the sidebar reaches the model built by Reset, and the page says so
    rc.find(v.Slider, label=EMPOWER).widget.v_model = 0.55
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.time == 0
    assert model.value.spec.policy.street_empowerment == 0.55
    assert f"{EMPOWER} = 0.55" in model.value.policy_line()
    assert f"{EMPOWER} = 0.55" in text_of(rc, "govsim-policy")
    assert text_of(rc, "govsim-status").startswith("Day 0 ")
    # a preset loads at once, and the controls move to its values
    rc.find(v.Select, label="Preset (scenarios/)").widget.v_model = "fengqiao_full"
    assert model.value.preset == "fengqiao_full"
    assert model.value.spec.policy.street_empowerment == 0.8
    assert rc.find(v.Slider, label=EMPOWER).widget.v_model == 0.8
    assert rc.find(v.Checkbox, label=LEVERS["hotline_response"].label).widget.v_model is True
    rc.find(v.Btn, children=["Reset"]).widget.click()  # Reset keeps the loaded preset and its values
    assert (model.value.preset, model.value.spec.policy.street_empowerment) == ("fengqiao_full", 0.8)
    # the controls are fresh after each load, also where the new value equals the first one shown
    rc.find(v.Slider, label=EMPOWER).widget.v_model = 1.0
    rc.find(v.Select, label="Preset (scenarios/)").widget.v_model = "building_heads"
    assert rc.find(v.Slider, label=EMPOWER).widget.v_model == 0.0
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert (model.value.preset, model.value.spec.policy.street_empowerment) == ("building_heads", 0.0)
    assert model.value.spec.policy.building_heads == 0.8
    # A/B mode through the controls
    rc.find(v.Checkbox, label="A/B: run city B beside A (same seed)").widget.v_model = True
    rc.find(v.Select, label="City B uses the policy of").widget.v_model = "baseline"
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.twin is not None and model.value.b_preset == "baseline"
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert 'data-city="B"' in html_of(rc, "govsim-ladder")


def type_seed(rc, text: str) -> None:
    """Type into the seed box and press Enter (solara's InputText reports on Enter or focus-out)."""
    field = rc.find(v.TextField, label="Seed (same seed = same city)").widget
    field.v_model = text
    field.fire_event("keyup.enter", None)


def test_page_survives_bad_seed_and_shows_a_message():
    model = solara.reactive(ClassroomModel())
    _, rc = render_page(model)
    type_seed(rc, "not a seed")
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.seed_value == app.DEFAULT_SEED
    alerts = rc.find(v.Alert, class_="govsim-notice")
    assert any("not a whole number" in str(w.children) for w in alerts.widgets)
    type_seed(rc, "")
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert any("empty" in str(w.children) for w in rc.find(v.Alert, class_="govsim-notice").widgets)
    type_seed(rc, "77")
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.seed_value == 77
    assert rc.find(v.Alert, class_="govsim-notice").widgets == []
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert model.value.time == 1


def test_colour_switch_redraws_the_map():
    import ipywidgets

    model = solara.reactive(ClassroomModel())
    _, rc = render_page(model)
    for _ in range(10):
        rc.find(v.Btn, children=["Step"]).widget.click()
    before = [w.value for w in rc.find(ipywidgets.Image).widgets]
    rc.find(v.BtnToggle).widget.v_model = 1  # "trust"
    after = [w.value for w in rc.find(ipywidgets.Image).widgets]
    assert len(before) == len(after) == 1
    assert before[0][:8] == b"\x89PNG\r\n\x1a\n" and before != after


def test_dashboard_command_binds_to_loopback_and_warns_otherwise(monkeypatch, capsys, tmp_path):
    import solara.__main__ as solara_main

    from govsim.cli import main

    calls = []
    monkeypatch.setattr(solara_main.cli, "main", lambda **kw: calls.append(kw["args"]))
    monkeypatch.setattr(os, "environ", {k: val for k, val in os.environ.items() if k != app.EXTRA_PRESET_ENV})
    assert main(["dashboard", "--port", "8799"]) == 0
    args = calls[-1]
    assert args[:2] == ["run", "govsim.sim.app"] and args[args.index("--host") + 1] == "127.0.0.1"
    assert args[args.index("--port") + 1] == "8799" and "--no-open" in args
    assert "warning" not in capsys.readouterr().err
    assert main(["dashboard", "--host", "0.0.0.0", "--scenario", str(app.SCENARIO_DIR / "building_heads.toml")]) == 0
    assert "warning: the dashboard is bound to 0.0.0.0" in capsys.readouterr().err
    assert app.initial_preset() == "building_heads"
    bad = tmp_path / "bad.toml"
    bad.write_text("[policy]\nstreet_empowerment = 3\n")
    n = len(calls)
    assert main(["dashboard", "--scenario", str(bad)]) == 2
    assert "street_empowerment" in capsys.readouterr().err and len(calls) == n


def test_timeline_preset_shows_its_timeline():
    """A preset with a ``[[timeline]]`` lists its entries on the status card, marked as they take effect."""
    m = ClassroomModel(preset="phased_fengqiao")
    line = m.timeline_line()
    assert line.startswith("Timeline: ") and "policy.hotline_response" in line and "✓" not in line
    assert ClassroomModel().timeline_line() == ""
