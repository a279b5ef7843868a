"""Fidelity to the sources: numbers and settings chosen to match what the kit actually runs."""

import dataclasses

import pytest


# ---- fix 8: the SimpNet CIFAR-10 comparator matches the training setting -------------------
def test_simpnet_cifar10_comparator_matches_the_augmentation_setting():
    pytest.importorskip("pandas")
    from course_lib.train import get_experiment
    from course_lib.train.reporting import paper_numbers

    exp = get_experiment("simpnet")
    assert exp.augments("cifar10")  # the kit trains CIFAR-10 with pad + mirror augmentation

    def simpnet_cifar10(experiment):
        frame = paper_numbers(experiment)
        row = frame[(frame.model == "SimpNet") & (frame.dataset == "cifar10")]
        assert len(row) == 1
        return row.iloc[0]

    with_aug = simpnet_cifar10(exp)
    assert with_aug["paper_error_pct"] == pytest.approx(100 - 95.56)  # section 5.C.1, with
    without = simpnet_cifar10(dataclasses.replace(exp, augment=False))
    assert without["paper_error_pct"] == pytest.approx(100 - 95.26)  # section 5.C.1, without
    assert "5.C.1" in without["source"]
    # a number the source gives for one setting only stays as it is (CIFAR-100: 78.08)
    frame = paper_numbers(exp)
    c100 = frame[(frame.model == "SimpNet") & (frame.dataset == "cifar100")]
    assert c100["paper_error_pct"].tolist() == [pytest.approx(100 - 78.08)]


# ---- fix 9: VGG's optimiser settings and configuration table cite the original paper --------
def test_vgg_depth_cites_the_original_paper_for_its_training_recipe():
    from course_lib.models import vgg
    from course_lib.train import get_experiment

    exp = get_experiment("vgg-depth")
    assert "arXiv:1409.1556, section 3.1" in exp.notes
    # seed 001's section 3.1 gives the initialisation only: it is not the recipe's source
    assert "Seed 001 (section 3.1)" not in exp.notes
    assert "seed 001's section 3.1 gives only the initialisation" in exp.notes
    assert (exp.batch_size, exp.optimizer.momentum, exp.optimizer.weight_decay) == (256, 0.9, 5e-4)
    assert (exp.optimizer.learning_rate, exp.epochs) == (0.01, 74)  # 370K iterations
    assert "1409.1556" in exp.source.citation
    # the configuration table is the original's Table 1; the seed's 表1 is single-scale results
    assert vgg.SOURCE.startswith("Simonyan & Zisserman 2015 (arXiv:1409.1556), Table 1")
    assert "seed 001, Table 1" not in vgg.SOURCE
    assert "seed 001 Table 1" not in vgg.__doc__ and "表1" in vgg.__doc__


# ---- fix 7: dense evaluation near the training scale, plus the multi-crop + dense row -------
def test_vgg_depth_dense_scales_are_near_the_training_scale():
    pytest.importorskip("tensorflow")
    import numpy as np

    from course_lib import models
    from course_lib.models.dense_eval import dense_scores, to_fully_convolutional
    from course_lib.train import get_experiment

    evaluation = get_experiment("vgg-depth").evaluation
    assert evaluation.modes == ("single_crop", "multi_crop", "dense", "multi_crop_dense")
    # seed 001 4.2: fixed-S models at Q = {S-32, S, S+32} (+-12.5% at S=256); S = 32 here
    assert evaluation.dense_scales == (32, 36)
    fc = to_fully_convolutional(models.build("VGG-A-CIFAR", num_classes=10, width_multiplier=0.25))
    images = np.zeros((1, 32, 32, 3), "float32")
    assert dense_scores(fc, images, scales=evaluation.dense_scales).shape == (1, 10)
    # 28 (S - 12.5%) is below the smallest input the net accepts: a clear error, not a crash
    with pytest.raises(ValueError, match=r"`scales`: Q=28 .* smaller than the network accepts"):
        dense_scores(fc, images, scales=(28, 32))


# ---- fix 10: the strided-convolution stand-in for Table 6 has the pooled net's parameters ---
def test_strided_stand_in_has_the_pooled_nets_parameters():
    pytest.importorskip("tensorflow")
    from course_lib import models
    from course_lib.train import get_experiment, runner
    from course_lib.train.experiments import STRIDED_WIDTH

    exp = get_experiment("simpnet-principles")
    strided = exp.model("Arch1-13L-strided")
    assert strided.kwargs == {"downsample": "strided", "width_multiplier": STRIDED_WIDTH}
    assert "x0.92" in exp.notes and "equal parameters" in exp.notes
    # unequalised, the two extra 3x3 convs add 17.6% (the gap the source does not have)
    pooled_full = models.build("Arch1-13L").count_params()
    assert pooled_full == 302_316
    plain = models.build("Arch1-13L", downsample="strided").count_params()
    assert plain / pooled_full == pytest.approx(1.176, abs=1e-3)
    # each budget of the experiment narrows both nets the same way (the runner's own width
    # scaling); rounding narrowed widths to whole channels leaves a few percent at x0.25
    for budget in ("full", "quick", "smoke"):
        multiplier = exp.budget(budget).width_multiplier
        tolerance = 0.01 if multiplier >= 0.5 else 0.06
        kwargs, _ = runner._model_kwargs(strided.kwargs, multiplier)
        pooled = models.build("Arch1-13L", width_multiplier=multiplier).count_params()
        ratio = models.build("Arch1-13L", **kwargs).count_params() / pooled
        assert ratio == pytest.approx(1.0, abs=tolerance), (budget, ratio)
    assert models.build("Arch1-13L", **strided.kwargs).count_params() == 300_545
