"""The Performance page's rows from the runner's timings."""

from __future__ import annotations

import json
import time

from connectivity.pages import performance


def _rows(name, seconds, status="ok", profile="ci"):
    return {"notebook": name, "profile": profile, "status": status, "error": "", "seconds": seconds}


def test_book_rows_read_the_last_full_run_only(tmp_path):
    path = tmp_path / "timings.json"
    path.write_text(
        json.dumps(
            {
                "full": {
                    "profile": "ci",
                    "started": "2026-01-01T00:00:00",
                    "rows": [_rows("a", 600.0), _rows("b", 1200.0), _rows("c", 60.0, "failed")],
                },
                "partial": [_rows("a", 4.0)],  # a warm rerun must not enter the total
            }
        )
    )
    total, slowest = performance.book_rows(path)
    assert total.measured == 30.0 and total.unit == "min" and "2 notebooks" in total.detail
    assert slowest.measured == 20.0 and slowest.detail == "b"
    assert slowest.holds and not performance.Row("x", 21.0, 20.0, "min", False, "").holds


def test_book_rows_without_a_full_run_are_empty(tmp_path):
    path = tmp_path / "timings.json"
    assert performance.book_rows(path) == []
    path.write_text(json.dumps({"full": {"profile": None, "rows": []}, "partial": [_rows("a", 4)]}))
    assert performance.book_rows(path) == []
    path.write_text(json.dumps([_rows("a", 4.0)]))  # the old list format
    assert performance.book_rows(path) == []


def test_a_row_without_a_target_neither_holds_nor_misses():
    row = performance.Row("detector cost: a / b", 3.0, None, "x", True, "reported")
    assert row.holds is None and row.gap == ""
    line = performance.text_table({"rows": [row.as_dict()]}).splitlines()[1]
    assert line.split()[-4:-2] == ["-", "-"]  # target and holds columns


def test_interleaved_timings_take_turns_and_return_one_median_each():
    calls = []
    fast, slow = (lambda: calls.append("f")), (lambda: (calls.append("s"), time.sleep(0.05)))
    t_fast, t_slow = performance.interleaved_median_times([fast, slow], repeats=3, warmup=1)
    assert calls == ["f", "s"] * 4  # a warm-up round, then three rounds in turn
    # the sleep is a lower bound on any machine; "fast" (one list append) would need two of
    # its three rounds held up for 50 ms by other work to reach it, whatever the processor
    assert t_slow >= 0.05 > t_fast
