"""Connectivity of same-class inputs in input and latent space: the book's library.

Modules are named by concept: :mod:`data`, :mod:`models`, :mod:`training`,
:mod:`caching`, :mod:`scorecard`, :mod:`plotting` and the
runner :mod:`runner` (``python -m connectivity.runner``).
"""

__version__ = "0.2.0"
