"""One set of numerical kernels for the book's numbers on every x86-64 CPU.

The same float32 computation gives other last bits on other kernels: oneDNN, torch's
own vectorised loops, MKL and OpenBLAS each pick their code by the instruction set
(AVX2, AVX-512, AMX), and reductions split by the thread count. Most numbers absorb
that, but a chaotic training (the Lancione autoencoders: thousands of batch-8 steps)
or an unconverged fit (the benchmark's logistic regressions) amplifies it, and a value
near its tolerance then flips its verdict: the book built on an AMX machine and under
the AVX2 cap gave 5 of 226 verdicts apart (2026-12-03).

So the book runner executes every notebook on one choice of kernels, the one every
x86-64 machine CI or a reader uses has: AVX2 (GitHub's runners, AMD EPYC, laptops),
and the ci profile's two threads. On a CPU with AVX-512 or AMX this costs ~15 % of the
build's time; ``CONNECTIVITY_KERNELS=native`` keeps the machine's own kernels (faster,
numbers in the last bits of its own). Training (``make models``) is not pinned: it runs
once, where it is fastest, and its weights are committed.

The variables are read when each library loads, so they are set in the environment of
the notebook kernels (subprocesses of the runner), not in a running interpreter.

>>> env = portable_environment({"PATH": "/usr/bin"})
>>> env["ONEDNN_MAX_CPU_ISA"], env["OPENBLAS_CORETYPE"], env["PATH"]
('AVX2', 'Haswell', '/usr/bin')
>>> portable_environment({"CONNECTIVITY_KERNELS": "native"})["CONNECTIVITY_KERNELS"]
'native'
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

KERNELS_ENV = "CONNECTIVITY_KERNELS"  # "portable" (default) or "native"
THREADS = 2  # the ci profile's cores: reductions split the same way everywhere

PORTABLE = {
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN: convolutions, linear layers (torch)
    "ATEN_CPU_CAPABILITY": "avx2",  # torch's own vectorised loops
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",  # MKL, torch's BLAS ...
    "MKL_CBWR": "AVX2",  # ... on its reproducible (CNR) branch, Intel or AMD
    "OPENBLAS_CORETYPE": "Haswell",  # numpy's and scipy's OpenBLAS (scikit-learn)
    "OMP_NUM_THREADS": str(THREADS),
    "MKL_NUM_THREADS": str(THREADS),
    "OPENBLAS_NUM_THREADS": str(THREADS),
}


# Not a choice of kernels but how their threads wait, set in both modes (an explicit
# setting wins): attacks, bypass rounds and the Lancione trainings take many small steps,
# OpenMP's spinning worker threads make such steps many times slower as soon as another
# process competes for the cores, and passive waiting costs nothing on an idle machine.
# Read when torch loads OpenMP, hence here and not in the chapters' modules.
WAITING = {"OMP_WAIT_POLICY": "PASSIVE"}


# The Jupyter kernel that ``make install`` registers (in the virtual environment): the
# venv's Python with the portable kernels' variables in its kernel.json, so a notebook
# opened in Jupyter computes on the book's kernels and finds the book's cached results.
KERNEL_NAME = "connectivity"
KERNEL_DISPLAY_NAME = "connectivity (portable kernels)"


def kernel_environment() -> dict[str, str]:
    """The variables the registered kernel sets: :data:`PORTABLE` and :data:`WAITING`.

    >>> kernel_environment()["OPENBLAS_CORETYPE"], kernel_environment()["OMP_WAIT_POLICY"]
    ('Haswell', 'PASSIVE')
    """
    return portable_environment({})  # nothing but the book's variables


def install_kernel(*, user: bool = False, prefix: str | None = None) -> str:
    """Register this interpreter as the Jupyter kernel :data:`KERNEL_NAME` with
    :func:`kernel_environment`: in ``prefix`` (``<prefix>/share/jupyter/kernels``), the
    user's Jupyter folder with ``user``, else this virtual environment (``sys.prefix``).
    Returns the kernelspec's folder."""
    from ipykernel.kernelspec import install

    return install(
        user=user,
        prefix=None if user else (prefix or sys.prefix),
        kernel_name=KERNEL_NAME,
        display_name=KERNEL_DISPLAY_NAME,
        env=kernel_environment(),
    )


def registered_kernel() -> str | None:
    """:data:`KERNEL_NAME` when Jupyter finds it registered for this interpreter's
    environment with :func:`kernel_environment` (as :func:`install_kernel` writes it),
    else None (not registered, another environment's, or out of date)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return None
    # the same bin folder (not the resolved file: every venv links the same python)
    here = Path(os.path.abspath(sys.executable)).parent
    there = Path(os.path.abspath(spec.argv[0])).parent if spec.argv else None
    if there != here or dict(spec.env or {}) != kernel_environment():
        return None
    return KERNEL_NAME


def kernels_mode(environ: Mapping[str, str] | None = None) -> str:
    """``portable`` or ``native`` from ``CONNECTIVITY_KERNELS`` (unset: portable)."""
    environ = os.environ if environ is None else environ
    mode = environ.get(KERNELS_ENV, "").strip().lower() or "portable"
    if mode not in ("portable", "native"):
        raise ValueError(f"{KERNELS_ENV}={mode!r}: use 'portable' (default) or 'native'")
    return mode


def on_portable_kernels(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``environ`` (default: this process's) has every portable setting, as the
    book runner gives its notebook kernels.

    >>> on_portable_kernels(PORTABLE), on_portable_kernels({})
    (True, False)
    """
    environ = os.environ if environ is None else environ
    return all(environ.get(name) == value for name, value in PORTABLE.items())


def portable_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``environ`` (default: this process's) with the portable kernels set,
    unless ``CONNECTIVITY_KERNELS=native``, and OpenMP's passive waiting
    (:data:`WAITING`) unless ``environ`` sets another."""
    env = dict(os.environ if environ is None else environ)
    if kernels_mode(env) == "portable":
        env.update(PORTABLE)
    for name, value in WAITING.items():
        env.setdefault(name, value)
    return env


def describe(environ: Mapping[str, str] | None = None) -> str:
    """One line for logs: which kernels the notebooks run on."""
    if kernels_mode(environ) == "native":
        return (
            f"the machine's own kernels ({KERNELS_ENV}=native): numbers may differ in the last bits"
        )
    return (
        f"portable kernels: AVX2 for oneDNN, torch, MKL (CNR) and OpenBLAS (Haswell), "
        f"{THREADS} threads ({KERNELS_ENV}=native for the machine's own)"
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m connectivity.kernels --install-kernel [--user | --prefix DIR]``."""
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m connectivity.kernels",
        description="Register the Jupyter kernel that computes on the book's kernels.",
    )
    ap.add_argument(
        "--install-kernel",
        action="store_true",
        help=f"register the kernel {KERNEL_NAME!r} (default: in this virtual environment)",
    )
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="in the user's Jupyter folder")
    where.add_argument("--prefix", help="in PREFIX/share/jupyter/kernels")
    args = ap.parse_args(argv)
    if not args.install_kernel:
        print(f"[kernels] notebooks run on {describe()}")
        return 0
    path = install_kernel(user=args.user, prefix=args.prefix)
    print(f"[kernels] Jupyter kernel {KERNEL_NAME!r} ({KERNEL_DISPLAY_NAME}) registered in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
