"""``govsim bench``: how fast govsim runs, against the Mesa floor, at scale and in sweeps.

Four measurements, printed as one table (and optionally written as JSON):

* **Mesa floor** — in this process, the cheapest naive Mesa 3.5 model (``N`` agents, each drawing
  one random number per step through ``self.agents.shuffle_do("step")``) against a govsim
  baseline year with the same ``N`` residents and days. Construction and run are timed apart.
* **Scaling** — govsim at several populations and fixed per-resident issue rates, each point in a
  fresh subprocess so its peak memory (the child's own ``VmHWM``) is honest, printed as a table with
  a peak-memory column. Two full points are targets: 1,000,000 residents and Beijing's 21,893,095
  (``scenarios/beijing_scale.toml``: the baseline at that population, tree derived), 365 days.
* **Sweeps** — parallel efficiency of two worker processes: ``serial / (2 × parallel)`` wall time,
  through :func:`experiments.run_sweep` when it is available, else a bare ``ProcessPoolExecutor``.
* **Profile** — cProfile of a govsim year (top functions by cumulative and by own time).

Timings are reported, never judged: nothing here fails because the machine was slow. Targets are
printed next to the figures for the reader.
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"


@dataclass(frozen=True)
class Plan:
    """What a benchmark run measures.

    Attributes:
        floor_residents: Residents (and Mesa agents) of the floor comparison.
        floor_days: Days (and Mesa steps) of the floor comparison.
        scaling: Populations of the scaling curve, smallest first.
        scaling_days: Days of each scaling point.
        sweep_runs: Runs in the sweep comparison.
        sweep_residents: Residents of each sweep run (chosen so a run lasts at least about a second).
        sweep_days: Days of each sweep run.
        profile_residents: Residents of the profiled run.
        profile_days: Days of the profiled run.
    """

    floor_residents: int
    floor_days: int
    scaling: tuple[int, ...]
    scaling_days: int
    sweep_runs: int
    sweep_residents: int
    sweep_days: int
    profile_residents: int
    profile_days: int


# sweep runs of ≥ 1 s each (150,000 residents for a year), enough of them to amortise starting the workers
BEIJING = 21_893_095  # residents of Beijing Municipality, 2020 census (scenarios/beijing_scale.toml)
FULL = Plan(100_000, 365, (10_000, 100_000, 1_000_000, 3_000_000, 10_000_000, BEIJING), 365, 16, 150_000, 365,
            100_000, 365)
QUICK = Plan(10_000, 60, (5_000, 10_000, 20_000), 90, 4, 40_000, 365, 10_000, 60)

TARGET_RATIO = 0.05
TARGET_1M_SECONDS = 10.0
TARGET_1M_MB = 1024.0
TARGET_BEIJING_SECONDS = 300.0
TARGET_BEIJING_MB = 8192.0
TARGET_US_PER_ISSUE = 60.0


@dataclass
class Timing:
    """Wall and CPU seconds of one timed block."""

    wall: float
    cpu: float


def _timed(fn: Callable[[], Any]) -> tuple[Any, Timing]:
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, Timing(time.perf_counter() - w0, time.process_time() - c0)


# ---------------------------------------------------------------------------------------- models


def baseline_spec(residents: int, days: int):
    """The baseline scenario with ``world.population`` and ``run.days`` overridden."""
    from govsim.sim.scenario import apply_overrides, load_scenario

    return apply_overrides(load_scenario(BASELINE), {"world.population": residents, "run.days": days})


def _floor_classes():
    """The floor model, defined lazily so that importing this module does not import Mesa."""
    from mesa import Agent, Model

    class FloorAgent(Agent):
        """Draws one random number per step (the stdlib generator: the cheapest draw Mesa offers)."""

        def step(self) -> None:
            self.x = self.random.random()

    class FloorModel(Model):
        """The cheapest naive Mesa 3.5 model: ``n`` agents activated by ``shuffle_do`` every step."""

        def __init__(self, n: int, rng: int | None = None) -> None:
            super().__init__(rng=rng)
            FloorAgent.create_agents(self, n)

        def step(self) -> None:
            self.agents.shuffle_do("step")

    return FloorModel


def _step_n(model: Any, n: int) -> None:
    for _ in range(n):
        model.step()


def run_floor(residents: int, days: int, seed: int = 1) -> dict[str, float]:
    """Build and step the floor model; returns build/run/total wall and CPU seconds."""
    floor_model = _floor_classes()
    holder: list[Any] = []
    _, build = _timed(lambda: holder.append(floor_model(residents, rng=seed)))
    _, run = _timed(lambda: _step_n(holder[0], days))
    holder.clear()
    gc.collect()
    return {"build_s": build.wall, "run_s": run.wall, "total_s": build.wall + run.wall,
            "cpu_s": build.cpu + run.cpu}


def run_govsim(residents: int, days: int, seed: int = 1) -> dict[str, float]:
    """Build and run a govsim baseline; returns timings, issues arisen and µs per issue."""
    from govsim.sim.model import GovernanceModel, collect_rarely, quiet_gc

    spec = baseline_spec(residents, days)
    holder: list[GovernanceModel] = []
    gc_time = [0.0, 0.0]  # seconds in the collector during build and run; the start of the current collection

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_time[1] = time.perf_counter()
        else:
            gc_time[0] += time.perf_counter() - gc_time[1]

    gc.callbacks.append(on_gc)
    try:
        with quiet_gc():  # the collector settings of govsim run (sim.model.run_quietly), build and run timed apart
            _, build = _timed(lambda: holder.append(GovernanceModel(spec, rng=seed)))
            collect_rarely(holder[0])
            _, run = _timed(lambda: holder[0].run_for(days))
    finally:
        gc.callbacks.remove(on_gc)
    issues = int(holder[0].counts.arisen)
    still_open = int(holder[0].counts.open)
    out = {"build_s": build.wall, "run_s": run.wall, "total_s": build.wall + run.wall,
           "cpu_s": build.cpu + run.cpu, "issues": issues, "open_at_end": still_open,
           "us_per_issue": 1e6 * (build.wall + run.wall) / max(issues, 1),
           "run_us_per_issue": 1e6 * run.wall / max(issues, 1), "gc_s": gc_time[0]}
    holder.clear()
    gc.collect()
    return out


def peak_rss_mb() -> float:
    """This process's own peak resident memory in MB.

    ``VmHWM`` from ``/proc/self/status`` where it exists: ``ru_maxrss`` of a child process can report
    its parent's size (Linux carries the high-water mark over at fork), which made every small run
    look as big as the benchmark process that started it.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _child_main(argv: list[str]) -> None:
    """Subprocess entry: one govsim run, its figures and the process's own peak RSS as JSON."""
    job = json.loads(argv[0])
    import govsim.sim.model  # noqa: F401 - imports are not part of the build time

    out = run_govsim(int(job["residents"]), int(job["days"]), int(job.get("seed", 1)))
    out["peak_mb"] = peak_rss_mb()
    print(json.dumps(out))


def run_in_child(residents: int, days: int, seed: int = 1) -> dict[str, float]:
    """Run :func:`run_govsim` in a fresh interpreter, so peak memory belongs to that run alone."""
    job = json.dumps({"residents": residents, "days": days, "seed": seed})
    w0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "govsim.bench", job], capture_output=True, text=True, check=False,
                         cwd=str(ROOT))
    if res.returncode != 0:
        raise RuntimeError(f"benchmark child ({residents} residents) failed:\n{res.stderr[-2000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - w0
    out["residents"] = residents
    out["days"] = days
    return out


# ---------------------------------------------------------------------------------------- sweeps

_SWEEP_TOML = """
[experiment]
name = "bench_sweep_{kind}"
model = "govsim"
scenario = {scenario}
design = "factorial"
replicates = {replicates}
seed = 20261129
days = {days}
outcomes = ["share_left_city"]

[parameters]
"policy.building_heads" = {{ levels = [0.2, 0.4] }}

[fixed]
"world.population" = {residents}
"""


def _sweep_with_runner(plan: Plan, workdir: Path) -> dict[str, Any]:
    """Time the same experiment on ``run_sweep``'s serial and processes executors."""
    from govsim.experiments import read_runs, run_sweep

    reps = max(1, plan.sweep_runs // 2)
    times: dict[str, float] = {}
    per_run: list[float] = []
    for kind, ex, workers in (("serial", "serial", 1), ("processes", "processes", 2)):
        exp = workdir / f"bench_{kind}.toml"
        exp.write_text(_SWEEP_TOML.format(kind=kind, scenario=json.dumps(str(BASELINE)), replicates=reps,
                                          days=plan.sweep_days, residents=plan.sweep_residents), encoding="utf-8")
        out = workdir / f"out_{kind}"
        w0 = time.perf_counter()
        run_sweep(exp, out, executor=ex, workers=workers)
        times[kind] = time.perf_counter() - w0
        runs = read_runs(out)
        if "status" in runs and not (runs["status"] == "ok").all():
            raise RuntimeError(f"sweep runs failed: {runs['status'].value_counts().to_dict()}")
        if kind == "serial" and "wall_s" in runs:
            per_run = [float(x) for x in runs["wall_s"]]
    n = 2 * reps
    return {"method": "govsim.experiments.run_sweep (serial vs processes, 2 workers)", "runs": n,
            "serial_s": times["serial"], "parallel_s": times["processes"],
            "run_s_mean": sum(per_run) / len(per_run) if per_run else times["serial"] / n}


def _pool_job(args: tuple[int, int, int]) -> float:
    residents, days, seed = args
    return run_govsim(residents, days, seed)["total_s"]


def _sweep_with_pool(plan: Plan) -> dict[str, Any]:
    """Fallback: the same runs serially in this process and on a two-process pool."""
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(plan.sweep_residents, plan.sweep_days, s) for s in range(1, plan.sweep_runs + 1)]
    w0 = time.perf_counter()
    per_run = [_pool_job(j) for j in jobs]
    serial = time.perf_counter() - w0
    w0 = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_pool_job, jobs))
    parallel = time.perf_counter() - w0
    return {"method": "ProcessPoolExecutor(2) vs serial", "runs": len(jobs), "serial_s": serial,
            "parallel_s": parallel, "run_s_mean": sum(per_run) / len(per_run)}


def run_sweeps(plan: Plan) -> dict[str, Any]:
    """Parallel efficiency of two processes: ``serial / (2 × parallel)``."""
    note = ""
    with tempfile.TemporaryDirectory(prefix="govsim-bench-") as tmp:
        try:
            out = _sweep_with_runner(plan, Path(tmp))
        except Exception as exc:  # the runner is optional: fall back, and say why
            note = f"run_sweep unavailable ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
            out = _sweep_with_pool(plan)
    out["efficiency"] = out["serial_s"] / (2.0 * out["parallel_s"])
    out["note"] = note
    return out


# ---------------------------------------------------------------------------------------- profile


def run_profile(residents: int, days: int, top: int = 25) -> str:
    """Profile a govsim baseline with cProfile (construction and run): top ``top`` by cumulative and by own time."""
    from govsim.sim.model import GovernanceModel

    spec = baseline_spec(residents, days)
    prof = cProfile.Profile()
    prof.enable()
    model = GovernanceModel(spec, rng=1)
    model.run_for(days)
    prof.disable()
    issues = int(model.counts.arisen)
    del model
    text = [f"govsim baseline, {residents:,} residents, {days} days, {issues:,} issues (cProfile; times inflated "
            "by the profiler's per-call overhead)\n"]
    for key, title in (("cumulative", "cumulative time"), ("tottime", "own (total) time")):
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf)
        st.strip_dirs().sort_stats(key).print_stats(top)
        text.append(f"===== top {top} by {title} =====\n")
        text.append(buf.getvalue().split("\n", 3)[-1] if buf.getvalue().count("\n") > 3 else buf.getvalue())
    gc.collect()
    return "".join(text)


# ---------------------------------------------------------------------------------------- driver


@dataclass
class Report:
    """Everything one benchmark run measured (what ``--out`` writes)."""

    quick: bool
    machine: dict[str, Any]
    plan: dict[str, Any]
    floor: dict[str, Any] = field(default_factory=dict)
    govsim: dict[str, Any] = field(default_factory=dict)
    scaling: list[dict[str, Any]] = field(default_factory=list)
    sweeps: dict[str, Any] = field(default_factory=dict)
    profile_file: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def model_fingerprint() -> str:
    """Short hash of ``sim/*.py`` and the baseline scenario: which model version was measured."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted((ROOT / "sim").glob("*.py")) + [BASELINE]:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _machine() -> dict[str, Any]:
    from importlib.metadata import version

    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        load = float("nan")
    return {"python": platform.python_version(), "mesa": version("mesa"), "numpy": version("numpy"),
            "platform": platform.platform(), "cpus": os.cpu_count(), "load_1min_at_start": load,
            "model_fingerprint_at_start": model_fingerprint()}


def _fmt_s(x: float) -> str:
    return f"{x:,.2f} s"


def render(rep: Report):
    """The report as a rich table."""
    from rich.table import Table

    t = Table(title=f"govsim bench{' --quick' if rep.quick else ''}", show_lines=False)
    t.add_column("section", style="bold")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_column("note")
    p = rep.plan
    if rep.floor:
        f, g = rep.floor, rep.govsim
        n, d = f"{p['floor_residents']:,}", p["floor_days"]
        t.add_row("Mesa floor", f"floor build ({n} agents)", _fmt_s(f["build_s"]), "create_agents")
        t.add_row("", f"floor run ({d} steps)", _fmt_s(f["run_s"]), "shuffle_do('step'), 1 draw per agent")
        t.add_row("", "floor total", _fmt_s(f["total_s"]), f"CPU {f['cpu_s']:,.2f} s")
        t.add_row("", f"govsim build ({n} residents)", _fmt_s(g["build_s"]), "baseline.toml")
        t.add_row("", f"govsim run ({d} days)", _fmt_s(g["run_s"]), f"{g['issues']:,} issues")
        t.add_row("", "govsim total", _fmt_s(g["total_s"]), f"CPU {g['cpu_s']:,.2f} s")
        t.add_row("", "ratio govsim / floor (total)", f"{g['total_s'] / f['total_s']:.3f}×",
                  f"target ≤ {TARGET_RATIO}×")
        t.add_row("", "ratio govsim / floor (run only)", f"{g['run_s'] / f['run_s']:.3f}×", "")
        t.add_row("", "ratio govsim / floor (CPU)", f"{g['cpu_s'] / f['cpu_s']:.3f}×", "less sensitive to load")
        t.add_section()
    big = [q for q in rep.scaling if q["residents"] == 1_000_000]
    if big:
        q = big[-1]
        t.add_row("Scale", "1M residents × 365 d: wall", _fmt_s(q["total_s"]), f"target ≤ {TARGET_1M_SECONDS:.0f} s")
        t.add_row("", "1M: peak memory", f"{q['peak_mb']:,.0f} MB", f"target ≤ {TARGET_1M_MB:,.0f} MB")
        t.add_row("", "1M: issues processed", f"{q['issues']:,}",
                  f"{q['us_per_issue']:,.1f} µs per issue (target ≤ {TARGET_US_PER_ISSUE:.0f})")
    elif rep.quick:
        t.add_row("Scale", "1M residents × 365 d", "skipped", "--quick")
    bj = [q for q in rep.scaling if q["residents"] == BEIJING]
    if bj:
        q = bj[-1]
        t.add_row("", "Beijing 21.9M × 365 d: wall", _fmt_s(q["total_s"]),
                  f"target ≤ {TARGET_BEIJING_SECONDS:.0f} s (beijing_scale)")
        t.add_row("", "Beijing: peak memory", f"{q['peak_mb']:,.0f} MB", f"target ≤ {TARGET_BEIJING_MB:,.0f} MB")
        t.add_row("", "Beijing: issues processed", f"{q['issues']:,}", f"{q['us_per_issue']:,.1f} µs per issue")
    if big or bj or rep.quick:
        t.add_section()
    if rep.sweeps:
        s = rep.sweeps
        t.add_row("Sweeps", f"serial ({s['runs']} runs)", _fmt_s(s["serial_s"]),
                  f"{s['run_s_mean']:.2f} s per run; {s['method']}")
        t.add_row("", "parallel (2 processes)", _fmt_s(s["parallel_s"]), s.get("note", ""))
        t.add_row("", "parallel efficiency", f"{s['efficiency']:.0%}", "serial / (2 × parallel)")
    return t


def render_scaling(rep: Report):
    """The scaling points as a rich table: one row per population, with the peak-memory column."""
    from rich.table import Table

    t = Table(title="Scaling (baseline, derived tree, one fresh process per point)", show_lines=False)
    for col, just in (("residents × days", "left"), ("issues", "right"), ("open at end", "right"),
                      ("build", "right"), ("run", "right"), ("wall", "right"), ("CPU", "right"),
                      ("µs / issue", "right"), ("CPU µs / issue", "right"),
                      ("peak RSS", "right"), ("GC", "right")):
        t.add_column(col, justify=just)
    for q in rep.scaling:
        t.add_row(f"{q['residents']:,} residents × {q['days']} d", f"{q['issues']:,}", f"{q['open_at_end']:,}",
                  _fmt_s(q["build_s"]), _fmt_s(q["run_s"]), _fmt_s(q["total_s"]), _fmt_s(q["cpu_s"]),
                  f"{q['us_per_issue']:,.1f}", f"{1e6 * q['cpu_s'] / max(q['issues'], 1):,.1f}",
                  f"{q['peak_mb']:,.0f} MB", _fmt_s(q["gc_s"]))
    return t


def run_bench(quick: bool = False, out: Path | None = None,
              profile: Path | None = None, echo: Callable[[str], None] | None = None) -> Report:
    """Run the benchmark, print the table and write the requested files (nothing unless asked).

    The scaling figure of ``docs/performance.md`` is drawn from the JSON report by
    ``benchmarks/docs_figures.py``, a developer script: an installed ``govsim bench`` never writes
    into a source tree.

    Args:
        quick: Small sizes (well under a minute); skips the million-resident run.
        out: Write the report as JSON here.
        profile: Write the cProfile text here.
        echo: Progress messages (default: standard error).
    """
    from rich.console import Console

    from govsim.experiments.fileio import atomic_write_text

    say = echo or (lambda msg: print(msg, file=sys.stderr, flush=True))
    plan = QUICK if quick else FULL
    rep = Report(quick=quick, machine=_machine(), plan=asdict(plan))

    def section(name: str, fn: Callable[[], None]) -> None:
        # one section's failure (say, a scenario file edited mid-run) must not throw away the others
        try:
            fn()
        except Exception as exc:
            rep.errors[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            say(f"{name} failed: {rep.errors[name]}")

    def floor() -> None:
        say(f"govsim vs Mesa floor: {plan.floor_residents:,} residents, {plan.floor_days} days ...")
        rep.govsim = run_govsim(plan.floor_residents, plan.floor_days)
        rep.floor = run_floor(plan.floor_residents, plan.floor_days)
        rep.govsim["ratio_total"] = rep.govsim["total_s"] / rep.floor["total_s"]
        rep.govsim["ratio_run"] = rep.govsim["run_s"] / rep.floor["run_s"]
        rep.govsim["ratio_cpu"] = rep.govsim["cpu_s"] / rep.floor["cpu_s"]

    def scaling() -> None:
        for n in plan.scaling:
            say(f"scaling: {n:,} residents, {plan.scaling_days} days (fresh process) ...")
            rep.scaling.append(run_in_child(n, plan.scaling_days))

    def sweeps() -> None:
        say(f"sweeps: {plan.sweep_runs} runs of {plan.sweep_residents:,} residents × {plan.sweep_days} days ...")
        rep.sweeps = run_sweeps(plan)

    def prof() -> None:
        assert profile is not None
        say(f"profile: {plan.profile_residents:,} residents, {plan.profile_days} days ...")
        atomic_write_text(profile, run_profile(plan.profile_residents, plan.profile_days))
        rep.profile_file = str(profile)

    section("floor", floor)
    section("scaling", scaling)
    section("sweeps", sweeps)
    if profile is not None:
        section("profile", prof)

    rep.machine["load_1min_at_end"] = os.getloadavg()[0]
    rep.machine["model_fingerprint_at_end"] = model_fingerprint()
    console = Console(width=max(Console().width, 150))
    console.print(render(rep))
    if rep.scaling:
        console.print(render_scaling(rep))
    if rep.profile_file:
        console.print(f"wrote profile: {rep.profile_file}")
    m = rep.machine
    console.print(f"model {m['model_fingerprint_at_start']}; load average {m['load_1min_at_start']:.1f} at start, "
                  f"{m['load_1min_at_end']:.1f} at end on {m['cpus']} CPUs")
    if m["model_fingerprint_at_start"] != m["model_fingerprint_at_end"]:
        console.print("[yellow]warning: sim/ or the baseline scenario changed during the benchmark; "
                      "the figures mix model versions[/yellow]")
    for name, msg in rep.errors.items():
        console.print(f"[red]error in {name}: {msg}[/red]")
    if out is not None:
        atomic_write_text(out, json.dumps(asdict(rep), indent=2))
        console.print(f"wrote {out}")
    return rep


if __name__ == "__main__":
    _child_main(sys.argv[1:])
