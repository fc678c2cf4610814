"""A million-resident city runs for 30 days on the columnar residents (issue 19): keeps the path alive.

No timing is asserted (benchmarks report figures: ``govsim bench``). What is asserted is what makes a
Beijing-sized city fit one machine: no per-resident Python object, the per-resident arrays' bytes,
the lean dtypes of the social network, and that the city works (issues arise, flow and are
conserved; trust moves).
"""

from __future__ import annotations

import numpy as np
import pytest
from govsim.sim.agents import Resident
from govsim.sim.model import run_quietly
from govsim.sim.scenario import apply_overrides, load_scenario

from tests.conftest import ROOT

MILLION = 1_000_000


def per_resident_bytes(model) -> float:
    """Bytes of every array with one entry (or row) per resident, per resident."""
    n = model.population
    arrays = [v for obj in (model.residents, model.trust_dynamics, model)
              for v in vars(obj).values() if isinstance(v, np.ndarray)]
    arrays += [a for a in (model.trust_dynamics._work or ())]
    seen, total = set(), 0
    for a in arrays:
        if id(a) in seen or not (a.shape and (a.shape[0] == n or (a.ndim == 2 and a.shape[1] == n))):
            continue
        seen.add(id(a))
        total += a.nbytes
    return total / n


@pytest.mark.slow
def test_million_resident_city_for_30_days():
    spec = apply_overrides(load_scenario(ROOT / "scenarios" / "baseline.toml"),
                           {"world.population": MILLION, "run.days": 30}, "test")
    m = run_quietly(spec, rng=19)
    # the tree grew with the population (derived structure, not the collapsed 18-community city)
    assert m.n_communities > 100 and m.n_streets > 5
    # residents are arrays: no per-resident object; Mesa agents are the offices, mediators and grid members
    assert Resident not in m.agents_by_type
    assert len(m.agents) < MILLION / 20
    td = m.trust_dynamics
    assert td.contacts.dtype == np.int32 and td.contacts.shape[0] == MILLION
    assert m.residents.building.dtype == np.int32
    # every per-resident array together, including the trust update's kept working arrays
    assert per_resident_bytes(m) <= 140
    # the city works: about 130 issues per 1,000 residents a year arise, flow, and are conserved
    c = m.counts
    assert 0.5 * MILLION * 0.13 * 30 / 365 < c.arisen < 2.0 * MILLION * 0.13 * 30 / 365
    assert c.settled_total > 0.3 * c.arisen
    assert m.check_conservation()
    assert td.good.sum() > 0 and td.bad.sum() > 0  # experiences were written into memories by the updates
    s = m.summary()
    assert 0.0 < s["mean_trust"] < 1.0
    # a Mesa view on demand still reads the arrays
    r = m.resident_agent(MILLION - 1)
    assert r.trust == float(m.residents.trust[MILLION - 1])
