"""Chapter settings: paper defaults, profiles, and parameters refused with clear errors."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Literal

import pytest

from connectivity.settings import ParameterError, Settings, param


@dataclass(frozen=True)
class Inner:
    steps: int = 10
    lr: float = 0.1
    name: Literal["adam", "sgd"] = "adam"

    def __post_init__(self):
        if self.steps < 1:
            raise ValueError("steps must be >= 1")


@dataclass(frozen=True)
class Toy(Settings):
    n_pairs: int = param(100, lo=1, hi=1000, doc="pairs")
    noise: float = param(0.3, lo=0.0, doc="noise")
    seeds: list[int] = param([0, 1, 2], lo=0, doc="seeds")
    optimizer: Inner = param(Inner(), doc="optimiser")
    open_map: dict[str, int] = param({"2": 301}, doc="grid per dimension")
    flag: bool = param(True)

    OVERRIDES = {
        "ci": {"n_pairs": 20, "optimizer": {"steps": 5}},
        "smoke": {"n_pairs": 2, "seeds": [0]},
        "smoke-paper": {"n_pairs": 3},
    }

    def validate(self):
        if self.n_pairs < len(self.seeds):
            raise ParameterError("n_pairs must be at least the number of seeds")


def test_profiles_chain_from_the_paper_defaults():
    assert Toy.resolve("paper").n_pairs == 100
    ci = Toy.resolve("ci")
    assert ci.n_pairs == 20 and ci.optimizer == Inner(steps=5) and ci.profile == "ci"
    smoke = Toy.resolve("smoke")  # smoke applies on top of ci
    assert smoke.n_pairs == 2 and smoke.optimizer.steps == 5 and smoke.seeds == [0]
    assert Toy.resolve("smoke-paper").optimizer.steps == 10  # on top of paper
    assert Toy().seeds is not Toy().seeds  # no shared mutable defaults


def test_overrides_none_keeps_and_partial_dicts_merge():
    s = Toy.resolve("ci", n_pairs=None, optimizer={"lr": 0.5})
    assert s.n_pairs == 20 and s.optimizer == Inner(steps=5, lr=0.5)
    assert Toy.resolve("ci", noise=1).noise == 1.0 and isinstance(
        Toy.resolve("ci", noise=1).noise, float
    )


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"n_pair": 3}, "unknown parameter 'n_pair'. Did you mean 'n_pairs'?"),
        ({"n_pairs": 2.5}, "parameter 'n_pairs' expects an int, got float 2.5"),
        ({"n_pairs": "abc"}, "parameter 'n_pairs' expects an int, got str 'abc'"),
        ({"n_pairs": True}, "expects an int"),
        ({"noise": "abc"}, "parameter 'noise' expects a float, got str 'abc'"),
        ({"seeds": 3}, "parameter 'seeds' expects a list of int, got int 3"),
        ({"seeds": [0, "x"]}, "parameter 'seeds[1]' expects an int"),
        ({"seeds": [0, -1]}, "parameter 'seeds' = -1 is out of range"),
        ({"n_pairs": 0}, "parameter 'n_pairs' = 0 is out of range [1, 1000]"),
        ({"optimizer": {"stepz": 3}}, "unknown key of 'optimizer' 'stepz'. Did you mean 'steps'?"),
        ({"optimizer": {"steps": 0}}, "steps must be >= 1"),
        ({"optimizer": {"name": "adamw"}}, "must be one of ['adam', 'sgd']"),
        ({"optimizer": 3}, "expects a Inner dict"),
        ({"optimizer": '{"steps": '}, "cannot read"),
        ({"flag": 1}, "expects True or False"),
        ({"n_pairs": 1}, "n_pairs must be at least the number of seeds"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(overrides, message):
    with pytest.raises(ParameterError) as e:
        Toy.resolve("ci", **overrides)
    assert message in str(e.value)


def test_text_for_dicts_and_lists_json_or_yaml():
    assert Toy.resolve("ci", optimizer='{"steps": 7}').optimizer.steps == 7
    assert Toy.resolve("ci", optimizer="steps: 8").optimizer.steps == 8
    assert Toy.resolve("ci", seeds="[4, 5]").seeds == [4, 5]
    assert Toy.resolve("ci", open_map='{"3": 61}').open_map == {"3": 61}  # open keys: replaced


def test_unknown_profile_is_refused():
    with pytest.raises(ParameterError, match="unknown profile 'laptop'"):
        Toy.resolve("laptop")
    with pytest.raises(ParameterError, match="expects a str"):
        Toy.resolve(3)


def test_from_notebook_refuses_injected_names_it_does_not_declare():
    import numpy as np

    namespace = {
        "profile": "ci",
        "n_pairs": None,
        "noise": 0.5,
        "In": [],
        "Out": {},
        "_i1": "x",
        "np": np,
        "Toy": Toy,
        "get_ipython": print,
    }
    s = Toy.from_notebook(namespace)
    assert s.noise == 0.5 and s.n_pairs == 20
    with pytest.raises(ParameterError, match="unknown parameter 'nosie'. Did you mean 'noise'?"):
        Toy.from_notebook({**namespace, "nosie": 0.1})


def test_inconsistent_profile_overrides_are_a_programming_error():
    @dataclass(frozen=True)
    class Broken(Settings):
        n: int = param(1)
        OVERRIDES = {"ci": {"m": 2}}

    with pytest.raises(TypeError, match=r"Broken.OVERRIDES\['ci'\] is inconsistent"):
        Broken.resolve("ci")


def test_table_lists_every_parameter():
    table = Toy.resolve("ci").table()
    assert list(table.index) == [f.name for f in dataclasses.fields(Toy)]
    assert table.loc["n_pairs", "meaning"] == "pairs"


def test_table_shows_nested_settings_whole_and_long_lists_counted():
    from connectivity.settings import _short

    nested = {
        "n_pivots": 12,
        "steps": 100,
        "lr": 0.05,
        "optimizer": "adam",
        "spring": 1.0,
        "climb_after": 0,
        "note": "x" * 60,
    }
    assert _short(nested) == json.dumps(nested)  # not cut, however long
    assert _short(list(range(5))) == "[0, 1, 2, 3, 4]"
    assert _short(list(range(100))) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … ] (100 values)"


def test_from_notebook_reruns_in_a_live_kernel_ignore_later_globals():
    """Run all, then the settings cell again: the notebook's own later globals (study,
    fig, records, ...) are not parameters; the first call still refuses a misspelling."""
    namespace = {"In": ["", 'profile = "ci"\nn_pairs = None', "s = Toy.from_notebook(...)"]}
    namespace |= {"profile": "ci", "n_pairs": None, "noise": None}
    assert Toy.from_notebook(namespace).n_pairs == 20
    namespace["In"] += ["study = run(settings)", "records = {'a': 1}\nfig = 3"]
    namespace |= {"study": object(), "records": {"a": 1}, "fig": 3, "settings": Toy()}
    namespace["In"].append("s = Toy.from_notebook(...)")
    assert Toy.from_notebook(namespace).n_pairs == 20  # no 'unknown parameter'
    # the parameters cell edited and run again: its values count, a misspelling is refused
    namespace["In"] += ['profile = "ci"\nn_pairs = 7', "s = Toy.from_notebook(...)"]
    namespace["n_pairs"] = 7
    assert Toy.from_notebook(namespace).n_pairs == 7
    namespace["In"] += ['profile = "ci"\nn_pairs = 5\nnosie: float = 0.1', "s = ..."]
    namespace |= {"n_pairs": 5, "nosie": 0.1}
    with pytest.raises(
        ParameterError, match="unknown parameter 'nosie'.*correct the parameters cell"
    ):
        Toy.from_notebook(namespace)
    # fixed and run again: the name is still defined, but no parameters cell sets it
    namespace["In"] += ['profile = "ci"\nn_pairs = 5', "s = ..."]
    assert Toy.from_notebook(namespace).n_pairs == 5
    # a scratch cell of literals that sets no setting is not a parameters cell
    namespace["In"] += ["x = 3", "s = ..."]
    namespace["x"] = 3
    assert Toy.from_notebook(namespace).n_pairs == 5


def test_from_notebook_first_call_checks_every_name_even_after_reruns_elsewhere():
    namespace = {"profile": "ci", "n_pairs": None}
    Toy.from_notebook(namespace)
    # a copy is another notebook (papermill's fresh kernel): everything is checked again
    with pytest.raises(ParameterError, match="unknown parameter 'study'"):
        Toy.from_notebook({**namespace, "study": 1})
