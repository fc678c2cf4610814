"""govsim's analysis: sensitivity indices, scenario comparison, scenario discovery, figures, reports.

Submodules are imported lazily (SALib, scipy, scikit-learn and matplotlib are heavy), so
``import analysis`` is cheap and the command line starts fast.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "SweepResults": "govsim.analysis.results",
    "analyze": "govsim.analysis.sensitivity",
    "analyze_table": "govsim.analysis.sensitivity",
    "SensitivityResult": "govsim.analysis.sensitivity",
    "compare_runs": "govsim.analysis.compare",
    "prim": "govsim.analysis.discovery",
    "discover": "govsim.analysis.discovery",
    "feature_importance": "govsim.analysis.discovery",
    "write_comparison_report": "govsim.analysis.report",
    "write_sensitivity_report": "govsim.analysis.report",
    "write_optimize_report": "govsim.analysis.optimize_report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
