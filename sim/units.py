"""Outcomes per district and street (ODD §7.23): where the city is overloaded.

:func:`by_unit` gives one row per district and per street of a model: its residents, communities,
staff, case capacity and its use, the waiting time of the cases its offices took up, what waits in
its queues now, and the ladder counts of the issues that arose in it (settled at each level, left
the city, given up). ``govsim run --out DIR`` writes it as ``by_unit.parquet``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from govsim.sim.levels import LEVEL_NAMES, Level
from govsim.sim.metrics import ABANDONED_COLUMN, LEFT_CITY_COLUMN

if TYPE_CHECKING:  # pragma: no cover
    from govsim.sim.model import GovernanceModel

COLUMNS: tuple[str, ...] = (
    "unit", "index", "name", "district", "population", "communities", "staff", "case_capacity_per_day",
    "cases_taken", "utilisation", "community_utilisation_max", "mean_wait_days", "queued_now",
    *(f"settled_{n}" for n in LEVEL_NAMES), "left_city", "abandoned",
)
"""Columns of :func:`by_unit`, in order (``unit`` is ``"district"`` or ``"street"``)."""


def _sum_by(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(groups, weights=np.asarray(values, dtype=float), minlength=n)


def by_unit(model: GovernanceModel) -> pd.DataFrame:
    """One row per district and per street (see :data:`COLUMNS`); the offices of a unit are its own.

    A street's capacity, use and waiting times are those of its street office and its communities'
    offices; a district's add its departments. ``utilisation`` is cases taken over case capacity
    offered so far; ``community_utilisation_max`` is that of the unit's busiest community.
    """
    m = model
    t = m.world.table
    ns, nd = m.n_streets, m.n_districts
    comm_street = m.community_street
    comm_district = m.street_district[comm_street]
    offices = m.offices
    taken = np.array([o.taken for o in offices], dtype=float)
    waited = np.array([o.waited for o in offices], dtype=float)
    queued = np.array([sum(1 for i in o.queue if i.office is o) for o in offices], dtype=float)
    capacity = np.array([o.capacity for o in offices], dtype=float)
    staff = np.array([len(o.mediators) for o in offices], dtype=float)
    level = m.office_level
    street_of = np.array([o.street if o.level == Level.STREET else
                          (int(comm_street[o.community]) if o.level == Level.COMMUNITY else -1) for o in offices])
    district_of = np.array([o.district for o in offices])
    ci = np.nonzero(level == Level.COMMUNITY)[0]
    comm_use = np.divide(taken[ci], m.offered[ci], out=np.zeros(len(ci)), where=m.offered[ci] > 0)
    ladder = m.counts.community_ladder

    def rows(unit: str, n: int, office_group: np.ndarray, comm_group: np.ndarray, names, district) -> pd.DataFrame:
        mine = office_group >= 0
        g = np.where(mine, office_group, 0)
        def total(v: np.ndarray) -> np.ndarray:
            return _sum_by(np.where(mine, v, 0.0), g, n)
        tk, off, wt = total(taken), total(m.offered), total(waited)
        use_max = np.zeros(n)
        np.maximum.at(use_max, comm_group, comm_use)
        frame = {
            "unit": unit, "index": np.arange(n), "name": list(names), "district": district,
            "population": _sum_by(m.community_size, comm_group, n).astype(np.int64),
            "communities": np.bincount(comm_group, minlength=n),
            "staff": total(staff), "case_capacity_per_day": total(capacity), "cases_taken": tk.astype(np.int64),
            "utilisation": np.divide(tk, off, out=np.zeros(n), where=off > 0),
            "community_utilisation_max": use_max,
            "mean_wait_days": np.divide(wt, tk, out=np.zeros(n), where=tk > 0),
            "queued_now": total(queued).astype(np.int64),
        }
        for lv, name in enumerate(LEVEL_NAMES):
            frame[f"settled_{name}"] = _sum_by(ladder[:, lv], comm_group, n).astype(np.int64)
        frame["left_city"] = _sum_by(ladder[:, LEFT_CITY_COLUMN], comm_group, n).astype(np.int64)
        frame["abandoned"] = _sum_by(ladder[:, ABANDONED_COLUMN], comm_group, n).astype(np.int64)
        return pd.DataFrame(frame, columns=list(COLUMNS))

    districts = rows("district", nd, district_of, comm_district, t.district_names, np.arange(nd))
    streets = rows("street", ns, street_of, comm_street, t.street_names, m.street_district)
    return pd.concat([districts, streets], ignore_index=True)
