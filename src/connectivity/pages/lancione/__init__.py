"""The Lancione chapter (its paper values in :mod:`connectivity.paper_values.lancione`):
the study's models defined once and the trainings the pages share (:mod:`.trainings`;
their settings in :mod:`.chapter_settings`), the sentences every page generates alike
(:mod:`.sentences`), and one package per page, named after its notebook: :mod:`.question`
(01_question), :mod:`.methods` (02_methods), :mod:`.results` (03_results) and :mod:`.future_work`
(04_future_work). Each page package has the same five parts:

* ``settings.py``: the page's settings class (the report's values as defaults);
* ``study.py``: ``run(settings)`` -> a ``...Study`` dataclass of everything computed;
* ``report.py``: ``records(study)`` writes the page's scorecard records,
  ``sentences(study, records)`` words them and returns every glued value by name, and
  ``report(study)`` glues those and returns both (a :class:`connectivity.prose.PageReport`);
* ``figures.py``: the page's figures and tables;
* ``__init__.py``: re-exports the page's API, so a notebook reads
  ``study = page.run(settings)``, ``records = page.report(study)``,
  ``page.some_figure(study)``.

The chapter trains hundreds of small networks with small steps: the book runner gives
its kernel OpenMP's passive waiting (:data:`connectivity.kernels.WAITING`; spinning
threads made them 20-50x slower as soon as another process competed for the cores,
measured 140 s instead of 2.6 s per epoch of ten autoencoders).
"""
