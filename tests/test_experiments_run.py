"""The sweep runner: executors agree, failures and timeouts are recorded, kills resume exactly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from govsim.experiments import read_runs, run_sweep
from govsim.experiments.store import FolderLock
from govsim.sim.errors import InputError

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[1]

TOY = """
[experiment]
name = "toy"
model = "govsim.experiments.examples:linear"
design = "{design}"
samples = {samples}
replicates = {replicates}
seed = 20261129
outcomes = ["y", "z"]

[parameters]
a = {{ low = 0.0, high = 1.0 }}
n = {{ low = 1, high = 5, integer = true }}
flag = {{ levels = [false, true] }}
kind = {{ levels = ["ab", "abcd"] }}
"""

FLAKY = """
[experiment]
name = "flaky"
model = "govsim.experiments.examples:flaky"
design = "factorial"
samples = {samples}
replicates = 2
seed = 3
outcomes = ["y"]

[parameters]
x = {{ low = 0.0, high = 1.0 }}
fail = {{ levels = {levels} }}
"""


def toy(
    tmp_path: Path, design: str = "sobol", samples: int = 16, replicates: int = 3, name: str = "toy.toml"
) -> Path:
    p = tmp_path / name
    p.write_text(TOY.format(design=design, samples=samples, replicates=replicates))
    return p


def outcomes_of(out: Path) -> pd.DataFrame:
    return read_runs(out).drop(columns="wall_s")


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "govsim.experiments", "sweep", *args],
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def test_serial_sweep_layout_and_seeds(tmp_path):
    exp = toy(tmp_path)
    out = run_sweep(exp, tmp_path / "out", executor="serial")
    for name in ("manifest.json", "design.parquet", "design_unit.parquet", "runs.parquet", "failures.jsonl"):
        assert (out / name).exists(), name
    runs = read_runs(out)
    n_points = 16 * (2 * 4 + 2)
    assert len(runs) == n_points * 3 and list(runs["run_id"]) == list(range(n_points * 3))
    assert list(runs.columns) == [
        "run_id",
        "point_id",
        "replicate",
        "root_seed",
        "status",
        "wall_s",
        "a",
        "n",
        "flag",
        "kind",
        "y",
        "z",
    ]
    assert (runs["status"] == "ok").all() and (runs["root_seed"] == 20261129).all()
    assert (runs["run_id"] == runs["point_id"] * 3 + runs["replicate"]).all()
    # common random numbers: replicate r draws the same stream at every design point
    z = runs.pivot(index="point_id", columns="replicate", values="z")
    assert (z.nunique() == 1).all() and z.iloc[0].nunique() == 3
    # each row recreates its run exactly from root_seed + replicate
    from govsim.experiments.examples import linear

    row = runs.iloc[37]
    seed = np.random.SeedSequence(int(row["root_seed"])).spawn(3)[int(row["replicate"])]
    params = {k: row[k].item() if hasattr(row[k], "item") else row[k] for k in ("a", "n", "flag", "kind")}
    assert linear(params, np.random.default_rng(seed)) == {"y": row["y"], "z": row["z"]}
    design = pd.read_parquet(out / "design.parquet")
    assert list(design.columns) == ["point_id", "a", "n", "flag", "kind"] and len(design) == n_points
    merged = runs.merge(design, on="point_id", suffixes=("", "_d"))
    assert (merged["a"] == merged["a_d"]).all() and (merged["kind"] == merged["kind_d"]).all()
    man = json.loads((out / "manifest.json").read_text())
    assert man["runs_total"] == man["runs_done"] == len(runs) and man["runs_failed"] == 0
    assert man["design"]["name"] == "sobol" and man["design"]["second_order"] is True
    assert [p["name"] for p in man["design"]["parameters"]] == ["a", "n", "flag", "kind"]
    assert man["design"]["parameters"][1]["integer"] is True
    assert man["experiment_raw"] == exp.read_text() and man["finished"]
    assert set(man["versions"]) >= {"govsim", "mesa", "numpy", "SALib", "pandas", "pyarrow"}


def test_serial_processes_dask_agree(tmp_path):
    exp = toy(tmp_path, design="lhs", samples=60, replicates=4)
    ref = outcomes_of(run_sweep(exp, tmp_path / "serial", executor="serial"))
    procs = outcomes_of(run_sweep(exp, tmp_path / "procs", executor="processes", workers=2))
    dask = outcomes_of(run_sweep(exp, tmp_path / "dask", executor="dask", workers=2))
    pd.testing.assert_frame_equal(ref, procs)
    pd.testing.assert_frame_equal(ref, dask)
    assert len(ref) == 240


def test_mpi_agrees(tmp_path):
    import importlib.util

    require_tool("mpi4py", importlib.util.find_spec("mpi4py"), "pip install mpi4py")
    mpiexec = shutil.which("mpiexec")
    require_tool("mpiexec", mpiexec, "apt-get install openmpi-bin; .ci/run installs it")
    exp = toy(tmp_path, design="lhs", samples=20, replicates=2)
    ref = outcomes_of(run_sweep(exp, tmp_path / "serial", executor="serial"))
    cmd = [
        mpiexec,
        "-n",
        "3",
        "--oversubscribe",
        "--allow-run-as-root",
        sys.executable,
        "-m",
        "mpi4py.futures",
        "-m",
        "govsim.experiments",
        "sweep",
        str(exp),
        "--out",
        str(tmp_path / "mpi"),
        "--executor",
        "mpi",
        "--quiet",
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(ref, outcomes_of(tmp_path / "mpi"))


def test_failing_runs_are_recorded_and_the_rest_complete(tmp_path):
    exp = tmp_path / "flaky.toml"
    exp.write_text(FLAKY.format(samples=5, levels='["ok", "raise", "ok2"]').replace('"ok2"', '"fine"'))
    out = run_sweep(exp, tmp_path / "out", executor="processes", workers=2)
    runs = read_runs(out)
    assert len(runs) == 5 * 3 * 2
    bad = runs[runs["fail"] == "raise"]
    assert (bad["status"] == "failed").all() and bad["y"].isna().all()
    assert (runs[runs["fail"] != "raise"]["status"] == "ok").all()
    lines = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    assert sorted(f["run_id"] for f in lines) == sorted(bad["run_id"])
    assert all("injected failure" in f["error"] and "Traceback" in f["traceback"] for f in lines)
    man = json.loads((out / "manifest.json").read_text())
    assert man["runs_failed"] == len(bad) == 10 and man["runs_done"] == 30


@pytest.mark.parametrize("executor", ["serial", "processes", "dask"])
def test_run_timeout(tmp_path, executor):
    exp = tmp_path / "slow.toml"
    exp.write_text(FLAKY.format(samples=2, levels='["ok", "sleep"]'))
    out = run_sweep(exp, tmp_path / "out", executor=executor, workers=2, run_timeout=0.5)
    runs = read_runs(out)
    assert (runs[runs["fail"] == "sleep"]["status"] == "timeout").all()
    assert (runs[runs["fail"] == "ok"]["status"] == "ok").all()
    fails = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    assert len(fails) == 4 and all(f["status"] == "timeout" for f in fails)


def _die_experiment(tmp_path: Path) -> Path:
    exp = tmp_path / "die.toml"
    exp.write_text(
        FLAKY.format(samples=4, levels='["ok", "die"]').replace("replicates = 2", "replicates = 1")
    )
    return exp


def test_dead_worker_is_retried_then_recorded(tmp_path):
    # every run in a worker: a run that kills its process must not run in this one (the inline start)
    exp = _die_experiment(tmp_path)
    out = run_sweep(exp, tmp_path / "out", executor="processes", workers=2, inline_start=False)
    runs = read_runs(out)
    assert len(runs) == 8 and runs["run_id"].is_unique
    dead = runs[runs["fail"] == "die"]
    assert (dead["status"] == "failed").all()
    assert (runs[runs["fail"] == "ok"]["status"] == "ok").all()
    fails = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    assert len(fails) == 4 and all("died" in f["error"] for f in fails)


def test_a_run_that_kills_the_coordinator_in_the_inline_start_then_resume(tmp_path):
    """The inline start's trade-off: a run that kills its process there kills the sweep; --resume
    then gives every run a worker of its own, so the same runs are retried and recorded as failed."""
    exp = _die_experiment(tmp_path)
    out = tmp_path / "out"
    first = cli(str(exp), "--out", str(out), "--workers", "2", "--quiet")
    assert first.returncode == 13, first.stderr  # os._exit(13) of the "die" run, in the coordinator
    assert (out / ".inline-start").exists()
    res = cli(str(exp), "--out", str(out), "--workers", "2", "--quiet", "--resume")
    assert res.returncode == 0, res.stderr
    runs = read_runs(out)
    assert list(runs["run_id"]) == list(range(8))
    assert (runs[runs["fail"] == "die"]["status"] == "failed").all()
    assert (runs[runs["fail"] == "ok"]["status"] == "ok").all()
    assert not (out / ".inline-start").exists()
    assert json.loads((out / "manifest.json").read_text())["runs_inline"] == 0


def test_a_sweep_done_before_the_pool_starts_does_not_wait_for_it(tmp_path):
    """Microsecond runs in a fresh process: all run in the coordinator before the fork server has
    imported the model; the sweep stops the fork server instead of waiting, and the tables equal
    the serial executor's."""
    exp = toy(tmp_path, design="lhs", samples=8, replicates=2)
    res = cli(str(exp), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet")
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["runs_inline"] == 16
    ref = run_sweep(exp, tmp_path / "ref", executor="serial")
    pd.testing.assert_frame_equal(outcomes_of(tmp_path / "out"), outcomes_of(ref))


def test_runs_in_the_coordinator_while_the_pool_starts_are_identical_and_a_long_one_is_cut_short(tmp_path):
    """The inline start in a fresh process whose fork server takes a second longer to import the model.

    Runs 0–79 each sleep 50 ms; point (k=1, j=3), the 12th run, would loop for 60 s when it runs in
    the coordinator of the sweep under test, so that sweep ends within the subprocess timeout only if
    the coordinator abandons the run once the pool is up (the serial reference runs it normally).
    """
    (tmp_path / "slow_start.py").write_text(
        "import multiprocessing, os, sys, time\n"
        "if sys.argv[:1] == ['-c']:  # the fork server, not the coordinator\n"
        "    time.sleep(1.0)\n"
        "def model(params, rng):\n"
        "    coordinator = multiprocessing.parent_process() is None and os.environ.get('LONG_IN_COORDINATOR')\n"
        "    if (params['k'], params['j']) == (1, 3) and coordinator:\n"
        "        end = time.monotonic() + 60\n"
        "        while time.monotonic() < end:\n"
        "            time.sleep(0.01)\n"
        "    time.sleep(0.05)\n"
        "    return {'y': params['k'] + 10 * params['j'] + rng.normal()}\n"
    )
    exp = tmp_path / "exp.toml"
    exp.write_text(
        '[experiment]\nname = "slow_start"\nmodel = "slow_start:model"\ndesign = "factorial"\n'
        'replicates = 1\nseed = 4\noutcomes = ["y"]\n\n[parameters]\n'
        "k = { levels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }\nj = { levels = [0, 1, 2, 3, 4, 5, 6, 7] }\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    res = cli(str(exp), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet", env={**env, "LONG_IN_COORDINATOR": "1"})
    assert res.returncode == 0, res.stderr
    ref = cli(str(exp), "--out", str(tmp_path / "ref"), "--executor", "serial", "--quiet", env=env)
    assert ref.returncode == 0, ref.stderr
    runs = outcomes_of(tmp_path / "out")
    assert list(zip(runs["k"], runs["j"], strict=True))[11] == (1, 3)
    pd.testing.assert_frame_equal(runs, outcomes_of(tmp_path / "ref"))
    inline = json.loads((tmp_path / "out" / "manifest.json").read_text())["runs_inline"]
    assert 0 < inline < 80  # some runs ran in the coordinator, the rest (with the long one) in the pool
    assert not (tmp_path / "out" / ".inline-start").exists()


def test_refuses_non_empty_folder_and_other_experiment(tmp_path):
    exp = toy(tmp_path, design="lhs", samples=4, replicates=1)
    out = run_sweep(exp, tmp_path / "out", executor="serial")
    with pytest.raises(InputError, match="not empty"):
        run_sweep(exp, out, executor="serial")
    run_sweep(exp, out, executor="serial", resume=True)  # same experiment: resume is a no-op
    assert len(read_runs(out)) == 4
    other = toy(tmp_path, design="lhs", samples=5, replicates=1, name="other.toml")
    with pytest.raises(InputError, match="different experiment"):
        run_sweep(other, out, executor="serial", resume=True)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="no manifest"):
        run_sweep(exp, junk, executor="serial", resume=True)
    res = cli(str(other), "--out", str(out), "--resume", "--executor", "serial")
    assert (
        res.returncode == 2
        and "different experiment" in res.stderr
        and len(res.stderr.strip().splitlines()) == 1
    )


def test_lock_refuses_a_second_sweep(tmp_path):
    exp = toy(tmp_path, design="lhs", samples=4, replicates=1)
    out = tmp_path / "out"
    with FolderLock(out):
        with pytest.raises(InputError, match="another govsim sweep"):
            run_sweep(exp, out, executor="serial")
        res = cli(str(exp), "--out", str(out), "--executor", "serial")
        assert res.returncode == 2 and "another govsim sweep" in res.stderr
    run_sweep(exp, out, executor="serial", resume=True)


def test_bad_experiment_exits_2_with_one_line(tmp_path):
    exp = toy(tmp_path)
    exp.write_text(exp.read_text().replace('design = "sobol"', 'design = "sobolev"'))
    res = cli(str(exp), "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "experiment.design" in res.stderr and str(exp) in res.stderr


def _slow_experiment(tmp_path, extra: str = ""):
    """A 200-run sweep whose runs with ``x >= 0.5`` wait for the file ``tmp_path/gate``.

    Until the test opens the gate the sweep cannot finish, so a kill or Ctrl-C after
    :func:`_start_sweep` always lands mid-sweep, however loaded the machine (the runs used to be
    plain 50 ms sleeps, and a slow test could see the sweep finish before its kill).
    """
    exp = tmp_path / "slow.toml"
    exp.write_text(
        TOY.format(design="lhs", samples=100, replicates=2)
        .replace("govsim.experiments.examples:linear", "govsim.experiments.examples:gated")
        .replace('outcomes = ["y", "z"]', 'outcomes = ["y"]')
        + "sleep = { levels = [0.01] }\n"
        + f'gate = {{ levels = ["{tmp_path / 'gate'}"] }}\n'
        + "x = { low = 0.0, high = 1.0 }\n"
        + extra
    )
    return exp, tmp_path / "out"


def _open_gate(exp: Path) -> None:
    (exp.parent / "gate").touch()


def _start_sweep(exp, out, **popen_kwargs) -> subprocess.Popen:
    """Start `sweep EXP --out OUT` on 2 workers in its own session; return once it is checked mid-sweep.

    Mid-sweep: a part is on disk, it holds some but not all runs, and the sweep is still running.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "govsim.experiments", "sweep", str(exp), "--out", str(out), "--workers", "2", "--quiet"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        **popen_kwargs,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the sweep ended before the test could interrupt it"
        if list((out / "parts").glob("part-*.parquet")) and 0 < len(read_runs(out)) < 200:
            return proc
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("the sweep wrote no part within 120 s")


def test_sigkill_then_resume_gives_exactly_the_full_sweep(tmp_path):
    exp, out = _slow_experiment(tmp_path)
    proc = _start_sweep(exp, out, stderr=subprocess.DEVNULL)
    try:
        # a second sweep on the same folder is refused while the first holds the lock
        res = cli(str(exp), "--out", str(out), "--resume", "--quiet")
        assert res.returncode == 2 and "another govsim sweep" in res.stderr
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    parts_before = read_runs(out)
    assert 0 < len(parts_before) < 200, "kill landed too late or too early"
    assert not (out / "runs.parquet").exists()
    _open_gate(exp)
    res = cli(str(exp), "--out", str(out), "--resume", "--quiet", "--workers", "2")
    assert res.returncode == 0, res.stderr
    resumed = read_runs(out)
    assert len(resumed) == 200 and list(resumed["run_id"]) == list(range(200))
    # no finished run was redone: parts hold each run exactly once
    import pyarrow.parquet as pq

    ids = np.concatenate(
        [
            pq.read_table(p, columns=["run_id"])["run_id"].to_numpy()
            for p in (out / "parts").glob("part-*.parquet")
        ]
    )
    assert len(ids) == 200 and len(set(ids)) == 200
    ref = run_sweep(exp, tmp_path / "ref", executor="processes", workers=2)
    pd.testing.assert_frame_equal(outcomes_of(ref), resumed.drop(columns="wall_s"))
    man = json.loads((out / "manifest.json").read_text())
    assert man["runs_done"] == 200 and len(man["resumed"]) == 1 and man["finished"]


def test_mesa_model_class_with_timeseries(tmp_path):
    exp = tmp_path / "walk.toml"
    exp.write_text("""
[experiment]
name = "walk"
model = "govsim.experiments.examples:RandomWalkModel"
design = "factorial"
samples = 2
replicates = 2
seed = 5
steps = 10
outcomes = ["mean_pos", "spread"]
timeseries = true

[parameters]
n = { low = 5, high = 20, integer = true }
step_sd = { low = 0.5, high = 2.0 }
""")
    out = run_sweep(exp, tmp_path / "out", executor="processes", workers=2)
    runs = read_runs(out)
    assert len(runs) == 8 and (runs["status"] == "ok").all()
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["run_id", "point_id", "replicate", "day", "mean_pos", "spread"]
    assert len(ts) == 8 * 11 and (ts.groupby("run_id")["day"].max() == 10).all()
    last = ts[ts["day"] == 10].set_index("run_id")
    np.testing.assert_allclose(last.loc[runs["run_id"], "spread"].to_numpy(), runs["spread"].to_numpy())
    from govsim.experiments.examples import RandomWalkModel

    m = RandomWalkModel(
        n=int(runs["n"][3]), step_sd=float(runs["step_sd"][3]), rng=np.random.SeedSequence(5).spawn(2)[1]
    )
    for _ in range(10):
        m.step()
    assert runs["replicate"][3] == 1 and m.spread == runs["spread"][3]


@pytest.mark.slow
def test_coordinator_memory_on_20k_runs(tmp_path):
    exp = tmp_path / "big.toml"
    exp.write_text(TOY.format(design="lhs", samples=2000, replicates=10))
    # VmHWM, the peak RSS of this process's own address space. Not ru_maxrss: Linux carries
    # ru_maxrss across execve, so a child of a big pytest process (≈ 700 MB after the whole suite)
    # "peaks" at its parent's size before it has run a line — what made this test flaky.
    code = (
        "import re\nfrom govsim.experiments import run_sweep\n"
        f"run_sweep({str(exp)!r}, {str(tmp_path / 'out')!r}, executor='processes', workers=2)\n"
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    )
    res = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, res.stderr
    peak_mb = int(res.stdout.split()[-1]) / 1024
    assert peak_mb < 400, f"coordinator peak RSS {peak_mb:.0f} MB"
    runs = read_runs(tmp_path / "out")
    assert len(runs) == 20_000 and runs["run_id"].is_unique


def test_ctrl_c_saves_finished_runs_and_resume_completes(tmp_path):
    exp, out = _slow_experiment(tmp_path)
    proc = _start_sweep(
        exp, out,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a background shell may ignore SIGINT
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert "--resume" in err
    man = json.loads((out / "manifest.json").read_text())
    saved = pd.read_parquet(out / "runs.parquet")
    assert 0 < man["runs_done"] == len(saved) < 200 and man["finished"] is None
    _open_gate(exp)
    run_sweep(exp, out, workers=2, resume=True)
    runs = read_runs(out)
    assert list(runs["run_id"]) == list(range(200)) and (runs["status"] == "ok").all()
    pd.testing.assert_frame_equal(
        saved.drop(columns="wall_s"),
        runs[runs["run_id"].isin(saved["run_id"])].reset_index(drop=True).drop(columns="wall_s"),
    )


def test_a_pool_that_broke_between_waits_refuses_work_and_a_new_pool_takes_it(tmp_path, monkeypatch):
    """A worker dying between two waits breaks the pool before `submit`: the refused runs go to a new pool."""
    from concurrent.futures.process import BrokenProcessPool

    from govsim.experiments.executors import ExecutorFactory

    exp = toy(tmp_path, design="lhs", samples=6, replicates=2)
    reference = read_runs(run_sweep(exp, tmp_path / "ref", executor="serial"))
    real_create = ExecutorFactory.create
    created = {"n": 0}

    class Broken:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("a child process terminated abruptly")

    def create(self):
        created["n"] += 1
        return Broken() if created["n"] == 1 else real_create(self)

    monkeypatch.setattr(ExecutorFactory, "create", create)
    runs = read_runs(run_sweep(exp, tmp_path / "out", executor="serial"))
    assert created["n"] == 2 and (runs["status"] == "ok").all()
    pd.testing.assert_frame_equal(runs.drop(columns="wall_s"), reference.drop(columns="wall_s"))


def test_a_preemption_swallowed_in_a_callback_is_not_reported(monkeypatch):
    """The inline start's preemption may land in a weakref callback or ``__del__``, where Python
    ignores it and reports it as unraisable (which ``-W error`` makes a test failure); other
    unraisable exceptions are still reported, and the hook is not wrapped twice."""
    from govsim.experiments import inline

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_type))
    inline._ignore_swallowed_preemption()
    hook = sys.unraisablehook
    inline._ignore_swallowed_preemption()
    assert sys.unraisablehook is hook

    class Preempts:
        def __del__(self):
            raise inline.Preempted

    class Fails:
        def __del__(self):
            raise ValueError("a real fault")

    Preempts()
    Fails()
    assert seen == [ValueError]
