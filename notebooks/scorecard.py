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
# The book has **one meaning of *reproduced*** in every chapter: the paper's result is
# *shown* here by a test at 5 %, not merely consistent with it.
#
# * a **quantitative** value is *reproduced* when two one-sided tests at 5 % place the
#   difference between this book's number and the paper's inside an equivalence margin
#   (the 90 % interval of the difference, both sides' standard errors combined, lies
#   within ± margin); it *differs* when a two-sided 5 % test rejects a zero difference;
#   and it is *not significant* otherwise: consistent with the paper, but too imprecise
#   to show it. The margin is set by the paper, never by our sample: half the distance
#   from the paper's number to the nearest value the paper ranks or compares it with
#   (inside it the paper's ordering holds), or a stated reason; each record states its
#   margin, the standard error (ours, the paper's sample and printed rounding, the spread
#   between trainings where measured) and its **power**, the chance of *reproduced* if
#   the paper's number were exact;
# * a **qualitative** claim (higher, grows, beats, all connected) is decided by a
#   one-sided test at 5 %: *reproduced* when the paper's direction is significant,
#   *differs* when the opposite direction is, and *not significant* otherwise;
# * a **check** is a condition on this build, not on the paper: a quantity true by
#   construction or by a textbook (it guards the code), or a target the build sets
#   itself (a classifier's accuracy); it is never counted as a reproduction, and a check
#   that does not hold is *failed*; so is a record whose procedure did not reach its
#   goal (modes not found, a model collapsed), which carries no number;
# * a **measurement** has *no paper value* (our own numbers and extensions);
# * a **context** row shows a paper's number beside ours where the two are *not
#   comparable* (another model's scale, another data set, another network and budget as
#   in the detection benchmark's Table 1, whose rows keep their tolerance): no verdict;
#   the claim is tested on what is comparable by another row.
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
# {glue:text}`n_compared` comparisons with a paper value are *reproduced* by the rule
# above. {glue:text}`rule_sentence` Below, one table per chapter lists its claims and numbers compared
# with the paper, each with its verdict (a section with many numbers, such as a table of
# the paper, counts their verdicts in one row); every record follows, with the basis of
# each margin and standard error and the quotes from the papers a click away (▸).

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
# Each chapter's records are listed behind their counts (open ▸ to list them). Untick a
# verdict to hide its rows; open ▸ in a row for a margin's basis, a test's name or the
# paper's words.

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
# ## Readers' classifiers
#
# A page run on a reader's classifier (its parameter `checkpoint`; the
# [Your classifier](your_classifier.ipynb) page runs one) writes the same records as
# measurements with the paper's values beside them: no verdict against the paper, and
# none of them in the counts and tables above.

# %% tags=["remove-input"]
page.readers_table(study)

# %% tags=["remove-input"]
page.reader_records_table(study)

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
