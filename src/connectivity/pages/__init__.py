"""The book's pages, one package per notebook (settings / study / report / figures each):
:mod:`.classifiers`, the papers' chapters (:mod:`.lancione`, :mod:`.gu2023`,
:mod:`.vrabel2024`: one package per paper, in it one per page), :mod:`.scorecard` and
:mod:`.performance`. :mod:`connectivity.toc` lists them with their settings classes; what
the papers report is data below the pages, in :mod:`connectivity.paper_values`.
"""
