"""Vrabel, Shem-Ur, Oz, Krueger (2024), *Input space mode connectivity in deep neural
networks* (arXiv:2409.05800): one package per page of the chapter, named after its
notebook, and the networks the pages share (:mod:`.networks`). The paper's values are
data below the pages: :mod:`connectivity.paper_values.vrabel2024_modes` (§4.1,
§4.3–4.4, §5, App. D.1) and :mod:`connectivity.paper_values.vrabel2024_adversarial`
(§4.2 and the detector).
"""
