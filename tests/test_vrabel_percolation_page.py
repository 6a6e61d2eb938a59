"""The Vrabel et al. §5 page runs at toy size (``smoke`` profile: small lattices, three
dimensions, six ε-similar pairs per input dimension and one search round), and what its
``PercolationStudy`` holds is what the page relies on: spanning curves monotone in p
(one set of random numbers per size), thresholds and cluster fractions in [0, 1], a
mean field that vanishes below its threshold, a search that never loses a pair the
straight line connects, the exact answer for n = 2, 3 only, records with valid verdicts
and every sentence glued. No data and no network training: it runs everywhere."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from connectivity import prose, scorecard
from connectivity.pages.vrabel2024 import percolation as page
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

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    recs = page.report(study)
    # textbook facts check the estimator: shown apart, never counted as reproductions
    for rec, id_ in ((recs.pc_falls, PC_FALLS), (recs.mean_field, MEAN_FIELD)):
        assert rec.id == id_ and rec.kind == "check" and rec.verdict in ("check", "failed")
    assert [c.id for c in recs.checks] == [
        f"vrabel2024.percolation.pc_{n}d" for n in (2, 3) if n in study.pc
    ]
    assert all(c.kind == "check" and c.verdict in ("check", "failed") for c in recs.checks)
    assert recs.conjecture.id == CONJECTURE and recs.conjecture.kind == "qualitative"
    assert recs.conjecture.verdict in ("reproduced", "differs", "not significant")
    assert recs.conjecture.extra["smallest"] == conj.dims[0]
    written = {r.id: r for r in scorecard.load([NOTEBOOK])}
    fractions = {f"vrabel2024.conjecture.connected_fraction.n{n}": n for n in conj.dims}
    assert set(written) == {PC_FALLS, MEAN_FIELD, CONJECTURE, *fractions} | {
        c.id for c in recs.checks
    }
    assert all(r.verdict in scorecard.VERDICTS for r in written.values())
    for id_, n in fractions.items():
        assert written[id_].kind == "measurement"
        assert written[id_].reproduced == round(float(conj.found[n].mean()), 3)
    assert set(glued) == {
        "perc_pc",
        "perc_conjecture",
        f"says.{PC_FALLS}",
        f"says.{MEAN_FIELD}",
        f"says.{CONJECTURE}",
    }
    assert all(isinstance(text, str) and text for text in glued.values())
