"""Reading digits with the shipped model: single digits, numbers, the command line."""

import json
import os
import subprocess
import sys
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import draw, needs_real_mnist
from PIL import Image, ImageDraw

from digitlab import cli, number, predict, pretrained


@pytest.fixture(scope="module")
def model():
    return pretrained.load()


@pytest.mark.parametrize("digit", list("017"))
def test_reads_drawn_digits(model, digit):
    guess = predict.predict(model, draw(digit))
    assert guess.digit == int(digit), guess.probabilities.round(3)
    assert guess.confidence == pytest.approx(guess.probabilities.max())
    assert guess.probabilities.sum() == pytest.approx(1, abs=1e-5)
    assert guess.image.shape == (28, 28)


def test_predict_each_reads_every_picture_and_says_which_are_blank(model):
    read = predict.predict_each(model, [draw("0"), np.full((50, 50), 255, np.uint8), draw("7")])
    assert [r and r.digit for r in read] == [0, None, 7]
    assert predict.predict_each(model, []) == []


def test_classify_is_the_models_own_answer_even_after_more_training():
    import gc
    import weakref

    from digitlab import models

    net = models.lenet()
    images = np.random.default_rng(0).random((3, 28, 28), np.float32)
    for _ in range(2):  # the second time, with changed weights, through the same traced graph
        got = np.stack([p.probabilities for p in predict.classify(net, images)])
        np.testing.assert_allclose(got, net(images, training=False).numpy(), atol=1e-6)
        net.layers[-1].kernel.assign(net.layers[-1].kernel * 3)
    predict.classify(net, images[:1])  # another batch size: no error, no second graph needed
    alive = weakref.ref(net)
    del net
    gc.collect()
    assert alive() is None  # the cache of traced models does not keep a model alive


def test_each_shipped_network_has_its_card():
    cards = pretrained.cards()
    assert list(cards) == list(pretrained.MEMBERS) == ["lenet", "deep_cnn_128", "vgg"]
    for name, card in cards.items():
        assert card["test_accuracy"] >= 0.99
        assert card["recipe"]["seed"] == 0 and card["date"]
        assert card["recipe"]["network"].startswith({"lenet": "LeNet",
                                                     "deep_cnn_128": "the deep CNN",
                                                     "vgg": "the VGG-style"}[name])
        assert pretrained.MEMBERS[name].stat().st_size < 2_000_000  # small enough to ship


def test_the_shipped_model_averages_its_three_networks(model):
    assert model.count_params() == 61_706 + 455_210 + 35_994
    images = np.random.default_rng(0).random((4, 28, 28), np.float32)
    members = [pretrained.load(file) for file in pretrained.MEMBERS.values()]
    mean = np.mean([m(images, training=False) for m in members], axis=0)
    np.testing.assert_allclose(model(images), mean, atol=1e-6)  # no augmentation when reading


@pytest.fixture(scope="module")
def mnist_test():
    """MNIST's test digits and labels, read once for every test here that needs them."""
    from digitlab import data

    (_, _), test = data.load_mnist()
    return test


@needs_real_mnist
def test_the_shipped_model_reads_mnist_test_set(model, mnist_test):
    from digitlab.training import accuracy

    assert accuracy(model, *mnist_test) >= 0.99


def on_a_page(digit: np.ndarray, side: int, shape: tuple[int, int], paper: float, top: int,
              left: int) -> np.ndarray:
    """An MNIST digit scaled to `side` pixels square, its corner at (`top`, `left`) on a page
    of `shape` and grey level `paper`."""
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR))
    page = np.full(shape, paper)
    page[top:top + side, left:left + side] -= 0.8 * ink / 255
    return page


def in_shadow(digit: np.ndarray, side: int) -> np.ndarray:
    """A digit `side` pixels tall in the middle of an 800x800 page, a hard shadow's edge (blurred
    40 px) across the page's middle."""
    from scipy import ndimage

    page = on_a_page(digit, side, (800, 800), 0.92, 400 - side // 2, 400 - side // 2)
    rows, cols = np.mgrid[:800, :800]
    shadow = ndimage.gaussian_filter((rows + cols < 700).astype(float), 40)
    return np.clip(page * (1 - 0.7 * shadow), 0, 1).astype(np.float32)


@needs_real_mnist
@pytest.mark.parametrize("digit", [4, 7, 2])
def test_a_shadow_across_the_page_does_not_beat_a_lone_digit(model, mnist_test, digit):
    """Plain `predict` found ink against a smooth estimate of the paper, and read the shadow's
    edge as a stroke: these nine pages read 0 of 9 (the 60-px digits as `1`, the others 4, 5 or
    6). It now finds ink as the number reader does, against the paper around it."""
    x_test, y_test = mnist_test
    first = x_test[np.flatnonzero(y_test == digit)[0]]
    for side in (60, 120, 200):
        assert predict.predict(model, in_shadow(first, side)).digit == digit


@needs_real_mnist
def test_a_small_digit_on_a_big_page_is_looked_at_closer(model, mnist_test):
    """Plain `predict` saw the whole page at 256 pixels, where this digit is 7 pixels tall, and
    called ink under 5% of the page's height specks: the first ten test digits so read 1 of 10.
    It now looks again, closer, as the number reader does, and calls specks only what is under
    3% of the page."""
    x_test, y_test = mnist_test
    pages = [on_a_page(x, 60, (1200, 1600), 0.9, 600, 800).astype(np.float32)
             for x in x_test[:10]]
    assert [predict.predict(model, page).digit for page in pages] == list(y_test[:10])


@needs_real_mnist
def test_a_digit_drawn_with_a_one_pixel_pencil_on_a_big_canvas_is_found(model, mnist_test):
    """A paint program's 1-pixel pencil on a canvas 1,000 or 2,000 pixels square: shrunk to
    the working size, its lines faded into the paper, and "no ink stands out from the paper"
    (plain `predict` of 4 test digits in 5 at 1,000 pixels, both readers of all 5 at 2,000)."""
    from skimage.morphology import skeletonize

    x_test, y_test = mnist_test
    for image, label in zip(x_test[:5], y_test[:5], strict=True):
        for side in (1000, 2000):
            big = Image.fromarray(np.pad(image, 8)).resize((side, side), Image.Resampling.BICUBIC)
            canvas = np.where(skeletonize(np.asarray(big) > 128), 0, 255).astype(np.uint8)
            assert predict.predict(model, canvas).digit == label, (label, side)
            assert number.read(model, canvas).text == str(label), (label, side)


def run_cli_process(*args):
    """`digitlab predict ARGS` as a student runs it: a fresh Python, its real exit status."""
    return subprocess.run([sys.executable, "-m", "digitlab", "predict", *args],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def run_cli(capsys):
    """`digitlab predict ARGS` in this process: the same code without TensorFlow's start-up."""
    def run(*args):
        try:
            code = cli.main(["predict", *args])
        except SystemExit as e:  # argparse refusing an option
            code = e.code
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)
    return run


@pytest.fixture
def files(tmp_path):
    paths = []
    for digit in "10":
        draw(digit).save(tmp_path / f"{digit}.png")
        paths.append(str(tmp_path / f"{digit}.png"))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    return paths, str(tmp_path / "broken.png")


def test_cli_answers_every_good_file_and_fails_on_the_bad_one(files):
    (one, zero), broken = files
    result = run_cli_process(one, broken, zero)
    assert result.returncode == 1
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(f, d) for f, d, _ in lines] == [(one, "1"), (zero, "0")]
    assert lines[0][2].endswith("%")
    assert f"digitlab: {broken}: not an image" in result.stderr and "Traceback" not in result.stderr


def test_a_tab_or_newline_in_a_file_name_keeps_one_line_of_three_fields(tmp_path, run_cli):
    odd = tmp_path / "my\tseven\nnew.png"
    draw("7").save(odd)
    result = run_cli(str(odd))
    [line] = result.stdout.splitlines()
    name, answer, _ = line.split("\t")
    assert name == str(odd).replace("\t", "\\t").replace("\n", "\\n") and answer == "7"


def test_cli_json_gives_all_probabilities(files, run_cli):
    (one, _), broken = files
    result = run_cli("--json", one, broken)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["file"] == one and records[0]["digit"] == 1
    assert len(records[0]["probabilities"]) == 10
    assert sum(records[0]["probabilities"]) == pytest.approx(1, abs=1e-4)
    assert records[1]["file"] == broken and "not an image" in records[1]["error"]


def test_cli_reads_the_files_after_a_truncated_jpeg(files, tmp_path, run_cli):
    (one, zero), _ = files
    whole = tmp_path / "seven.jpg"
    draw("7").save(whole, quality=90)
    cut = tmp_path / "trunc.jpg"
    cut.write_bytes(whole.read_bytes()[:len(whole.read_bytes()) // 2])
    result = run_cli("--json", one, str(cut), str(whole))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("digit") for r in records] == [1, None, 7]
    assert records[1]["file"] == str(cut) and "cut short" in records[1]["error"]


@pytest.mark.parametrize("inputs, outputs, message", [
    ((32, 32, 3), 10, "does not take 28x28 images"),
    ((28, 28), 1, "does not give ten probabilities")])
def test_cli_refuses_a_model_that_does_not_read_digits(files, tmp_path, inputs, outputs, message,
                                                       run_cli):
    from digitlab._tf import keras

    wrong = keras.Sequential([keras.Input(inputs), keras.layers.Flatten(),
                              keras.layers.Dense(outputs, activation="softmax")])
    wrong.save(tmp_path / "wrong.keras")
    result = run_cli("--model", str(tmp_path / "wrong.keras"), files[0][0])
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_cli_number(tmp_path, run_cli):
    image = Image.new("L", (300, 220), 255)
    pen = ImageDraw.Draw(image)
    pen.line([(60, 30), (60, 190)], fill=0, width=14)
    pen.ellipse([150, 30, 240, 190], outline=0, width=14)
    image.save(tmp_path / "ten.png")
    result = run_cli("--number", str(tmp_path / "ten.png"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\t")[1] == "10"


def test_cli_number_shows_each_digits_confidence_and_refuses_unsure_ones(tmp_path, run_cli):
    """Letters, not digits: every digit's confidence shows; unsure ones answer ? (by default
    below digitlab.config.READER.min_confidence) and the file counts as not read."""
    from PIL import ImageFont

    letters = Image.new("L", (420, 160), 255)
    ImageDraw.Draw(letters).text((20, 10), "abc", fill=0, font=ImageFont.load_default(size=120))
    letters.save(tmp_path / "abc.png")
    plain = run_cli("--number", "--min-confidence", "0", str(tmp_path / "abc.png"))
    _, number, least, each = plain.stdout.strip().split("\t")
    assert plain.returncode == 0 and len(each.split()) == len(number) and "?" not in number
    assert min(float(d.split(":")[1].rstrip("%")) for d in each.split()) == float(least[:-1])
    unsure = run_cli("--number", str(tmp_path / "abc.png"))
    assert unsure.returncode == 1 and "?" in unsure.stdout.split("\t")[1]
    assert "not read surely enough" in unsure.stderr
    assert run_cli("--min-confidence", "2", str(tmp_path / "abc.png")).returncode == 2


def test_cli_says_so_when_the_model_is_missing(tmp_path, files, run_cli):
    result = run_cli("--model", str(tmp_path / "none.keras"), files[0][0])
    assert result.returncode == 2 and "cannot load the model" in result.stderr


def test_cli_refuses_a_model_that_nests_too_deep_with_a_message(files, run_cli, tmp_path):
    from digitlab import models, saving

    good = saving.save(models.mlp(hidden=(8,)), tmp_path / "good.keras")
    deep = tmp_path / "deep.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(deep, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, b"[" * 100_000 + b"]" * 100_000
                         if info.filename == "config.json" else src.read(info))
    result = run_cli("--model", str(deep), files[0][0])
    assert result.returncode == 2 and "nests 100,000 deep" in result.stderr


def test_cli_never_hangs_on_a_pipe_or_a_device_and_reads_the_next_file(files, tmp_path):
    fifo = tmp_path / "a_fifo"
    os.mkfifo(fifo)
    (one, _), _ = files
    result = run_cli_process("/dev/zero", str(fifo), one)  # a hang fails at the timeout
    assert result.returncode == 1 and result.stdout.split("\t")[:2] == [one, "1"]
    assert "/dev/zero: cannot be read (a device, not a regular file" in result.stderr
    assert f"{fifo}: cannot be read (a pipe (FIFO), not a regular file" in result.stderr


def test_under_a_memory_limit_litert_reads_and_tensorflow_says_why_it_cannot(files):
    import resource

    def one_gigabyte():
        resource.setrlimit(resource.RLIMIT_AS, (10**9, 10**9))

    def predict(*args):
        return subprocess.run([sys.executable, "-m", "digitlab", "predict", *args, files[0][0]],
                               capture_output=True, text=True, timeout=300,
                               preexec_fn=one_gigabyte)

    result = predict("--model", str(pretrained.MEMBERS["lenet"]))  # a .keras file: TensorFlow
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "TensorFlow could not be loaded" in result.stderr and "ulimit -v" in result.stderr
    result = predict()  # the shipped networks, with LiteRT: well within the limit
    assert result.returncode == 0 and result.stdout.split("\t")[1] == "1", result.stderr


def test_a_fault_in_one_picture_is_one_line_and_the_batch_goes_on(files, run_cli, monkeypatch):
    (one, zero), _ = files
    real = cli._read_digit

    def fails_on_one(model, path, min_confidence):
        if path == one:
            raise IndexError("a reader bug")
        return real(model, path, min_confidence)

    monkeypatch.setattr(cli, "_read_digit", fails_on_one)
    result = run_cli(one, zero)
    assert result.returncode == 1 and result.stdout.split("\t")[:2] == [zero, "0"]
    assert f"digitlab: {one}: could not be read (IndexError: a reader bug)" in result.stderr


def test_many_pictures_are_shared_among_processes_in_order_with_each_fault_in_its_place(
        tmp_path):
    from digitlab.cli import CHUNK

    paths = []
    for i in range(2 * CHUNK + 3):
        paths.append(tmp_path / f"{i:02}.png")
        draw("107"[i % 3]).save(paths[-1])
    paths[CHUNK + 1].write_bytes(b"not a picture")
    one = run_cli_process("--jobs", "1", *map(str, paths))
    shared = run_cli_process("--jobs", "2", *map(str, paths))
    assert shared.returncode == one.returncode == 1
    assert shared.stdout == one.stdout and shared.stderr == one.stderr
    lines = shared.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(p) for i, p in enumerate(paths)
                                                      if i != CHUNK + 1]
    assert [line.split("\t")[1] for line in lines[:3]] == ["1", "0", "7"]
    assert shared.stderr.count("\n") == 1 and str(paths[CHUNK + 1]) in shared.stderr


def test_jobs_must_be_a_whole_number_of_processes(run_cli, files):
    result = run_cli("--jobs", "0", files[0][0])
    assert result.returncode == 2


def test_one_digit_read_unsurely_answers_a_question_mark_as_a_number_does(tmp_path, run_cli):
    """Blobs are no digit: plain `predict` read them as a 2 at 45% and said nothing; now it
    answers ? below the reader's MIN_CONFIDENCE, and the exit status says not all was read."""
    from digitlab.config import READER

    rng = np.random.default_rng(1)
    blobs = Image.new("L", (300, 300), 230)
    for _ in range(6):
        (x, y), r = rng.integers(60, 220, 2), rng.integers(10, 40)
        ImageDraw.Draw(blobs).ellipse([x - r, y - r, x + r, y + r], fill=30)
    blobs.save(tmp_path / "blobs.png")
    assert predict.predict(pretrained.reader(), blobs).confidence < READER.min_confidence
    unsure = run_cli(str(tmp_path / "blobs.png"))
    assert unsure.returncode == 1 and unsure.stdout.split("\t")[1] == "?"
    assert "not sure enough" in unsure.stderr
    assert run_cli("--min-confidence", "0", str(tmp_path / "blobs.png")).returncode == 0
