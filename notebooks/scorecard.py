# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reproduction scorecard
#
# Every number that a chapter compares with a paper, gathered from the records the
# chapters wrote while this build ran (`_build/scorecard.json`). The verdict is
# computed from the numbers: **reproduced** when the reproduced value lies within the
# stated tolerance of the paper's, **differs** otherwise, and **no paper value** when
# the paper gives none (our own measurements, and extensions beyond the paper). The
# tolerances are stated per record; they are not tuned to make a row pass. Most rows
# come from the small `ci` models on CPU, so a *differs* is often the expected effect of
# scale; the chapters discuss each one.

# %% tags=["parameters"]
profile = "ci"  # the profile this build ran with (shown below)

# %%
import json

import pandas as pd

from connectivity import scorecard
from connectivity.locations import build_dir

records = scorecard.collect()
table = scorecard.as_dataframe(records)
print(f"profile: {profile}; {len(records)} records")
table.groupby(["chapter", "verdict"]).size().unstack(fill_value=0)

# %%
pd.set_option("display.max_colwidth", 80)
pd.set_option("display.max_rows", 500)
table.drop(columns=["chapter"]).style.hide(axis="index").map(
    lambda v: {"reproduced": "background-color:#d9f2d9", "differs": "background-color:#f9dede"}.get(v, ""),
    subset=["verdict"])

# %% [markdown]
# ## Time per notebook in this build
#
# Wall time of each notebook as the runner measured it while executing this build
# (this page excluded), on the machine that built the book.

# %%
timings_file = build_dir() / "timings.json"
timings = pd.DataFrame(json.loads(timings_file.read_text())) if timings_file.exists() else pd.DataFrame()
timings
