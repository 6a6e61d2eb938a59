"""Paper values of Vrabel et al. (2024) for §4.1 (bypassing barriers between real modes),
§4.3 (synthetic modes), §4.4 (modes of an untrained network), App. D.1 (barriers during
training) and §5 with App. A and C (percolation and Conjecture 5.1).

The paper reports these sections in figures and words, not numbers: every value here is a
qualitative claim (``True``: the paper asserts it), decided in the book by a one-sided test
at 5 % whose direction and statistic the metric states. Where a claim is shown on a single
example in the paper, the book asks whether it holds for *most* pairs (an exact binomial
test against one half), the reading under which the example is representative.
"""

from connectivity.paper_values import PaperValue, ReferenceModel, index

# the claims' ids, used by the chapter modules
# the trained networks of §4.1 and App. E (§4.3 and §4.4 use no trained CIFAR model)
GOOGLENET = ReferenceModel(
    paper="Vrabel et al. 2024",
    used_in="§4.1-4.3 (ImageNet)",
    architecture="GoogLeNet (Inception v1), torchvision's ImageNet weights",
    data="ImageNet",
    training="pretrained (torchvision)",
    accuracy=69.78,
    accuracy_source="top-1 on the ImageNet validation set, as torchvision documents its weights",
)
RESNET18 = ReferenceModel(
    paper="Vrabel et al. 2024",
    used_in="App. E (CIFAR-10 pairs)",
    architecture="ResNet18",
    data="CIFAR-10",
    training="trained on CIFAR-10; recipe not reported",
    accuracy=None,
    accuracy_source="not reported",
)

BYPASS_LOWERS = "vrabel2024.bypass.lowers_barrier"
BYPASS_ONE_ROUND = "vrabel2024.bypass.one_round_suffices"
SYNTHETIC_ONE_ROUND = "vrabel2024.synthetic.one_round_suffices"
UNTRAINED_TWO_ROUNDS = "vrabel2024.untrained.connected_after_two_rounds"
EVOLUTION_FALLS = "vrabel2024.evolution.barrier_falls_early"
EVOLUTION_SPREAD = "vrabel2024.evolution.spread_grows_later"
PC_FALLS = "vrabel2024.percolation.pc_falls_with_dimension"
MEAN_FIELD = "vrabel2024.percolation.mean_field_improves"
CONJECTURE = "vrabel2024.conjecture.grows_with_dimension"

VALUES = index(
    [
        PaperValue(
            BYPASS_ONE_ROUND,
            "Between real modes one bypass round suffices: the secondary barriers of A → B' → C "
            "are below the threshold",
            True,
            "one-sided exact binomial test that more than half of the pairs whose straight "
            "path exceeds the threshold have A → B' → C below it after one round",
            "§4.1, Fig. 2",
            kind="qualitative",
        ),
        PaperValue(
            SYNTHETIC_ONE_ROUND,
            "Synthetic modes of two different kinds (natural-looking and high-frequency) are "
            "connected after one bypass round, with no secondary barriers",
            True,
            "one-sided exact binomial test that more than half of the classes' "
            "natural/high-frequency pairs of modes whose straight path exceeds the threshold "
            "(a primary barrier) have a path below it after one round (pairs connected at "
            "round 0 are counted apart, not tested)",
            "§4.3, Fig. 7",
            kind="qualitative",
        ),
        PaperValue(
            UNTRAINED_TWO_ROUNDS,
            "Class-optimal inputs of an untrained network are connected: two rounds of the "
            "standard mode-connecting procedure give a four-segment path of low loss everywhere",
            True,
            "one-sided exact binomial test that more than half of the pairs of optimal inputs "
            "(both endpoints below the mode threshold) whose straight path exceeds the path "
            "threshold (a primary barrier) have a path below it after at most two rounds "
            "(pairs connected at round 0 are counted apart, not tested)",
            "§4.4, Fig. 8",
            kind="qualitative",
        ),
        PaperValue(
            EVOLUTION_FALLS,
            "Early in training the barrier between synthetic optimal inputs falls "
            "(connectivity increases)",
            True,
            "one-sided Spearman test that the barrier gap (the largest loss on the straight "
            "path between two optimal inputs above the larger endpoint loss) decreases with "
            "the number of training batches, over every pair (each input the best iterate of "
            "its synthesis, as the official script), at the batch snapshots",
            "App. D.1, Fig. 10",
            kind="qualitative",
        ),
        PaperValue(
            EVOLUTION_SPREAD,
            "Later in training the barrier saturates and its variance over pairs grows",
            True,
            "one-sided Spearman test that the absolute deviation of each pair's barrier gap "
            "from its snapshot's median increases with the epoch (a Brown–Forsythe-type trend "
            "in spread), over the epoch snapshots, every pair (best iterates)",
            "App. D.1, Fig. 11",
            kind="qualitative",
        ),
        PaperValue(
            CONJECTURE,
            "Conjecture 5.1: for a network at initialisation, two random inputs with similar "
            "outputs are connected with a probability that grows with the input dimension",
            True,
            "one-sided Spearman test over pairs that a pair of ε-similar inputs is connected "
            "(0/1) more often as the input dimension n grows, n >= 3 (n = 2 left out, so one "
            "step cannot decide it): the exact flood fill where it runs (n = 3), else the "
            "search with the same budget for every n; significant only if it also is with the "
            "search's answer at n = 3 (intersection-union, the larger p)",
            "§5.2, Conjecture 5.1; App. C",
            kind="qualitative",
        ),
    ]
)
