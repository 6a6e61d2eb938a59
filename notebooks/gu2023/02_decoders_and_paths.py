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
# # Gu & Borovykh §4 and App. A: seeing the paths (decoders, Figs. 2–3)
#
# A path in pixel space can simply be looked at. A path in a latent space cannot, so
# the paper trains **decoders** that map latents back to images (App. A, Tables 2–4)
# and shows, for pairs that are only nonlinearly connected, the images and the
# softmax along the straight path (where some points leave the class) and along the
# NEB path (where none does). This page uses the first pair draw of the
# [Table 1 page](01_table1.ipynb), with the same settings and cached runs.

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
classifier_changes: dict = None  # changes to the shared CIFAR-10 ResNet's TrainConfig
n_pairs: int = None  # same-class test pairs per draw
n_linear: int = None  # points checked on the straight path (and at least on a band)
spaces: dict = None  # the model's stages: original, intermediate, last, last_stage
neb: dict = None  # NEB: n_pivots, steps, lr, spring, optimizer, climbing, climb_after
check_every: int = None  # NEB iterations between checks of the band's class
pair_seed: int = None  # the pair draw shown
decoder_train_images: int = None  # training images of the decoders
decoder_test_images: int = None  # test images of their MSE
intermediate_decoder: dict = None  # Table 2: width, groups, blocks, image_size, ...
last_decoder: dict = None  # Table 3 decoder: widths, blocks, training
strip_points: int = None  # images shown per path
n_examples: int = None  # test images shown decoded

# %% tags=["remove-cell"]
from connectivity.pages.gu2023.decoders_and_paths import DecodersAndPathsSettings

settings = DecodersAndPathsSettings.from_notebook(globals())

from connectivity import plotting
from connectivity.pages.gu2023 import decoders_and_paths as page
from connectivity.prose import what_reproduced

plotting.setup()

# %% tags=["remove-cell"]
study = page.run(settings)
records = page.report(study)

# %% [markdown]
# ## The decoders
#
# Both are trained with Adam (lr $10^{-3}$) on the mean squared error between the
# decoded latent of a training image and the image (Table 4). The first-hidden-layer
# decoder follows Table 2: groups of a $5\times5$ transposed convolution, ReLU, batch
# norm and two $3\times3$ transposed convolutions, then blocks of $3\times3$ transposed
# convolution, ReLU and batch norm, with no upsampling; the output layer (lost in the
# paper's text) is Table 3's $3\times3$ convolution and sigmoid. In the paper the
# $5\times5$ layers are unpadded and take ResNet50's $56\times56$ maps to $64\times64$;
# here their padding is chosen so that they take the latent's size to the image's (the
# `paper` profile keeps Table 2 exactly and trains against the images resized to
# $64\times64$; in `ci` the first residual stage is already $32\times32$, so the
# $5\times5$ layers are padded and keep the size). The last-layer decoder follows
# Table 3: the pooled features reshaped to $C\times4\times4$, upsampled through
# transposed convolutions with LeakyReLU(0.3) and batch norm to the image size. Widths,
# blocks, epochs and the number of training images follow the profile (table below);
# {numref}`fig-gu-decoded-examples` shows what they recover.
#
# {glue:text}`decoders_text`

# %% tags=["hide-input"]
settings.table()

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Test images drawn at random (top), decoded from the first hidden layer (middle) and from the pooled features (bottom).", "name": "fig-gu-decoded-examples"}}
fig = page.plot_examples(study)

# %% [markdown]
# ## Figure 2: pairs only nonlinearly connected in pixel space
#
# As in the paper's Fig. 2, two pairs whose straight path leaves the class and whose
# NEB path does not ({numref}`fig-gu-fig2`). Each path is shown at `strip_points`
# points, ends included; the straight path's strip includes its worst point (the
# largest cross-entropy of the class among all `n_linear` checked points, framed in
# red). Under each image: the softmax, the pair's class in red, and the predicted
# class (red when it is not the pair's). {glue:text}`fig2_text`

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Original space: for each of two pairs, the straight path (some points leave the class; its worst point framed) and the NEB path (every point of the class), with the softmax at each shown point.", "name": "fig-gu-fig2"}}
fig = page.plot_strips([strip for pair in study.fig2 for strip in pair], study.classes)

# %% [markdown]
# ## Figure 3: the first hidden layer and the last layer, decoded
#
# As in the paper's Fig. 3 ({numref}`fig-gu-fig3`): one pair that is only nonlinearly
# connected in the first hidden layer, its straight path there (R) and its NEB path
# (C), every point shown through the first-hidden-layer decoder; and (L) the same
# pair's straight path in the last layer, shown through the last-layer decoder.
# {glue:text}`fig3_text` {glue:text}`fig3_difference`

# %% tags=["remove-input"] mystnb={"figure": {"caption": "(L) The pair's straight path in the last layer, decoded. (R) Its straight path in the first hidden layer, decoded (worst point framed). (C) Its NEB path in the first hidden layer, decoded. Softmax under each image, the pair's class in red.", "name": "fig-gu-fig3"}}
fig = page.plot_strips(study.fig3, study.classes)

# %% [markdown]
# A decoder shows what a latent point keeps of the image and nothing else: detail that
# the pooled features discard cannot come back in a decoded last-layer point, whatever
# the path.
#
# ## What reproduced here
#
# This page compares nothing with a number of the paper: the decoders' errors and the
# difference between decoded paths are measurements.

# %% tags=["remove-input"]
what_reproduced()
