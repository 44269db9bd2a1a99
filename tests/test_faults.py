"""Fault injection: kills, damaged checkpoints, concurrent writers, foreign files, full disks.

Every test here attacks a sweep (or run/compare) the way a crash, a user or
another process could, and checks the promise: the user's files are never
touched, a damaged checkpoint is never used, results after recovery are
bit-identical to an undisturbed run, and bad situations are exit 2 with one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from regionsoft_sd import cli
from regionsoft_sd.common.outdir import LOCK
from regionsoft_sd.runs import CHUNK_DIR
from regionsoft_sd.sweep import load_spec, run_sweep


def sweep_main(argv: list[str]) -> int:
    """`regionsoft sweep ARGV` through the main CLI (the one entry point of the command)."""
    return cli.main(["sweep", *argv])


DATA = Path(__file__).parent / "sweep_data"
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TABLES = ["samples.parquet", "runs.parquet", "sobol.csv", "sobol_s2.csv", "tornado.csv"]
TABLES += ["outcomes.csv", "fan.csv"]

SPEC = f"""
name = "faults"
method = "sobol"
n = 16
seed = 7
chunk_size = 8
model = "{(DATA / "one_knob.mdl").as_posix()}"
metrics = ["dominant_soft_power_end", "gdp_end"]
fan_variables = ["Dominant Soft Power"]
fan_runs = 20

[parameters]
"Knob A" = "uniform"
"Knob B" = {{ distribution = "triangular", mode = 0.5 }}
"Knob C" = {{ distribution = "normal", sd = 0.5 }}
"""


def write_spec(folder: Path, text: str = SPEC, name: str = "faults.toml") -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    return write_spec(tmp_path_factory.mktemp("spec"))


@pytest.fixture(scope="module")
def reference(spec_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "out"
    run_sweep(spec_path, out, progress=False, figures=False)
    return out


def same_tables(a: Path, b: Path) -> None:
    for name in TABLES:
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(a / name), pd.read_parquet(b / name), check_exact=True
            )
        else:
            assert (a / name).read_bytes() == (b / name).read_bytes(), name


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every entry below `root` (links not followed): content hash (or link target) and mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = Path(dirpath) / name
            st = p.lstat()
            what = (
                f"-> {os.readlink(p)}"
                if p.is_symlink()
                else hashlib.sha256(p.read_bytes()).hexdigest()
            )
            out[p.relative_to(root).as_posix()] = (what, st.st_mtime_ns)
    return out


def chunk_dir(out: Path, spec: Path) -> Path:
    return out / CHUNK_DIR / load_spec(spec).digest


def sweep_cmd(spec: Path, out: Path, *extra: str) -> list[str]:
    head = [sys.executable, "-m", "regionsoft_sd.sweep", str(spec), "--out", str(out)]
    return [*head, "--no-progress", *extra]


# --- crashes -----------------------------------------------------------------------------


@pytest.mark.slow  # a dozen killed subprocess sweeps
def test_sigkill_at_random_points_then_resume_is_bit_identical(spec_path, reference, tmp_path):
    """Kill a sweep process at random moments (start-up, chunks, analysis, commit), resume."""
    t0 = time.monotonic()
    subprocess.run(sweep_cmd(spec_path, tmp_path / "timing"), check=True, capture_output=True)
    whole = time.monotonic() - t0
    rng = random.Random(20250)
    for k in range(4):
        out = tmp_path / f"out{k}"
        delay = rng.uniform(0.3, 1.0) * whole
        proc = subprocess.Popen(
            sweep_cmd(spec_path, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        res = run_sweep(spec_path, out, resume=True, progress=False, figures=False)
        same_tables(reference, out)
        assert not (out / LOCK).exists()
        assert not [p for p in out.iterdir() if p.name.startswith(".regionsoft-staging")]
        assert all("internal" not in n for n in res.notes)


def _finished_copy(reference: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(reference, out, symlinks=True)
    return out


def test_flipped_truncated_swapped_and_missing_chunks_are_rerun(spec_path, reference, tmp_path):
    out = _finished_copy(reference, tmp_path)
    chunks = chunk_dir(out, spec_path)
    flipped = chunks / "chunk-000003.parquet"
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit
    flipped.write_bytes(bytes(data))
    truncated = chunks / "chunk-000005.parquet"
    truncated.write_bytes(truncated.read_bytes()[:100])
    shutil.copyfile(chunks / "chunk-000008.parquet", chunks / "chunk-000007.parquet")
    (chunks / "chunk-000010.parquet").unlink()
    untouched = (chunks / "chunk-000001.parquet").stat().st_mtime_ns
    res = run_sweep(spec_path, out, resume=True, progress=False, figures=False)
    note = next(n for n in res.notes if n.startswith("reran"))
    assert "reran 4 checkpoint(s)" in note
    assert "chunk 3 damaged" in note and "chunk 5 damaged (truncated" in note
    assert "chunk 7 duplicated (a copy of chunk 8)" in note and "chunk 10 missing" in note
    assert (chunks / "chunk-000001.parquet").stat().st_mtime_ns == untouched  # reused
    same_tables(reference, out)


def test_a_damaged_journal_line_reruns_only_that_chunk(spec_path, reference, tmp_path):
    out = _finished_copy(reference, tmp_path)
    journal = chunk_dir(out, spec_path) / "journal.jsonl"
    lines = journal.read_bytes().split(b"\n")
    i = next(j for j, line in enumerate(lines) if b'"chunk":4,' in line)
    lines[i] = lines[i][: len(lines[i]) // 2]  # a line cut short by a crash
    journal.write_bytes(b"\n".join(lines))
    res = run_sweep(spec_path, out, resume=True, progress=False, figures=False)
    assert any("reran 1 checkpoint(s)" in n and "chunk 4 missing" in n for n in res.notes)
    same_tables(reference, out)


@pytest.mark.parametrize("damage", ["deleted", "garbage", "other sweep"])
def test_missing_or_damaged_manifest_means_start_again(spec_path, reference, tmp_path, damage):
    out = _finished_copy(reference, tmp_path)
    manifest = chunk_dir(out, spec_path) / "manifest.json"
    if damage == "deleted":
        manifest.unlink()
    elif damage == "garbage":
        manifest.write_text('{"format": 1, "identity": ', encoding="utf-8")
    else:  # a valid manifest, but of other checkpoints: never reuse them
        m = json.loads(manifest.read_text(encoding="utf-8"))
        manifest.write_text(json.dumps({**m, "identity": "0123456789abcdef"}), encoding="utf-8")
    before = {p.name: p.stat().st_mtime_ns for p in chunk_dir(out, spec_path).glob("chunk-*")}
    res = run_sweep(spec_path, out, resume=True, progress=False, figures=False)
    assert any("manifest missing or damaged; started again" in n for n in res.notes)
    after = {p.name: p.stat().st_mtime_ns for p in chunk_dir(out, spec_path).glob("chunk-*")}
    assert all(after[k] != v for k, v in before.items())  # every chunk ran again
    same_tables(reference, out)


def test_another_specs_checkpoints_are_never_reused(spec_path, tmp_path, capsys):
    """A changed spec gets its own checkpoint folder; --resume into the old one is refused."""
    out = tmp_path / "out"
    run_sweep(spec_path, out, progress=False, figures=False)
    other = write_spec(tmp_path, SPEC.replace("seed = 7", "seed = 8"), "other.toml")
    before = snapshot(out)
    assert sweep_main([str(other), "--out", str(out), "--resume", "--no-progress"]) == 2
    assert "belong to another sweep" in capsys.readouterr().err
    assert snapshot(out) == before


# --- concurrency -------------------------------------------------------------------------


def test_a_concurrent_sweep_is_refused_and_a_dead_owners_lock_is_recovered(
    spec_path, reference, tmp_path, capsys
):
    out = tmp_path / "out"
    slow = write_spec(tmp_path, SPEC.replace("chunk_size = 8", "chunk_size = 1"), "slow.toml")
    proc = subprocess.Popen(
        sweep_cmd(slow, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not (chunk_dir(out, slow) / "journal.jsonl").exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        code = sweep_main([str(slow), "--out", str(out), "--no-progress"])
        err = capsys.readouterr().err
        assert code == 2 and f"another regionsoft (pid {proc.pid})" in err, err
        assert len(err.strip().splitlines()) == 1
        # run and compare are refused too
        assert cli.main(["run", str(SCENARIOS / "baseline.toml"), "--out", str(out)]) == 2
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert (out / LOCK).exists()  # SIGKILL left it behind: stale now
    res = run_sweep(slow, out, resume=True, progress=False, figures=False)
    assert not (out / LOCK).exists() and not any("internal" in n for n in res.notes)
    ref = tmp_path / "ref"
    run_sweep(slow, ref, progress=False, figures=False)
    same_tables(ref, out)


def test_a_lock_of_a_process_that_no_longer_exists_is_recovered(spec_path, tmp_path):
    out = tmp_path / "out"
    run_sweep(spec_path, out, progress=False, figures=False)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    lock = {"tool": "regionsoft-sd", "pid": gone.pid, "host": socket.gethostname()}
    (out / LOCK).write_text(json.dumps(lock), encoding="utf-8")
    run_sweep(spec_path, out, resume=True, progress=False, figures=False)
    assert not (out / LOCK).exists()


# --- the user's files --------------------------------------------------------------------


def _users_folder(root: Path) -> Path:
    """A folder like docs/: figures, something named like a checkpoint, temp-like files."""
    d = root / "docs"
    (d / "figures").mkdir(parents=True)
    (d / "chunks").mkdir()
    (d / "figures" / "diagram.png").write_bytes(b"\x89PNG users figure")
    (d / "chunks" / "chunk-000000.parquet").write_bytes(b"not ours")
    (d / "samples.parquet").write_bytes(b"users samples")
    (d / ".chunk-000001.parquet.abc12345.tmp").write_bytes(b"users temp")
    (d / "notes.md").write_text("users notes", encoding="utf-8")
    return d


@pytest.mark.parametrize("command", ["sweep", "run", "compare"])
def test_a_folder_of_the_users_files_is_refused_and_untouched(spec_path, tmp_path, command, capsys):
    d = _users_folder(tmp_path)
    before = snapshot(d)
    argv = {
        "sweep": ["sweep", str(spec_path), "--no-progress"],
        "run": ["run", str(SCENARIOS / "baseline.toml")],
        "compare": ["compare", str(SCENARIOS / "baseline.toml")],
    }[command]
    code = cli.main([*argv, "--out", str(d)])
    err = capsys.readouterr().err
    assert code == 2 and "holds files regionsoft did not write" in err, err
    assert snapshot(d) == before and sorted(os.listdir(d)) == sorted(before_names(before))


def before_names(snap: dict) -> set[str]:
    return {k.split("/")[0] for k in snap}


def test_users_files_beside_an_earlier_sweep_are_untouched(spec_path, tmp_path):
    out = tmp_path / "out"
    run_sweep(spec_path, out, progress=False)
    mine = {
        "notes.md": b"mine",
        "figures/mine.png": b"mine",
        f"{CHUNK_DIR}/mine.parquet": b"mine",
        "sobol_mine.csv": b"mine",
    }
    for name, data in mine.items():
        (out / name).write_bytes(data)
    morris = write_spec(
        tmp_path,
        SPEC.replace('method = "sobol"\nn = 16', 'method = "morris"\nn = 10'),
        "morris.toml",
    )
    res = run_sweep(morris, out, progress=False)
    assert {n: (out / n).read_bytes() for n in mine} == mine
    assert not (out / "sobol.csv").exists() and (out / "morris.csv").exists()
    assert any("sobol.csv" in n and "checkpoints" in n for n in res.notes)


def test_an_output_the_user_edited_is_not_replaced(spec_path, tmp_path, capsys):
    out = tmp_path / "out"
    run_sweep(spec_path, out, progress=False, figures=False)
    (out / "outcomes.csv").write_text("my edits\n", encoding="utf-8")
    before = snapshot(out)
    assert sweep_main([str(spec_path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "outcomes.csv" in err and "regionsoft did not write it" in err
    assert snapshot(out) == before


@pytest.mark.parametrize("link", ["figures", CHUNK_DIR])
def test_a_symlinked_subfolder_is_never_followed(spec_path, tmp_path, link, capsys):
    out = tmp_path / "out"
    run_sweep(spec_path, out, progress=False)
    victim = tmp_path / "victim"
    shutil.move(out / link, victim)  # the same files, now outside, behind a link
    (out / link).symlink_to(victim, target_is_directory=True)
    before, victim_before = snapshot(out), snapshot(victim)
    assert sweep_main([str(spec_path), "--out", str(out), "--no-progress"]) == 2
    assert "symlink" in capsys.readouterr().err
    assert snapshot(victim) == victim_before and snapshot(out) == before


def test_a_stale_output_replaced_by_a_symlink_is_not_deleted_through_it(spec_path, tmp_path):
    out = tmp_path / "out"
    run_sweep(spec_path, out, progress=False, figures=False)
    victim = tmp_path / "victim.csv"
    shutil.move(out / "sobol.csv", victim)  # same content: its hash matches the manifest
    (out / "sobol.csv").symlink_to(victim)
    morris = write_spec(
        tmp_path,
        SPEC.replace('method = "sobol"\nn = 16', 'method = "morris"\nn = 10'),
        "morris.toml",
    )
    run_sweep(morris, out, progress=False, figures=False)
    assert victim.is_file() and (out / "sobol.csv").is_symlink()


# --- bad --out paths and options: exit 2, nothing written or deleted ----------------------


def _bad_out(kind: str, tmp_path: Path) -> Path:
    if kind == "below a file":
        (tmp_path / "file").write_text("x")
        return tmp_path / "file" / "out"
    if kind == "a file":
        (tmp_path / "file").write_text("x")
        return tmp_path / "file"
    if kind == "dangling symlink":
        (tmp_path / "link").symlink_to(tmp_path / "missing")
        return tmp_path / "link"
    if kind == "symlink loop":
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        return tmp_path / "a" / "out"
    if kind == "name too long":
        return tmp_path / ("n" * 300)
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind", ["below a file", "a file", "dangling symlink", "symlink loop", "name too long"]
)
@pytest.mark.parametrize("command", ["sweep", "run"])
def test_unusable_out_paths_exit_2_in_one_line(spec_path, tmp_path, kind, command, capsys):
    out = _bad_out(kind, tmp_path)
    before = snapshot(tmp_path)
    argv = (
        ["sweep", str(spec_path), "--no-progress"]
        if command == "sweep"
        else ["run", str(SCENARIOS / "baseline.toml")]
    )
    code = cli.main([*argv, "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--out" in err, err
    assert "internal error" not in err and len(err) < 300
    assert snapshot(tmp_path) == before


def test_an_immutable_out_folder_is_bad_input(spec_path, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here (needs root and a file system with it)")
    try:
        for argv in (
            ["sweep", str(spec_path), "--no-progress"],
            ["run", str(SCENARIOS / "baseline.toml")],
        ):
            code = cli.main([*argv, "--out", str(locked / "out")])
            err = capsys.readouterr().err.strip()
            assert code == 2 and "--out" in err and "internal" not in err, err
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert list(locked.iterdir()) == []


def test_an_invalid_option_deletes_nothing(spec_path, tmp_path, capsys):
    out = tmp_path / "out"
    run_sweep(spec_path, out, progress=False, figures=False)
    before = snapshot(out)
    for extra in (["--workers", "0"], ["--workers", "100000"], ["--scheduler", "nowhere"]):
        assert sweep_main([str(spec_path), "--out", str(out), "--no-progress", *extra]) == 2
    capsys.readouterr()
    assert snapshot(out) == before


def test_an_unreachable_scheduler_deletes_nothing(spec_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("regionsoft_sd.runs.dask.CONNECT_TIMEOUT", "2s")
    out = tmp_path / "out"
    run_sweep(spec_path, out, progress=False, figures=False)
    before = snapshot(out)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = sweep_main(
        [
            str(spec_path),
            "--out",
            str(out),
            "--no-progress",
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach a Dask scheduler" in err, err
    assert snapshot(out) == before


# --- a full or read-only disk (a small tmpfs in a private mount namespace) -----------------

DISK_SCRIPT = textwrap.dedent(
    """
    import json, os, subprocess, sys
    mnt, spec, big, result = sys.argv[1:5]
    out = os.path.join(mnt, "out")
    cmd = [sys.executable, "-m", "regionsoft_sd.sweep", "--no-progress", "--out", out]
    first = subprocess.run(cmd + [spec], capture_output=True, text=True)
    snap = lambda: {
        os.path.relpath(os.path.join(d, f), out): open(os.path.join(d, f), "rb").read().hex()
        for d, _, fs in os.walk(out) for f in fs
    }
    before = snap()
    filler = os.path.join(mnt, "filler")
    with open(filler, "wb") as f:  # leave about 150 kB free
        free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
        f.write(b"0" * max(free - 150_000, 0))
    second = subprocess.run(cmd + [big], capture_output=True, text=True)
    after = snap()
    ro = os.path.join(mnt, "ro")
    os.mkdir(ro)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", ro], check=True)
    ro_cmd = cmd[:-1] + [os.path.join(ro, "out"), spec]
    third = subprocess.run(ro_cmd, capture_output=True, text=True)
    json.dump(
        {
            "first": first.returncode, "first_err": first.stderr[-2000:],
            "second": second.returncode, "second_err": second.stderr[-2000:],
            "third": third.returncode, "third_err": third.stderr[-2000:],
            "same": all(after.get(k) == v for k, v in before.items()), "n_before": len(before),
            "new": sorted(set(after) - set(before)),
            "left": sorted(os.listdir(out)),
        },
        open(result, "w"),
    )
    """
)


def test_a_full_disk_leaves_the_earlier_outputs_intact_and_read_only_is_bad_input(
    spec_path, tmp_path
):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    big = write_spec(
        tmp_path, SPEC.replace("n = 16", "n = 256").replace("seed = 7", "seed = 9"), "big.toml"
    )
    script = tmp_path / "disk.py"
    script.write_text(DISK_SCRIPT, encoding="utf-8")
    result = tmp_path / "result.json"
    inner = [sys.executable, str(script), str(mnt), str(spec_path), str(big), str(result)]
    mount = f'mount -t tmpfs -o size=3m tmpfs {mnt} && exec "$@"'
    for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
        if shutil.which("unshare") is None:
            break
        proc = subprocess.run(
            [*prefix, "sh", "-c", mount, "sh", *inner], capture_output=True, text=True
        )
        if result.exists():
            break
    if not result.exists():
        pytest.skip("cannot mount a small tmpfs here (needs a private mount namespace)")
    r = json.loads(result.read_text(encoding="utf-8"))
    assert r["first"] == 0, r["first_err"]
    assert r["n_before"] > 5 and r["same"], r
    new_digest = load_spec(big).digest  # only the new run's own checkpoints were added
    assert all(n.startswith(f"{CHUNK_DIR}/{new_digest}/") for n in r["new"]), r["new"]
    assert r["second"] == 2 and "disk is full" in r["second_err"], r["second_err"]
    assert len(r["second_err"].strip().splitlines()) == 1
    assert not [n for n in r["left"] if n.startswith((".regionsoft-staging", LOCK))], r["left"]
    assert r["third"] == 2 and "--out" in r["third_err"] and "read-only" in r["third_err"], r
    assert proc.returncode == 0, proc.stderr


# --- the compiled-kernel cache ---------------------------------------------------------


@pytest.mark.parametrize("broken", ["a file", "below a file"])
def test_a_broken_kernel_cache_folder_is_not_an_error_and_never_blames_out(
    spec_path, reference, tmp_path, monkeypatch, capsys, broken
):
    """The kernel cache folder is unusable: the sweep still succeeds, with the same tables."""
    from regionsoft_sd.batch import cbackend

    if cbackend.compiler() is None:
        pytest.skip("no C compiler: the kernel cache is never used")
    root = tmp_path / "cache"  # what the variable names; kernels go to its `kernels` folder
    folder = root / "kernels"
    if broken == "a file":
        root.mkdir()
        folder.write_text("not a folder", encoding="utf-8")
    else:
        root = tmp_path / "file"
        root.write_text("x", encoding="utf-8")
        folder = root / "kernels"
    monkeypatch.setenv(cbackend.ENV_CACHE, str(root))
    for name, empty in (("_loaded", {}), ("_built", {}), ("_warned", set())):
        monkeypatch.setattr(cbackend, name, empty)  # as in a new process: nothing loaded
    model = tmp_path / "model" / "one_knob.mdl"  # not compiled earlier in this process
    model.parent.mkdir()
    shutil.copy(DATA / "one_knob.mdl", model)
    spec = write_spec(tmp_path, SPEC.replace((DATA / "one_knob.mdl").as_posix(), model.as_posix()))
    out = tmp_path / "out"
    with pytest.warns(cbackend.KernelCacheNote, match=str(folder)):
        code = cli.main(["sweep", str(spec), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "--out" not in err and "internal error" not in err
    pd.testing.assert_frame_equal(
        pd.read_parquet(reference / "runs.parquet"),
        pd.read_parquet(out / "runs.parquet"),
        check_exact=True,
    )
    for name in ("sobol.csv", "outcomes.csv"):
        assert (reference / name).read_bytes() == (out / name).read_bytes(), name
