"""tools.train_shipped: the command that retrains the shipped model, run on a quick subset."""

import json

import numpy as np
import pytest

from digitlab import pretrained, recipes, saving
from digitlab.lite import LiteModel
from digitlab.training import QUICK_EXAMPLES
from tools import train_shipped

pytestmark = pytest.mark.slow


def test_shipped_recipes_start_at_their_peak_or_warm_up_to_it():
    for name, recipe in recipes.SHIPPED.items():
        assert name in pretrained.MEMBERS
        optimizer = recipe.optimizer(1000)
        start = float(optimizer.learning_rate)  # at step 0
        assert start == (0.0 if recipe.warmup else pytest.approx(recipe.peak_lr))
        assert recipe.build().name == "digitlab_digits"


def test_training_command_makes_every_member_of_the_ensemble_and_its_card(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_QUICK", "1")  # a subset, to test the command, not the model
    members = {name: tmp_path / file.name for name, file in pretrained.MEMBERS.items()}
    monkeypatch.setattr(pretrained, "MEMBERS", members)
    monkeypatch.setattr(pretrained, "ONE_DIGIT", tmp_path / "one_digit.keras")
    monkeypatch.setattr(pretrained, "PAIR", tmp_path / "pair.keras")
    lite = {name: tmp_path / path.name for name, path in pretrained.LITE.items()}
    monkeypatch.setattr(pretrained, "LITE", lite)
    assert train_shipped.main(["--epochs", "1", "--font-digits", "1", "--pieces-of", "20",
                               "--pairs-of", "20"]) == 0
    cards = pretrained.cards()
    assert list(cards) == ["lenet", "deep_cnn_128", "vgg"]
    for name, card in cards.items():
        assert json.loads(members[name].with_suffix(".json").read_text()) == card
        assert card["recipe"]["network"] == recipes.SHIPPED[name].description
        # a quick mix of MNIST and font digits, as many as `fit` keeps in quick mode
        assert card["recipe"]["training_images"] == QUICK_EXAMPLES
        assert 0 < card["test_accuracy"] <= 1
        assert members[name].stat().st_mode & 0o444 == 0o444  # readable by all on a shared install
    assert cards["lenet"]["test_accuracy"] > 0.5  # it learned (batch norm needs more steps)
    assert pretrained.load(members["lenet"]).count_params() == 61_706
    # weights only: the optimiser state would triple the file
    assert members["lenet"].stat().st_size < 400_000
    assert pretrained.load().count_params() == 61_706 + 455_210 + 35_994
    card = json.loads((tmp_path / "one_digit.json").read_text())
    assert card["recipe"]["network"] == recipes.ONE_DIGIT.description
    assert 0 <= card["held_out"]["accuracy"] <= 1 and card["recipe"]["training_images"] > 20
    # LeNet with two outputs, not ten: 8 x (84 + 1) parameters fewer
    assert saving.load(tmp_path / "one_digit.keras").count_params() == 61_706 - 8 * 85
    # the reader's TFLite copies are made from what was just trained
    images = np.random.default_rng(0).random((3, 28, 28), np.float32)
    np.testing.assert_allclose(LiteModel(*(lite[name] for name in members))(images),
                               pretrained.load()(images), atol=1e-5)
    assert LiteModel(lite["one_digit"])(images).shape == (3, 2)
    card = json.loads((tmp_path / "pair.json").read_text())
    assert card["recipe"]["network"] == recipes.PAIR.description
    assert 0 <= card["held_out"]["accuracy"] <= 1 and card["recipe"]["training_images"] > 20
    assert LiteModel(lite["pair"])(np.zeros((3, 28, 56), np.float32)).shape == (3, 101)
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


@pytest.mark.parametrize("args", [["--out", "x.keras"], ["--network", "deep_cnn"],
                                  ["--export", "--network", "lenet"]])
def test_training_command_refuses_to_guess_where_a_model_goes(args):
    with pytest.raises(SystemExit) as exit_:
        train_shipped.main(args)
    assert exit_.value.code == 2
