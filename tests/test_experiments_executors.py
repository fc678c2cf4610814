"""The executor seam: options refused before anything is written, MPI launched right or refused,
a stuck start bounded, and no worker outliving a killed coordinator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from govsim.experiments import read_runs

from govsim.cli import main

GATED = """
[experiment]
name = "gated"
model = "govsim.experiments.examples:gated"
design = "lhs"
samples = 40
replicates = 1
seed = 7
outcomes = ["y"]

[parameters]
x = {{ low = 0.0, high = 1.0 }}
sleep = {{ levels = [0.01] }}
gate = {{ levels = ["{gate}"] }}
"""

TOY = """
[experiment]
name = "toy"
model = "govsim.experiments.examples:linear"
design = "lhs"
samples = 4
seed = 1
outcomes = ["y"]

[parameters]
a = { low = 0.0, high = 1.0 }
"""


def _gated(tmp_path: Path) -> tuple[Path, Path, Path]:
    gate = tmp_path / "gate"
    exp = tmp_path / "gated.toml"
    exp.write_text(GATED.format(gate=gate))
    return exp, tmp_path / "out", gate


def start_gated_sweep(exp: Path, out: Path, executor: str = "processes") -> subprocess.Popen:
    """Start a gated sweep and return once it is checked to be mid-way.

    Mid-way means: a parts file holds finished runs, and runs remain that cannot finish before
    the gate opens (so no kill can come too late, however loaded the machine is).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "govsim.experiments", "sweep", str(exp), "--out", str(out),
         "--workers", "2", "--quiet", "--executor", executor],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended (status {proc.returncode}) before the gate opened")
        if list((out / "parts").glob("part-*.parquet")):
            done = len(read_runs(out))
            if 0 < done < 40:
                return proc
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("no parts file within 120 s")


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_sigkilled_coordinator_leaves_no_process_behind(tmp_path, executor):
    exp, out, gate = _gated(tmp_path)
    proc = start_gated_sweep(exp, out, executor)
    sweep = psutil.Process(proc.pid).children(recursive=True)
    names = [" ".join(p.cmdline())[:60] for p in sweep]
    assert len(sweep) >= 2, names  # at least the workers (and the fork server)
    try:
        os.kill(proc.pid, signal.SIGKILL)  # the coordinator alone, as the OOM killer would
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(sweep, timeout=20)
        assert not alive, f"still running after the coordinator died: {[p.pid for p in alive]} of {names}"
    finally:
        for p in sweep:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
    assert not gate.exists() and len(read_runs(out)) < 40  # it really was killed mid-sweep


def _listing(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--workers", "0"], "--workers"),
        (["--executor", "threads"], "one of serial, processes, dask, mpi"),
        (["--scheduler", "tcp://127.0.0.1:1"], "only with --executor dask"),
        (["--executor", "processes", "--scheduler", "tcp://127.0.0.1:1"], "only with --executor dask"),
        (["--start-timeout", "0"], "--start-timeout"),
    ],
)
def test_bad_option_is_refused_before_anything_is_written(tmp_path, capsys, args, words):
    exp = tmp_path / "toy.toml"
    exp.write_text(TOY)
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err
    assert not out.exists(), sorted(p.name for p in out.iterdir())
    # an existing sweep folder is left exactly as it was, even with --resume
    assert main(["sweep", str(exp), "--out", str(out), "--quiet", "--executor", "serial"]) == 0
    before = _listing(out)
    assert main(["sweep", str(exp), "--out", str(out), "--quiet", "--resume", *args]) == 2
    assert _listing(out) == before
    # and the corrected command runs in a fresh folder
    fresh = tmp_path / "fresh"
    assert main(["sweep", str(exp), "--out", str(fresh), "--quiet", "--executor", "serial"]) == 0
    assert len(read_runs(fresh)) == 4


def test_mpi_outside_mpiexec_is_refused_at_once(tmp_path):
    exp = tmp_path / "toy.toml"
    exp.write_text(TOY)
    out = tmp_path / "out"
    res = subprocess.run(
        # with --workers 2 the landed runner's MPI_Comm_spawn hung here (an MPI_ERR_SPAWN, then nothing)
        [sys.executable, "-m", "govsim.experiments", "sweep", str(exp), "--out", str(out), "--executor", "mpi",
         "--workers", "2"],
        capture_output=True, text=True, timeout=90, start_new_session=True,
    )
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and "mpiexec -n N python -m mpi4py.futures" in res.stderr
    assert not out.exists()


@pytest.mark.parametrize("inline", ["--inline-start", "--no-inline-start"])
def test_a_stuck_executor_start_is_bounded(tmp_path, inline):
    """A model module that hangs when the fork server imports it: exit 1 with one line, no hang.

    With the inline start the coordinator runs runs meanwhile (1 s each, 4 runs: more than the 3 s
    it waits for the pool); those are saved for --resume.
    """
    (tmp_path / "hangs_in_workers.py").write_text(
        "import sys, time\n"
        "if sys.argv[:1] == ['-c']:  # the fork server, not the coordinator\n"
        "    time.sleep(600)\n"
        "def model(params, rng):\n"
        "    time.sleep(1.0)\n"
        "    return {'y': params['a']}\n"
    )
    exp = tmp_path / "toy.toml"
    exp.write_text(TOY.replace("govsim.experiments.examples:linear", "hangs_in_workers:model"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "govsim.experiments", "sweep", str(exp), "--out", str(tmp_path / "out"),
         "--workers", "1", "--quiet", "--start-timeout", "3", inline],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )
    try:
        _, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1, err
    assert err.count("\n") == 1 and "did not start within 3 s" in err
    if inline == "--inline-start":
        saved = len(read_runs(tmp_path / "out"))
        assert 1 <= saved < 4 and f"{saved} runs ran in this process meanwhile and are saved" in err
    else:
        assert "nothing was run" in err and not list((tmp_path / "out" / "parts").glob("*.parquet"))
    # the fork server stuck in the import (its command line names the preloaded module) exits too
    stuck = [p for p in psutil.process_iter(["cmdline"]) if "hangs_in_workers" in " ".join(p.info["cmdline"] or [])]
    _, alive = psutil.wait_procs(stuck, timeout=20)
    for p in alive:
        p.kill()
    assert not alive, [p.pid for p in alive]
