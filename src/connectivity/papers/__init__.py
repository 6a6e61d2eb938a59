"""The papers' pages: one package per paper (:mod:`.gu2023`, :mod:`.vrabel2024`,
:mod:`.lancione`), in it one package per notebook. What the papers report is data below
the pages, in :mod:`connectivity.paper_values`.
"""
