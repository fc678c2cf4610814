"""Issue 9: faults in sweeps, and reproducibility by content hash.

Extends tests/test_experiments_run.py (os._exit workers, one SIGKILL + resume, Ctrl-C, lock held
in process) with: a worker SIGKILLed from outside, the coordinator SIGKILLed at random moments in
a loop of trials, two real ``govsim sweep`` processes on one folder, a full disk (tmpfs when root,
else ENOSPC injected into the writer), a Dask worker lost mid-sweep — and identical content hashes
across executors, worker counts and resume points. Runs lost: must be 0 everywhere.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from govsim.experiments import read_runs, run_sweep
from govsim.experiments.store import Store
from govsim.sim.errors import OutputError

from tests.test_experiments_run import TOY

SLOW = (TOY.format(design="lhs", samples=60, replicates=2)
        .replace("govsim.experiments.examples:linear", "govsim.experiments.examples:slow")
        .replace('outcomes = ["y", "z"]', 'outcomes = ["y"]')
        + "sleep = { levels = [0.03] }\nx = { low = 0.0, high = 1.0 }\n")
N_SLOW = 120
GATED = SLOW.replace("govsim.experiments.examples:slow", "govsim.experiments.examples:gated") + 'gate = { levels = ["GATE"] }\n'
"""SLOW, but its runs with ``x >= 0.5`` wait for the gate file: a fault can be made to land mid-sweep."""


def runs_digest(runs: pd.DataFrame) -> str:
    """SHA-256 of a runs table: sorted by run_id, every column but wall_s (and a gate path), values' bytes."""
    df = runs.sort_values("run_id").reset_index(drop=True).drop(columns=["wall_s", "gate"], errors="ignore")
    h = hashlib.sha256()
    for col in df.columns:
        h.update(col.encode())
        values = df[col].to_numpy()
        h.update(values.astype(str).astype("U").tobytes() if values.dtype == object else
                 np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def _write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _cmd(exp: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "govsim.experiments", "sweep", str(exp), "--out", str(out), "--quiet", *extra]


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _assert_complete(out: Path, n: int) -> pd.DataFrame:
    runs = read_runs(out)
    assert list(runs["run_id"]) == list(range(n)), "a run is missing or duplicated"
    assert (runs["status"] == "ok").all()
    return runs


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> str:
    d = tmp_path_factory.mktemp("ref")
    return runs_digest(run_sweep(_write(d, SLOW), d / "out", executor="serial") and read_runs(d / "out"))


def test_digest_detects_a_changed_value(reference, tmp_path):
    runs = read_runs(run_sweep(_write(tmp_path, SLOW), tmp_path / "o", executor="serial"))
    assert runs_digest(runs) == reference
    runs.loc[5, "y"] += 1e-15
    assert runs_digest(runs) != reference
    assert runs_digest(runs.sample(frac=1, random_state=1).assign(wall_s=0.0)) != reference


@pytest.mark.slow
def test_same_digest_across_executors_and_worker_counts(reference, tmp_path):
    exp = _write(tmp_path, SLOW)
    for executor, workers in (("processes", 1), ("processes", 2), ("dask", 2)):
        out = run_sweep(exp, tmp_path / f"{executor}{workers}", executor=executor, workers=workers)
        assert runs_digest(read_runs(out)) == reference, (executor, workers)


def _gated(tmp_path: Path) -> tuple[Path, Path]:
    gate = tmp_path / "gate"
    return _write(tmp_path, GATED.replace("GATE", str(gate))), gate


@pytest.fixture(scope="module")
def gated_reference(tmp_path_factory) -> str:
    """Digest of the gated sweep run serially with its gate open (the gate path is not digested)."""
    exp, gate = _gated(tmp_path_factory.mktemp("gated_ref"))
    gate.touch()
    return runs_digest(read_runs(run_sweep(exp, exp.parent / "out", executor="serial")))


def _mid_sweep(out: Path, total: int, timeout: float = 120) -> int:
    """Wait until parts hold some, not all, runs; return how many (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list((out / "parts").glob("part-*.parquet")):
            done = len(read_runs(out))
            if 0 < done < total:
                return done
        time.sleep(0.05)
    raise AssertionError(f"no part with unfinished runs within {timeout} s")


def test_worker_sigkilled_from_outside_is_retried(gated_reference, tmp_path):
    """A pool worker killed by SIGKILL mid-sweep: the pool is rebuilt, its runs retried, nothing lost."""
    exp, gate = _gated(tmp_path)
    out = tmp_path / "out"
    killed: list[tuple[int, int]] = []  # (pid, runs finished at the kill)
    errors: list[BaseException] = []

    def killer() -> None:
        try:
            done = _mid_sweep(out, N_SLOW)
            workers = _pool_workers()
            os.kill(workers[0], signal.SIGKILL)
            killed.append((workers[0], done))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
        finally:
            gate.touch()  # let the gated runs (and the retried ones) finish

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    out = run_sweep(exp, out, executor="processes", workers=2)
    t.join()
    assert not errors, errors
    (pid, done), = killed
    assert 0 < done < N_SLOW, "the kill did not land mid-sweep"
    assert pid not in _pool_workers()
    assert runs_digest(_assert_complete(out, N_SLOW)) == gated_reference


def _pool_workers() -> list[int]:
    """Worker processes of this test process's forkserver pools (children of our forkserver)."""
    me = os.getpid()
    procs = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
                cmd = (p / "cmdline").read_bytes()
            except OSError:
                continue
            procs[int(p.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmd)
    servers = {pid for pid, (ppid, cmd) in procs.items() if ppid == me and b"forkserver" in cmd}
    return [pid for pid, (ppid, _) in procs.items() if ppid in servers]


@pytest.mark.slow
def test_coordinator_sigkilled_at_random_moments_then_resumed(gated_reference, tmp_path):
    """SIGKILL the coordinator, trial after trial, at a random moment after it holds the folder.

    Each kill is checked to land mid-sweep: the new coordinator has taken the lock (its pid is
    in ``.lock``) and gated runs remain unfinished. After every kill the folder stays readable.
    """
    exp, gate = _gated(tmp_path)
    out = tmp_path / "out"
    rnd = random.Random(9)
    for trial in range(4):
        proc = subprocess.Popen(_cmd(exp, out, "--workers", "2", *(["--resume"] if trial else [])),
                                start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            lock = out / ".lock"
            while not (lock.exists() and lock.read_text().strip() == str(proc.pid)):
                assert proc.poll() is None and time.monotonic() < deadline, "the sweep never took the folder"
                time.sleep(0.02)
            time.sleep(rnd.uniform(0.0, 1.5))  # somewhere in set-up, dispatch or a flush
            assert proc.poll() is None, "the sweep ended before the kill"
        finally:
            _kill(proc)
        if (out / "manifest.json").exists():  # a kill just after the lock may precede it
            json.loads((out / "manifest.json").read_text())  # never torn
        for part in (out / "parts").glob("part-*.parquet"):
            pd.read_parquet(part)  # every part readable
        if list((out / "parts").glob("part-*.parquet")):
            runs = read_runs(out)
            assert runs["run_id"].is_unique and len(runs) < N_SLOW
    gate.touch()
    res = subprocess.run(_cmd(exp, out, "--workers", "2", "--resume"), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert runs_digest(_assert_complete(out, N_SLOW)) == gated_reference


def test_two_sweep_processes_on_one_folder(reference, tmp_path):
    """Two real sweeps started together on one folder: one runs, the other is refused (exit 2)."""
    exp = _write(tmp_path, SLOW)
    out = tmp_path / "out"
    procs = [subprocess.Popen(_cmd(exp, out, "--workers", "1"), start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        results = [(p.returncode, p.communicate(timeout=120)[1]) for p in procs]
        results = [(p.returncode, err) for p, (_, err) in zip(procs, results, strict=True)]
    finally:
        for p in procs:
            _kill(p)
    codes = sorted(rc for rc, _ in results)
    assert codes == [0, 2], results
    refused = next(err for rc, err in results if rc == 2)
    assert "another govsim sweep" in refused or "not empty" in refused
    assert refused.count("\n") == 1
    assert runs_digest(_assert_complete(out, N_SLOW)) == reference


def test_disk_full_is_a_clear_error_and_resume_completes(reference, tmp_path, monkeypatch):
    """ENOSPC in the writer: one-line OutputError, finished parts intact, --resume completes."""
    exp = _write(tmp_path, SLOW)
    out = tmp_path / "out"
    real = Store.write_part
    calls = {"n": 0}

    def full(self, results):
        calls["n"] += 1
        if calls["n"] >= 3 and results:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, results)

    monkeypatch.setattr(Store, "write_part", full)
    monkeypatch.setattr("govsim.experiments.dispatch.FLUSH_SECONDS", 0.2)
    with pytest.raises(OutputError, match="No space left on device.*--resume"):
        run_sweep(exp, out, executor="serial")
    assert not list(out.rglob("*.tmp"))
    saved = read_runs(out)
    assert 0 < len(saved) < N_SLOW and saved["run_id"].is_unique
    monkeypatch.setattr(Store, "write_part", real)
    run_sweep(exp, out, executor="serial", resume=True)
    runs = _assert_complete(out, N_SLOW)
    assert runs_digest(runs) == reference
    kept = runs[runs["run_id"].isin(saved["run_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept.drop(columns="wall_s"), saved.reset_index(drop=True).drop(columns="wall_s"))


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_disk_full_on_a_real_small_tmpfs(tmp_path):
    """A real 300 kB tmpfs: the sweep ends with one line and exit 1, then resumes elsewhere-free."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mnt)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount tmpfs here")
    try:
        exp = _write(tmp_path, TOY.format(design="lhs", samples=2000, replicates=3))
        out = mnt / "out"
        res = subprocess.run(_cmd(exp, out, "--executor", "serial"), capture_output=True, text=True, timeout=120)
        assert res.returncode == 1, res.stderr
        assert res.stderr.count("\n") == 1 and "No space left" in res.stderr and "Traceback" not in res.stderr
        parts = list((out / "parts").glob("part-*.parquet"))
        for p in parts:
            pd.read_parquet(p)  # what was written is intact
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.slow
def test_dask_worker_lost_mid_sweep(gated_reference, tmp_path):
    """A Dask worker process SIGKILLed mid-sweep: its tasks are rescheduled, the results identical."""
    from distributed import Client, LocalCluster

    exp, gate = _gated(tmp_path)
    out = tmp_path / "out"
    cluster = LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    killed: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    try:
        pids = list(client.run(os.getpid).values())

        def killer() -> None:
            try:
                done = _mid_sweep(out, N_SLOW)  # checked mid-sweep, not after a fixed sleep
                os.kill(pids[0], signal.SIGKILL)
                killed.append((pids[0], done))
            except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                errors.append(exc)
            finally:
                gate.touch()

        t = threading.Thread(target=killer, daemon=True)
        t.start()
        run_sweep(exp, out, executor="dask", scheduler=cluster.scheduler_address)
        t.join()
        after = set(client.run(os.getpid).values())
    finally:
        client.close()
        cluster.close()
    assert not errors, errors
    (pid, done), = killed
    assert 0 < done < N_SLOW and pid not in after, "the worker was not lost mid-sweep"
    assert runs_digest(_assert_complete(out, N_SLOW)) == gated_reference


def test_time_series_cannot_pile_up_in_the_coordinator(tmp_path, monkeypatch):
    """The buffer is flushed by time-series size too, not only by time and run count."""
    exp = _write(tmp_path, """
[experiment]
name = "walk"
model = "govsim.experiments.examples:RandomWalkModel"
design = "factorial"
samples = 3
replicates = 2
seed = 5
steps = 20
outcomes = ["mean_pos", "spread"]
timeseries = true

[parameters]
n = { low = 5, high = 20, integer = true }
step_sd = { low = 0.5, high = 2.0 }
""")
    monkeypatch.setattr("govsim.experiments.dispatch.FLUSH_SECONDS", 1e9)
    monkeypatch.setattr("govsim.experiments.dispatch.FLUSH_VALUES", 100)  # ≈ one run's series (21 days × 3 columns)
    out = run_sweep(exp, tmp_path / "out", executor="serial")
    assert len(list((out / "parts").glob("part-*.parquet"))) >= 3  # one part without the size rule
    assert len(read_runs(out)) == 18 and len(pd.read_parquet(out / "timeseries.parquet")) == 18 * 21


def test_resume_mask_is_one_byte_a_run(tmp_path):
    out = run_sweep(_write(tmp_path, SLOW), tmp_path / "out", executor="serial")
    store = Store(out, {}, ["y"], False, 0)
    mask = store.finished_mask(N_SLOW + 5)
    assert mask.dtype == bool and mask[:N_SLOW].all() and not mask[N_SLOW:].any()
