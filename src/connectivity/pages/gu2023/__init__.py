"""Gu & Borovykh (2023): one package per page of the chapter, each named after its
notebook and shaped alike (``settings``, ``study``, ``report``, ``figures``, re-exported
by its ``__init__``):

* :mod:`.table1`: ``notebooks/gu2023/01_table1.py`` (§3-4, Table 1);
* :mod:`.decoders_and_paths`: ``notebooks/gu2023/02_decoders_and_paths.py`` (§4,
  App. A, Figs. 2-3).

Both pages share :mod:`.chapter_settings` (pairs, straight paths, NEB, spaces) and
:mod:`.connect` (the shared classifier and the cached pair runs). The paper's values are
data below the pages: :mod:`connectivity.paper_values.gu2023`.
"""
