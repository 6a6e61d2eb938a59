"""The Vrabel et al. §5 page runs at toy size (``smoke`` profile: small lattices, three
dimensions, six ε-similar pairs per input dimension and one search round), and what its
``PercolationStudy`` holds is what the page relies on: spanning curves monotone in p
(one set of random numbers per size), thresholds and cluster fractions in [0, 1], a
mean field that vanishes below its threshold, a search that never loses a pair the
straight line connects, the exact answer for n = 2, 3 only; and its report: records with
valid verdicts (the thresholds pinned near the literature's, the checks three dimensions
cannot pass pinned failed, the conjecture tested above n = 2 with the flood fill at n = 3
and the search's answer there) and every sentence glued, saying what the verdicts imply. No
data and no network training: it runs everywhere."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from connectivity import percolation as perc
from connectivity import prose, scorecard
from connectivity.pages.vrabel2024 import percolation as page
from connectivity.pages.vrabel2024.percolation.study import half_grid
from connectivity.paper_values.vrabel2024_modes import CONJECTURE, MEAN_FIELD, PC_FALLS

NOTEBOOK = "vrabel2024/04_percolation"


@pytest.mark.timeout(180)
def test_percolation_page_at_toy_size(tmp_build, monkeypatch):
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", NOTEBOOK)
    s = page.PercolationSettings.resolve("smoke")
    study = page.run(s)
    assert study.settings is s and study.seconds > 0

    # App. A: spanning curves and thresholds
    assert len(study.ps) == 21 and study.ps[0] == 0.5 and study.ps[-1] == pytest.approx(0.7)
    assert list(study.spanning) == s.spanning_sizes
    for probs in study.spanning.values():
        assert probs.shape == study.ps.shape and ((0 <= probs) & (probs <= 1)).all()
        assert (np.diff(probs) >= 0).all()  # the same lattices at every p: monotone
    assert list(study.pc) == s.pc_dims and list(study.pc_sizes) == s.pc_dims
    assert study.pc_sizes == {n: max(3, round(s.pc_sites ** (1 / n))) for n in s.pc_dims}
    assert all(0 < p < 1 for p in study.pc.values())

    # App. C.3: finite lattices against the Bethe lattice
    assert len(study.mf_ps) == 45 and list(study.mf_lattice) == list(study.mf_bethe) == s.mf_dims
    for n in s.mf_dims:
        lattice, bethe = study.mf_lattice[n], study.mf_bethe[n]
        assert lattice.shape == bethe.shape == study.mf_ps.shape
        assert ((0 <= lattice) & (lattice <= 1)).all()
        assert ((0 <= bethe) & (bethe <= study.mf_ps + 1e-12)).all()  # an open site
        below = study.mf_ps < 0.8 / (2 * n - 1)  # well below p_c = 1/(z - 1), z = 2n
        assert below.any() and (bethe[below] < 1e-6).all()
    discrepancy = study.mf_discrepancy()
    assert list(discrepancy) == s.mf_dims and all(0 <= d <= 1 for d in discrepancy.values())

    # Conjecture 5.1
    conj = study.conjecture
    assert conj.dims == s.conj_dims and conj.widths == [max(s.conj_min_width, n) for n in conj.dims]
    assert sorted(conj.exact) == [n for n in (2, 3) if n in conj.dims]
    for n in conj.dims:
        found, straight = conj.found[n], conj.straight[n]
        assert found.shape == straight.shape == (s.conj_pairs,)
        assert found.dtype == straight.dtype == bool
        assert not (straight & ~found).any()  # the search starts with the straight line
        assert conj.seconds[n] >= 0
        if n in conj.exact:
            assert conj.exact[n].shape == (s.conj_pairs,) and conj.exact[n].dtype == bool
            assert conj.exact_half[n].shape == (s.conj_pairs,)
            assert half_grid(conj.cells[n]) == (conj.cells[n] + 1) // 2  # 41 -> 21, 11 -> 6
            assert conj.cells[n] == (s.conj_grid_2d if n == 2 else s.conj_grid_3d)

    pc = page.pc_table(study)
    assert pc.index.tolist() == s.pc_dims and pc["L"].tolist() == list(study.pc_sizes.values())
    table = page.conjecture_table(study)
    assert table.index.tolist() == conj.dims
    assert [v == "—" for v in table["exact (flood fill)"]] == [
        n not in conj.exact for n in conj.dims
    ]
    for plot in (page.plot_fig9, page.plot_thresholds, page.plot_mean_field, page.plot_conjecture):
        fig = plot(study)
        assert fig.axes
        plt.close(fig)

    # finite lattices of ~512 sites (L = 23, 8, 5) shift p_c by a few hundredths from the
    # literature's 0.593, 0.312, 0.197: each estimate within 0.05 of it
    for n in (2, 3, 4):
        assert abs(study.pc[n] - perc.PC_HYPERCUBIC_SITE[n]) < 0.05
    # below the square lattice's p_c = 0.593 the Bethe lattice (z = 4, p_c = 1/3) already
    # holds about half the sites in its infinite cluster, a finite square lattice few:
    # the largest gap at n = 2 is 0.3-0.55 (Bethe's P is 0.51 at p = 0.55, 0.57 at 0.6)
    assert 0.3 < discrepancy[2] < 0.55

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    out = page.report(study)
    recs = out.records
    # textbook facts check the estimator: shown apart, never counted as reproductions
    for rec, id_ in ((recs.pc_falls, PC_FALLS), (recs.mean_field, MEAN_FIELD)):
        assert rec.id == id_ and rec.kind == "check"
        # three dimensions: the exact one-sided Spearman p is at least 1/3! = 1/6 > 0.05,
        # so the trend cannot pass at toy size (ci and paper profiles have five or more)
        assert len(s.pc_dims) == len(s.mf_dims) == 3
        assert rec.verdict == "failed" and rec.extra["p"] >= 1 / 6 - 1e-9
    # the three estimates fall with n (pinned above): p at its floor, 1/6
    assert recs.pc_falls.extra["p"] == pytest.approx(1 / 6)
    assert recs.pc_falls.reproduced == ", ".join(f"{study.pc[n]:.3f}" for n in s.pc_dims)
    assert [c.id for c in recs.checks] == [
        f"vrabel2024.percolation.pc_{n}d" for n in (2, 3) if n in study.pc
    ]
    # the seeded lattices put the 2-D and 3-D estimates within 0.01 of the literature
    # (0.600, 0.308): inside the check's allowance of 0.03
    for c, n in zip(recs.checks, (2, 3)):
        assert c.kind == "check" and c.reproduced == round(study.pc[n], 4)
        assert c.verdict == "check"
    # the conjecture: the trend above n = 2, n = 3 by the flood fill, and the verdict needs
    # the same trend with the search's answer at n = 3 too (the larger p)
    rec = recs.conjecture
    assert rec.id == CONJECTURE and rec.kind == "qualitative"
    assert rec.verdict in ("reproduced", "differs", "not significant")
    assert rec.extra["smallest"] == conj.dims[0] and rec.extra["tested"] == "3, 8"
    by_exact = {3: conj.exact[3].astype(float), 8: conj.found[8].astype(float)}
    by_search = {3: conj.found[3].astype(float), 8: conj.found[8].astype(float)}
    p_exact = perc.connected_trend(by_exact)
    p_search = perc.connected_trend(by_search)
    assert rec.extra["p_exact"] == pytest.approx(p_exact.p_value)
    assert rec.extra["p_search"] == pytest.approx(p_search.p_value)
    assert rec.p_value == pytest.approx(max(p_exact.p_value, p_search.p_value))
    assert rec.p_opposite == pytest.approx(max(p_exact.p_opposite, p_search.p_opposite))
    assert rec.reproduced == (
        f"n = 3: {conj.exact[3].mean():.2f} (flood fill), n = 8: {conj.found[8].mean():.2f}"
    )
    assert 0 <= rec.extra["trend_power"] <= 1
    for n in (2, 3):  # the search against the flood fill where both ran
        extra = recs.connected[n].extra
        assert extra["only_search"] == int((conj.found[n] & ~conj.exact[n]).sum())
        assert extra["search_minus_exact"] == pytest.approx(
            conj.found[n].mean() - conj.exact[n].mean(), abs=1e-3
        )
    assert list(recs.connected) == conj.dims
    for n, rec in recs.connected.items():
        assert rec.id == f"vrabel2024.conjecture.connected_fraction.n{n}"
        assert rec.kind == "measurement" and rec.reproduced == round(float(conj.found[n].mean()), 3)
    written = {r.id: r for r in scorecard.load([NOTEBOOK])}
    assert set(written) == {PC_FALLS, MEAN_FIELD, CONJECTURE} | {
        r.id for r in (*recs.checks, *recs.connected.values())
    }
    assert all(r.verdict in scorecard.VERDICTS for r in written.values())

    assert glued == out.glued and set(glued) == {
        "perc_pc",
        "perc_conjecture",
        f"says.{PC_FALLS}",
        f"says.{MEAN_FIELD}",
        f"says.{CONJECTURE}",
    }
    assert all(isinstance(text, str) and text for text in glued.values())
    assert glued["perc_pc"].startswith(
        f"The estimates are {study.pc[2]:.3f} for n = 2 (literature 0.593)"
    )
    assert glued[f"says.{PC_FALLS}"].startswith("The estimated threshold does *not* fall")
    assert glued[f"says.{MEAN_FIELD}"].startswith(
        "The largest difference between lattice and mean field ("
    )
    assert "does *not* shrink significantly" in glued[f"says.{MEAN_FIELD}"]
    assert glued["perc_conjecture"].startswith(
        f"The search connects {conj.found[2].mean():.2f} of the pairs for n = 2"
    )
    assert (
        f"For n = 3 the flood fill ({s.conj_grid_3d} cells per axis) connects"
        in glued["perc_conjecture"]
    )
    assert (
        f"On a grid half as fine ({half_grid(s.conj_grid_3d)} cells per axis) the flood fill "
        f"connects {conj.exact_half[3].mean():.2f}"
    ) in glued["perc_conjecture"]
    wording = {
        "reproduced": "Above n = 2 the share of connected pairs grows with the dimension",
        "differs": "Above n = 2 the share of connected pairs *falls* with the dimension",
        "not significant": "Above n = 2 the share of connected pairs shows no significant trend",
    }
    assert glued[f"says.{CONJECTURE}"].startswith(wording[recs.conjecture.verdict])
    assert (
        f"With n = 2 in the test p would be {recs.conjecture.extra['p_with_two']:.2g}"
        in (glued[f"says.{CONJECTURE}"])
    )
