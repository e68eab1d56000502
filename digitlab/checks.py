"""Friendly checks for the exercises: call one on your answer to get a hint, not a grade.

Each function prints "✓ ..." with a word on why it is right, or "✗ Not yet: ..." with a hint
towards the answer, and returns True or False. Nothing raises, so a wrong answer never stops
the notebook. An exercise starts with placeholders, `first_seven = ...`: a check given one says
which name is still to define. Each function's parameters are named as the notebook names
them. The functions are named after the notebook and the exercise: `nb03_ex2` is notebook 03,
exercise 2.
"""

from __future__ import annotations

import numpy as np

from digitlab.hints import all_wrong, better, exercise, fractions_hint, is_fraction, verdict

# 00 · start here

@exercise
def nb00_ex1(first_seven, y) -> bool:
    """The index of the first 7 in the labels `y`."""
    index, first = first_seven, int(np.argmax(np.asarray(y) == 7))
    if not isinstance(index, (int, np.integer)):
        return verdict(False, "", f"expected a whole number (an index), got {index!r}")
    if y[index] != 7:
        return verdict(False, "", f"y[{index}] is a {y[index]}, not a 7; `y_test == 7` is True "
                                   "exactly at the 7s")
    return verdict(index == first, f"index {index} is the first 7.",
                   f"y[{index}] is a 7, but not the first one; np.argmax finds the first True")


@exercise
def nb00_ex2(heaviest, lightest, x, y) -> bool:
    """The digits with the most and the least ink on average, in images `x` with labels `y`."""
    ink = np.array([x[np.asarray(y) == d].mean() for d in range(10)])
    if heaviest == ink.argmin() and lightest == ink.argmax():
        return verdict(False, "", "you have them the wrong way round: argmax gives the most "
                                   "ink, argmin the least")
    return verdict(heaviest == ink.argmax() and lightest == ink.argmin(),
                   f"{heaviest}s use the most ink ({ink.max():.1f} per pixel on average), "
                   f"{lightest}s the least ({ink.min():.1f}): a 1 is a single stroke.",
                   "average the pixels of all images of each digit (x[y == d].mean()), then "
                   "take the digits with the largest and the smallest average")


@exercise
def nb00_ex3(template_accuracy) -> bool:
    """The accuracy of the nearest-average-image classifier."""
    accuracy = template_accuracy
    if not is_fraction(accuracy):
        return verdict(False, "", fractions_hint(accuracy))
    if accuracy < 0.5:
        return verdict(False, "", f"{accuracy:.1%} is too low: pick the digit whose average "
                                   "image is *nearest* (argmin of the distances), not farthest")
    if accuracy > 0.9:
        return verdict(False, "", f"{accuracy:.1%} is suspiciously high: build the averages "
                                   "from the training images and test on the test images")
    return verdict(True, f"{accuracy:.1%}: far better than chance (10%), far from a network.",
                   "")


# 01 · raw MLP

@exercise
def nb01_ex1(sigmoid_val, relu_val) -> bool:
    """Validation accuracies with sigmoid and with ReLU hidden layers."""
    return better(relu_val, sigmoid_val,
                  f"ReLU {relu_val:.2%} beats sigmoid {sigmoid_val:.2%}: sigmoid's gradients "
                  "shrink in every layer they pass (notebook 03 shows it).",
                  "sigmoid came out ahead: check that only the *hidden* layers changed, the "
                  "output stayed a plain linear layer, and both ran the same iterations")


@exercise
def nb01_ex2(final_train, final_test) -> bool:
    """The fixed network's accuracy on the training images and on the test images."""
    if not is_fraction(final_train, final_test):
        return verdict(False, "", fractions_hint(final_train, final_test))
    if final_train < final_test - 0.01:
        return verdict(False, "", "training accuracy well below test accuracy is unusual: "
                                   "did you measure on x_train, scaled the same way?")
    gap = final_train - final_test
    return verdict(True, f"a gap of {gap:+.2%}: " + (
        "it fits the training digits better than new ones, a little overfitting." if gap > 0.005
        else "no real overfitting."), "")


# Each network's mistakes, by index: notebooks 01 and 04 name their values as `all_wrong` does.
nb01_ex3 = nb04_ex3 = exercise(all_wrong)


# 02 · Keras MLP

@exercise
def nb02_ex1(sparse_acc, one_hot_acc) -> bool:
    """Validation accuracies with sparse and with one-hot labels, same seed."""
    if not is_fraction(sparse_acc, one_hot_acc):
        return verdict(False, "", fractions_hint(sparse_acc, one_hot_acc))
    return verdict(abs(sparse_acc - one_hot_acc) < 0.005,
                   "the same loss written two ways gives the same training.",
                   f"{sparse_acc:.2%} against {one_hot_acc:.2%}: seed both runs the same "
                   "(training.set_seed(0) before building each model), one-hot encode with "
                   "keras.utils.to_categorical and use categorical_crossentropy")


@exercise
def nb02_ex2(seconds: dict) -> bool:
    """Seconds per epoch for each batch size: {32: ..., 128: ..., 512: ...}."""
    if not isinstance(seconds, dict) or not {32, 512} <= set(seconds):
        return verdict(False, "", "expected a dict with batch sizes as keys, e.g. "
                                   "{32: 9.1, 128: 3.0, 512: 1.6}")
    return verdict(seconds[512] < seconds[32],
                   f"batch 512 takes {seconds[512]:.1f} s an epoch, batch 32 {seconds[32]:.1f} "
                   "s: fewer, larger steps use the CPU's vector units better.",
                   "bigger batches should be faster per epoch: time the epochs after the "
                   "first, which includes compiling the training step")


@exercise
def nb02_ex3(stopped) -> bool:
    """The history of a run stopped early (a Keras History, a digitlab Result or a dict)."""
    history = getattr(stopped, "history", stopped)
    if not isinstance(history, dict) or "loss" not in history:
        return verdict(False, "", "pass what fit returned (its .history has a 'loss' list)")
    epochs = len(history["loss"])
    return verdict(epochs < 30, f"it stopped after {epochs} epochs.",
                   "it ran all 30 epochs: pass callbacks=[keras.callbacks.EarlyStopping("
                   "patience=2, restore_best_weights=True)] and validation data")


# 03 · LeNet

nb03_ex1 = nb01_ex1  # sigmoid against ReLU again, LeNet's validation accuracies this time


@exercise
def nb03_ex2(conv2_params) -> bool:
    """The parameter count of LeNet's second convolution, computed by hand."""
    hints = {2400: "add one bias per kernel",
             416: "each kernel spans all 6 input channels: 5×5×6 weights",
             400: "each kernel spans all 6 input channels, and has one bias"}
    return verdict(conv2_params == 2416, "16 × (5×5×6 + 1) = 2,416.",
                   hints.get(conv2_params, "count the weights of one kernel (5×5 over 6 "
                                            "channels), add its bias, times 16 kernels"))


@exercise
def nb03_ex3(wrong, lenet_pred, y, accuracy) -> bool:
    """Indices of LeNet's mistakes, with its predictions, the labels and its test accuracy."""
    return all_wrong(wrong, lenet_pred, y, accuracy)


# 04 · going further

@exercise
def nb04_ex1(fast_sgd, sgd, same_step) -> bool:
    """The Result of SGD at learning rate 0.01; the lesson's SGD at 0.001 and the validation
    point to compare it at (the same number of steps)."""
    if not hasattr(fast_sgd, "final"):
        return verdict(False, "", "expected what `run(...)` gives second, the training Result "
                                   f"(got {type(fast_sgd).__name__})")
    fast, slow = fast_sgd.final("val_accuracy"), sgd.history["val_accuracy"][same_step]
    return better(fast, slow,
                  f"{fast:.2%} against {slow:.2%}: ten times bigger steps leave the plateau "
                  "sooner.",
                  "compare after the *same* number of steps, and build a fresh model for the "
                  "faster run")


@exercise
def nb04_ex2(counts: dict, biggest) -> bool:
    """Parameters per layer of the deep CNN, and the name of the biggest layer."""
    if not isinstance(counts, dict) or biggest not in counts:
        return verdict(False, "", "expected {layer name: parameters} and one of its names")
    if counts[biggest] != max(counts.values()):
        return verdict(False, "", f"{biggest} has {counts[biggest]:,}; another has "
                                   f"{max(counts.values()):,}: use max(counts, key=counts.get)")
    share = counts[biggest] / sum(counts.values())
    return verdict(True, f"{biggest} holds {share:.0%} of the parameters: 7×7×64 inputs, each "
                          "joined to 1,024 units.", "")


# 05 · your handwriting

@exercise
def nb05_ex1(ours_chalk, naive_chalk) -> bool:
    """Accuracies on chalk-on-blackboard digits: digitlab's preprocessing and the naive way."""
    return better(ours_chalk, naive_chalk,
                  f"{ours_chalk:.1%} against {naive_chalk:.1%}: a blind invert turns chalk "
                  "into black ink on white, the opposite of what the network knows.",
                  "digitlab should win: turn the photos into chalk with 1 - photo, and pass "
                  "the same pictures to both ways")


@exercise
def nb05_ex2(shifted_acc, our_acc) -> bool:
    """Accuracy on digitlab's inputs shifted 6 px, and on the centred ones."""
    return better(our_acc, shifted_acc,
                  f"{our_acc:.1%} centred, {shifted_acc:.1%} shifted: MNIST digits are "
                  "centred by mass, and the network expects it.",
                  "shift the preprocessed 28×28 inputs (data.shift(inputs, dx=6)), not the "
                  "photos, then classify them again")


@exercise
def nb05_ex3(loose, strict, touching_numbers, model) -> bool:
    """(share read exactly, share with a ?) of the touching numbers at min_confidence 0.5 and
    0.95: checked against the reader's own readings, so that made-up shares do not pass."""
    from digitlab import number

    pairs = [loose, strict]
    if not all(isinstance(p, tuple | list) and len(p) == 2 and all(0 <= v <= 1 for v in p)
               for p in pairs):
        return verdict(False, "", "store each as a pair of shares from 0 to 1: (the share "
                       "read exactly, the share with a ?)")
    truths = [truth for _, truth in touching_numbers]
    read = {sure: [number.read(model, picture, min_confidence=sure).text
                   for picture, _ in touching_numbers] for sure in (0.5, 0.95)}
    wanted = [(float(np.mean([r == t for r, t in zip(read[sure], truths, strict=True)])),
               float(np.mean(["?" in r for r in read[sure]]))) for sure in (0.5, 0.95)]
    (loose_exact, loose_unsure), (strict_exact, strict_unsure) = wanted
    return verdict(np.allclose(np.array(pairs, float), wanted, atol=1e-6),
                   f"at 0.5, {loose_exact:.0%} exact and {loose_unsure:.0%} with a ?; at 0.95, "
                   f"{strict_exact:.0%} and {strict_unsure:.0%}: a stricter reader says ? more "
                   "often, and so is exactly right less often, but wrong less often too.",
                   "these are not the shares the reader gives: read each of touching_numbers "
                   "with number.read(model, picture, min_confidence=0.5), then 0.95, and count "
                   "the exact readings and those with a ?")


# 06 · evaluate

@exercise
def nb06_ex1(strict, probs, y) -> bool:
    """The lowest threshold at which the model is right on >= 99.9% of what it answers."""
    from digitlab.evaluate import coverage_at

    if strict is None:
        best = coverage_at(probs, y, 0.9999)[1]
        return verdict(best < 0.999, "no threshold reaches 99.9% for this model.",
                       f"even so, threshold 0.9999 gives {best:.2%}: look again")
    coverage, accuracy = coverage_at(probs, y, strict)
    return verdict(accuracy >= 0.999,
                   f"at {strict:.4f} it answers {coverage:.1%} and is right on "
                   f"{accuracy:.2%} of those.",
                   f"at {strict:.4f} it is right on only {accuracy:.2%} of what it answers; "
                   "take the first threshold whose accuracy reaches 0.999")


@exercise
def nb06_ex2(mlp_pair, mlp_rates) -> bool:
    """(true, read) of the MLP's most common confusion, and its normalised confusion matrix."""
    mlp_rates = np.asarray(mlp_rates)
    off = mlp_rates - np.diag(np.diag(mlp_rates))
    answer = tuple(int(i) for i in np.unravel_index(off.argmax(), mlp_rates.shape))
    if tuple(int(i) for i in mlp_pair) == answer[::-1]:
        return verdict(False, "", "rows are the true digits, columns what was read: you have "
                                   "them swapped")
    return verdict(tuple(int(i) for i in mlp_pair) == answer,
                   f"{answer[0]}s read as {answer[1]}s, {mlp_rates[answer]:.2%} of the "
                   f"{answer[0]}s.",
                   "ignore the diagonal (the correct answers) before taking the largest cell")


@exercise
def nb06_ex3(invert) -> bool:
    """A distortion `invert(images, strength)` blending uint8 images towards 255 - images."""
    image = np.array([[[0, 100, 255]]], np.uint8)
    try:
        results = {s: np.asarray(invert(image, s)) for s in (0, 0.5, 1)}
    except Exception as e:  # a hint is more use to a student than a traceback
        return verdict(False, "", f"invert(images, strength) raised {type(e).__name__}: {e}")
    if results[1].dtype != np.uint8:
        return verdict(False, "", "return uint8 images, like the others (np.rint, then "
                                   ".astype(np.uint8)); beware: 255 - x on uint8 is fine, but "
                                   "mixing in floats is not")
    if not np.array_equal(results[0], image):
        return verdict(False, "", "strength 0 must leave the images unchanged")
    if not np.array_equal(results[1], 255 - image):
        return verdict(False, "", "strength 1 must give 255 - images")
    return verdict(abs(int(results[0.5][0, 0, 1]) - 128) <= 1,
                   "0 leaves the digit, 1 inverts it, in between blends the two.",
                   "at strength 0.5 a pixel should lie halfway between x and 255 - x")


# 07 · your handwriting, taught

@exercise
def nb07_ex1(output_only_yours, output_only_mnist, results) -> bool:
    """Accuracies after fine-tuning the output layer alone; `results` holds the lesson's."""
    everything_mnist = results["everything"]["MNIST"]
    if not is_fraction(output_only_yours, output_only_mnist):
        return verdict(False, "", fractions_hint(output_only_yours, output_only_mnist))
    return verdict(output_only_mnist >= everything_mnist,
                   f"{output_only_mnist:.1%} on MNIST against {everything_mnist:.1%} when "
                   f"everything trains, and {output_only_yours:.1%} on your held-out drawings: "
                   "the fewer weights change, the less it forgets.",
                   "fine-tune a fresh copy of the shipped network "
                   "(fine_tune(pretrained.load(LENET), ..., layers=['output'])), then measure it")


@exercise
def nb07_ex2(by_count) -> bool:
    """{drawings of each digit trained on: accuracy on the held-out drawings}."""
    if not isinstance(by_count, dict) or len(by_count) < 3:
        return verdict(False, "", "`by_count` should be a dict with at least three entries, "
                                   "{drawings per digit: held-out accuracy}, e.g. for 1, 3 and 7")
    if not all(isinstance(k, (int, np.integer)) and k >= 1 for k in by_count):
        return verdict(False, "", "the keys are how many drawings of each digit it trained "
                                   f"on: whole numbers from 1 up, not {list(by_count)}")
    if not is_fraction(*by_count.values()):
        return verdict(False, "", fractions_hint(*by_count.values()))
    fewest, most = by_count[min(by_count)], by_count[max(by_count)]
    counts = ", ".join(f"{k} each: {v:.0%}" for k, v in sorted(by_count.items()))
    why = ("more of your own examples, better reading of your hand." if most > fewest else
           "no difference on these held-out drawings: your hand is consistent, or they are "
           "too few to show one.")
    return verdict(most >= fewest, f"{counts}: {why}",
                   f"{min(by_count)} each gave {fewest:.0%} but {max(by_count)} each "
                   f"{most:.0%}: train each on a fresh copy of the shipped network, and "
                   "measure on the same held-out drawings")
