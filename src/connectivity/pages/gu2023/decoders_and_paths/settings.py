"""Settings of the decoders-and-paths page (notebook ``gu2023/02_decoders_and_paths``):
the shared pair and path settings
(:class:`~connectivity.pages.gu2023.chapter_settings.ConnectSettings`), the pair draw
shown, the two decoders of App. A and what the figures show."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.decoders import IntermediateDecoderConfig, LastDecoderConfig
from connectivity.settings import param

from ..chapter_settings import ConnectSettings


@dataclass(frozen=True)
class DecodersAndPathsSettings(ConnectSettings):
    """§4, App. A, Figs. 2-3: decoders and the paths shown."""

    pair_seed: int = param(0, lo=0, doc="the pair draw shown (the first of the Table 1 page)")
    decoder_train_images: int = param(
        50_000, lo=10, hi=50_000, doc="training images of the decoders"
    )
    decoder_test_images: int = param(1000, lo=10, hi=10_000, doc="test images of their MSE")
    intermediate_decoder: IntermediateDecoderConfig = param(
        IntermediateDecoderConfig(image_size=64),
        doc="Table 2 decoder and its training (Table 4); image_size 64 is Table 2's output",
    )
    last_decoder: LastDecoderConfig = param(
        LastDecoderConfig(), doc="Table 3 decoder and its training (Table 4)"
    )
    strip_points: int = param(10, lo=3, hi=16, doc="images shown per path")
    n_examples: int = param(8, lo=1, hi=16, doc="test images shown decoded")

    OVERRIDES = {
        "ci": {
            **ConnectSettings.OVERRIDES["ci"],
            "decoder_train_images": 5000,
            "intermediate_decoder": {"width": 16, "blocks": 1, "image_size": 0, "epochs": 2},
            "last_decoder": {"widths": [64, 64, 32, 32], "blocks": 1, "epochs": 3},
            "strip_points": 8,
        },
        "smoke": {
            **ConnectSettings.OVERRIDES["smoke"],
            "decoder_train_images": 64,
            "decoder_test_images": 32,
            "intermediate_decoder": {"width": 4, "epochs": 1, "batch_size": 16},
            "last_decoder": {"widths": [4], "epochs": 1, "batch_size": 16},
            "strip_points": 4,
            "n_examples": 4,
        },
        "smoke-paper": {
            **ConnectSettings.OVERRIDES["smoke-paper"],
            "decoder_train_images": 32,
            "decoder_test_images": 16,
            "intermediate_decoder": {
                "width": 4,
                "blocks": 1,
                "image_size": 0,
                "epochs": 1,
                "batch_size": 16,
            },
            "last_decoder": {"widths": [4], "blocks": 1, "epochs": 1, "batch_size": 16},
            "strip_points": 4,
            "n_examples": 4,
        },
    }
