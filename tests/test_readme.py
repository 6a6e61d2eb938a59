"""The README works as written: its commands are run as a user types them.

Every command of a fenced ``bash`` or ``console`` block of README.md is either run here
(from the project root, through bash, exactly as written) or named in ``NOT_RUN`` with
the reason (a command that builds the whole book is what ``.ci/run`` does, not a
test). In ``console`` blocks a line starting with ``$ `` is a command and the lines
after it are what it prints: each shown line must appear in the real output (``...``
alone stands for lines left out; a line ending in ``...`` is a prefix), and a command
whose shown output ends with an ``Error:`` line must fail, any other must succeed.

The records of the papermill runs go to a temporary build folder; the notebooks they
write land in ``_build/try/`` as the README says (git-ignored).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field

import pytest
from conftest import REPO, needs_data

README = REPO / "README.md"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# command prefix -> why the test does not run it
NOT_RUN = {
    "make book": "builds the whole book: what .ci/run does after the tests",
    "make test": "the test suite itself",
    "make lint": "run by .ci/run before the tests",
    "make pdf": "needs the built book; run by .ci/run after make book",
    "make bench": "minutes of timing runs",
    "make hooks": "installs a git hook into the working copy",
    "make install": "what every make target does first",
    "make models": "trains the models missing from the store (test_model_store.py runs it)",
    "CONNECTIVITY_DATA=/data/torchvision make book": "builds the whole book",
    ".venv/bin/python -m connectivity.runner --only": (
        "writes book/executed/, the pages of the book being built (the runner is tested "
        "in test_runner.py, every notebook at toy size in test_notebooks.py)"
    ),
    "python -m connectivity.sweeps": (
        "a page run once per seed on a GPU, each seed a training of both VGGs (the sweeps "
        "are tested at toy size on a local Dask cluster in test_sweeps.py)"
    ),
    ".venv/bin/pip install jupyterlab": "installs a package",
    ".venv/bin/jupyter lab": "starts a server",
}


@dataclass
class Command:
    line: str
    shown: list[str] = field(default_factory=list)  # console output shown after it
    lang: str = "bash"

    @property
    def expects_failure(self) -> bool:
        shown = [s for s in self.shown if s.strip() not in ("", "...")]
        return bool(shown) and re.match(r"^\w*Error\b", shown[-1]) is not None


def readme_commands(text: str) -> list[Command]:
    """The commands of the README's bash and console blocks, in order."""
    commands: list[Command] = []
    for lang, body in re.findall(r"```(bash|console)\n(.*?)```", text, re.DOTALL):
        for raw in body.splitlines():
            if lang == "console":
                if raw.startswith("$ "):
                    commands.append(Command(raw[2:].strip(), lang=lang))
                elif commands and commands[-1].lang == "console":
                    commands[-1].shown.append(raw)
                continue
            line = re.sub(r"\s+#\s.*$", "", raw).strip()  # a trailing comment
            if line and not line.startswith("#"):
                commands.append(Command(line))
    return commands


COMMANDS = readme_commands(README.read_text())


def _not_run(command: Command) -> str | None:
    return next((why for prefix, why in NOT_RUN.items() if command.line.startswith(prefix)), None)


RUN = [c for c in COMMANDS if _not_run(c) is None]


def test_readme_parser_reads_blocks_comments_and_console_output():
    text = (
        "```bash\nmake book    # all\n# a comment\n\nmkdir -p _build/try\n```\n"
        "```console\n$ echo hi\nhi\n$ false\n...\nValueError: no\n```\n"
        "```python\nnot a command\n```\n"
    )
    commands = readme_commands(text)
    assert [c.line for c in commands] == ["make book", "mkdir -p _build/try", "echo hi", "false"]
    assert commands[2].shown == ["hi"] and not commands[2].expects_failure
    assert commands[3].expects_failure


def test_every_readme_command_is_run_or_has_a_reason():
    assert len(RUN) >= 5, "the README's cheap commands are run"
    unused = [p for p in NOT_RUN if not any(c.line.startswith(p) for c in COMMANDS)]
    assert not unused, f"NOT_RUN names commands the README no longer has: {unused}"


def test_readme_examples_stay_out_of_the_repository_root():
    """Outputs go to a git-ignored folder; tools are called from the venv; no parameter
    that no notebook has (``-p epochs 3``)."""
    for c in COMMANDS:
        assert not re.search(r"(^|\s)out\.ipynb", c.line), c.line
        if "papermill" in c.line or "jupytext" in c.line:
            assert c.line.startswith(".venv/bin/"), c.line
            assert "_build/" in c.line, c.line
    assert "-p epochs " not in README.read_text()
    ignored = (REPO / ".gitignore").read_text().split()
    assert "_build/" in ignored


def _check_shown(command: Command, output: str) -> None:
    """Every line the README shows appears in the output, in order."""
    pos = 0
    for shown in command.shown:
        text = shown.strip()
        if text in ("", "..."):
            continue
        prefix = text.removesuffix("...").rstrip() if text.endswith("...") else text
        found = output.find(prefix, pos)
        assert found >= 0, f"README shows {text!r}, the command printed:\n{output[-3000:]}"
        pos = found + len(prefix)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    build = tmp_path_factory.mktemp("readme-build")
    return {**os.environ, "CONNECTIVITY_BUILD": str(build)}


@needs_data
@pytest.mark.slow
def test_readme_commands_work_as_written(env):
    """All runnable commands, in README order (later ones use what earlier ones made)."""
    for command in RUN:
        proc = subprocess.run(
            ["bash", "-c", command.line],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        output = ANSI.sub("", proc.stdout + proc.stderr)
        if command.expects_failure:
            assert proc.returncode != 0, f"{command.line}: should fail, exited 0"
        else:
            assert proc.returncode == 0, f"{command.line}: exit {proc.returncode}\n{output[-3000:]}"
        _check_shown(command, output)
