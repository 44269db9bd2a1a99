"""Atomic writers leave either the old file or the new one, and no temporary files."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from regionsoft_sd.common.io import atomic_path, save_figure, write_between, write_table, write_text


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_writers_round_trip_and_create_parents(tmp_path):
    df = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index([2025.0, 2026.0], name="time"))
    for suffix in ("csv", "parquet"):
        path = write_table(df, tmp_path / "sub" / f"t.{suffix}")
        back = pd.read_csv(path, index_col=0) if suffix == "csv" else pd.read_parquet(path)
        pd.testing.assert_frame_equal(back, df)
    assert write_text(tmp_path / "m.md", "# hi\n").read_text() == "# hi\n"
    png = save_figure(Figure(), tmp_path / "f.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="xlsx"):
        write_table(df, tmp_path / "t.xlsx")


def test_temp_file_is_synced_before_the_rename_and_umask_is_left_alone(tmp_path, monkeypatch):
    import os

    mask = _current_umask()
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", str(src)))
        real_replace(src, dst)

    def umask(mask):
        raise AssertionError("atomic_path must not change the process umask")

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "umask", umask)
    path = write_text(tmp_path / "a.txt", "new")
    assert path.read_text() == "new"
    assert [e[0] for e in events] == ["fsync", "replace"]
    assert events[0][1] == events[1][1]  # the synced file is the one renamed
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def _current_umask() -> int:
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_write_between_replaces_only_the_block_and_refuses_a_page_without_markers(tmp_path):
    doc = tmp_path / "page.md"
    doc.write_text("# Title\n\n<!-- b:start -->\nold\n<!-- b:end -->\n\nhand text\n")
    write_between(doc, "<!-- b:start -->", "<!-- b:end -->", "new\n")
    assert doc.read_text() == "# Title\n\n<!-- b:start -->\nnew\n<!-- b:end -->\n\nhand text\n"
    hand = "# Title\n\nno markers\n"
    doc.write_text(hand)
    with pytest.raises(ValueError, match="page.md: no block between"):
        write_between(doc, "<!-- b:start -->", "<!-- b:end -->", "new")
    assert doc.read_text() == hand
    write_between(doc, "<!-- b:start -->", "<!-- b:end -->", "new", append=True)
    assert doc.read_text() == "# Title\n\nno markers\n\n<!-- b:start -->\nnew\n<!-- b:end -->\n"
