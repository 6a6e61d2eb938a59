# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: connectivity (portable kernels)
#     language: python
#     name: connectivity
# ---

# %% [markdown]
# # Reproduction scorecard
#
# Every number that a chapter compares with a paper, gathered from the records the
# chapters wrote while this build ran. Each record has a *kind* and a computed verdict:
#
# * a **quantitative** value is *reproduced* when it lies within the stated tolerance of
#   the paper's and *differs* otherwise; the tolerance states its basis (a seed or
#   pair-draw spread measured in the build, a binomial or AUC standard error, or a
#   modelling reason);
# * a **qualitative** claim (higher, grows, beats) is decided by a one-sided test at
#   5 %: *reproduced* when the paper's direction is significant, *differs* when the
#   opposite direction is, and *not significant* otherwise;
# * a **check** is a condition on this build, not on the paper: a quantity true by
#   construction or by a textbook (it guards the code), or a target the build sets
#   itself (a classifier's accuracy); it is never counted as a reproduction, and a check
#   that does not hold is *failed*; so is a record whose procedure did not reach its
#   goal (modes not found, a model collapsed), which carries no number;
# * a **measurement** has *no paper value* (our own numbers and extensions);
# * a **context** row shows a paper's number beside ours where the two are *not
#   comparable* (another model's scale, another data set): no verdict; the claim is
#   tested on what is comparable by another row.
#
# Most rows come from the small `ci` models on CPU, so a *differs* is often the expected
# effect of scale; each chapter discusses its own. Hover over a claim for its record id;
# click it to go to the section that computes it. The verdicts of the `ci` build are
# pinned in `book/expected_verdicts.yml`: a change fails the build until it is reviewed.

# %% tags=["parameters"]
profile: str = "ci"  # the profile this build ran with

# %% tags=["remove-cell"]
from connectivity.pages.scorecard import ScorecardSettings

settings = ScorecardSettings.from_notebook(globals())

from connectivity.pages import scorecard as page

study = page.run(settings)
report = page.report(study)

# %% [markdown]
# ## Headline
#
# {glue:text}`n_records` records in this build; {glue:text}`n_reproduced` of the
# {glue:text}`n_compared` comparisons with a paper value fall within their tolerance or
# pass their test. Below, one table per chapter lists its claims and numbers compared
# with the paper, each with its verdict (a section with many numbers, such as a table of
# the paper, counts their verdicts in one row); every record follows, with the basis of
# each tolerance and the quotes from the papers a click away (▸).

# %% tags=["remove-input"]
page.counts_table(study)

# %% [markdown]
# ## Lancione

# %% tags=["remove-input"]
page.paper_summary(study, "Lancione")

# %% [markdown]
# ## Gu & Borovykh 2023

# %% tags=["remove-input"]
page.paper_summary(study, "Gu & Borovykh 2023")

# %% [markdown]
# ## Vrabel et al. 2024

# %% tags=["remove-input"]
page.paper_summary(study, "Vrabel et al. 2024")

# %% [markdown]
# ## The classifiers

# %% tags=["remove-input"]
page.paper_summary(study, "The classifiers")

# %% [markdown]
# ## Every record
#
# Untick a verdict to hide its rows; open ▸ for a tolerance's basis, a test's name or
# the paper's words.

# %% tags=["remove-input"]
page.verdict_filter(study)

# %% [markdown]
# ### Lancione: every record

# %% tags=["remove-input"]
page.chapter_table(study, "Lancione")

# %% [markdown]
# ### Gu & Borovykh 2023: every record

# %% tags=["remove-input"]
page.chapter_table(study, "Gu & Borovykh 2023")

# %% [markdown]
# ### Vrabel et al. 2024: every record

# %% tags=["remove-input"]
page.chapter_table(study, "Vrabel et al. 2024")

# %% [markdown]
# ### The classifiers: every record

# %% tags=["remove-input"]
page.chapter_table(study, "The classifiers")

# %% [markdown]
# ## What computed this build
#
# {glue:text}`reference_sentence` Every record carries the profile, the commit, the
# device, the kernels and the data sources of the run that wrote it; per notebook:

# %% tags=["remove-input"]
page.provenance_table(study)

# %% tags=["remove-input"]
page.changes_table(study)

# %% [markdown]
# ## Time per notebook in this build
#
# Wall time of each notebook in the last full run of the runner (this page excluded),
# on the machine that built the book; a notebook rerun alone afterwards (`--only`, often
# with warm caches) is listed apart.

# %% tags=["remove-input"]
page.timing_table(study)
