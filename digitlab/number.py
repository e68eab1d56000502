"""Read a whole handwritten number in a photo: a phone number, a date, a price.

A photo of a number holds more than the number: a shadow and its hard edge, a phone or a hand at
the border, a form's printed words and boxes, ruled or squared paper, specks. `read` finds the
handwritten digits among them in steps. `page` holds the first four: the ink against the paper
around it, lines and frames out, the row of digit-sized pieces, the row levelled. `cutting` the
next two:

5. the row's pieces that share most of their width are one digit (the bar of a 5, a digit cut by
   a ruled line); a dot low between digits is ".", a short bar before the number "-", and a
   blob that the picture as it came shows drawn in strokes a digit written small;
6. a piece wider than one digit, or one that the one-digit network (`pretrained.one_digit`)
   says is no one whole digit, is cut along least-ink seams.

Then, here, every way of reading the row is scored by both networks: how surely each piece
reads as a digit, and how surely it is one whole digit, not a fragment or two run together
(recognition-driven segmentation, `best_reading`), and a piece tried cut is read whole as two
digits by a third network (`pretrained.pair`): touching digits need no seam to be read, the
seams still find their boxes. A digit's confidence is capped by how much of the evidence its
reading holds (`_agreement`) and, where cuts competed, by how whole it looks; unsure digits get
a `second_look`, and below `min_confidence` a digit reads "?".
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from PIL import Image
from scipy import ndimage

from digitlab import cutting, pictures, predict, preprocess
from digitlab.config import READER
from digitlab.ink import NoDigitFound
from digitlab.page import look
from digitlab.row import unlevelled

_HELPER = ThreadPoolExecutor(1, thread_name_prefix="digit-networks")  # see `_score`
_MOVES = ((1, 0), (-1, 0), (1, 1), (-1, 1))  # a second look: a pixel down, up, right, left


@dataclass
class Glyph:
    """One character of a number: what it reads as, where it is, and how sure the reader is."""

    char: str  # "0"-"9", "." or "-"; "?" where the network is not sure enough
    box: tuple[int, int, int, int]  # left, top, right, bottom, in the picture's own pixels
    confidence: float  # the network's probability for a digit; 1 for "." and "-"
    probabilities: np.ndarray | None = None  # a digit's ten


@dataclass
class Reading:
    """A number as read: its text ("?" where unsure) and each character, left to right."""

    text: str
    glyphs: list[Glyph]
    steps: dict = field(default_factory=dict, repr=False)  # the pictures along the way
    # boxes of ink on the number's line that may be digits but was not read: too far from the
    # rest, or written small (or a bar) beside the row where no digit of it stands
    left_out: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every character was read (no "?") and no digit-sized ink left out."""
        return "?" not in self.text and not self.left_out

    @property
    def confidence(self) -> float:
        """The least sure digit's confidence (a number is as sure as its weakest digit)."""
        return min((g.confidence for g in self.glyphs if g.probabilities is not None), default=0)


def at_row_scale(ink: np.ndarray, height: float, width: int = 28) -> np.ndarray:
    """A piece of ink as `one_digit` sees it: scaled as the row's digits are to MNIST's 20
    pixels, not to its own size, so that a fragment stays small and two digits stay wide
    (cut to 28 rows and `width` columns about its centre of mass); thin strokes widened as for
    the digit network."""
    small = preprocess.scaled(preprocess.thicken(ink, 20 / height), 20 / height)
    cy, cx = ndimage.center_of_mass(small)
    canvas = np.zeros((28, width), np.float32)
    top, left = round(14 - cy), round(width / 2 - cx)  # where the piece's corner goes
    rows = slice(max(0, top), min(28, top + small.shape[0]))
    cols = slice(max(0, left), min(width, left + small.shape[1]))
    canvas[rows, cols] = small[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left]
    return np.clip(canvas / max(float(canvas.max()), 1e-6), 0, 1)


class Seen(NamedTuple):
    """A part of the row as the networks read it: the digit network's prediction, the part's
    box, and how far its cut is trusted (the one-digit network's probability that it is one
    whole digit; in the reading chosen, the agreement of the ways to read it), and whether it
    was read as one of two by the pair network (it has no image of its own to look at again)."""

    prediction: predict.Prediction
    box: tuple[int, int, int, int] | None
    trust: float
    of_pair: bool = False


class Scored(NamedTuple):
    """A way to read candidates, read: the way, its score, and its digits."""

    way: cutting.Way
    score: float
    seen: list[Seen]

    @property
    def text(self) -> str:
        """Its digits, as the digit network reads them."""
        return "".join(str(s.prediction.digit) for s in self.seen)


class Looked(NamedTuple):
    """A digit after the second look: its ten probabilities, its box and its confidence."""

    probabilities: np.ndarray
    box: tuple[int, int, int, int] | None
    confidence: float


def _score(model, one_digit, ways: list[cutting.Way], height: float) -> list[Scored]:
    """Each way read by the networks. Its score: the log of its digits' joint probability, and
    of their being whole (a digit written small judged at its own size), less its cost."""
    cut = [part.ink for way in ways for part in way.parts]
    if not cut:
        return [Scored(way, -way.cost, []) for way in ways]
    # The digit networks read in a second thread (TensorFlow lets go of Python's lock as it
    # works) while this one scales the pieces for the one-digit network and runs it: the same
    # results, a millisecond or so sooner on two cores.
    digits = np.stack([preprocess.to_mnist(k) for k in cut])
    reading = _HELPER.submit(predict.classify, model, digits)
    whole = iter(predict.classify(one_digit, np.stack([
        at_row_scale(part.ink, part.ink.shape[0] if way.small else height)
        for way in ways for part in way.parts])))
    read = iter(reading.result())
    scored = []
    for way in ways:
        seen = [Seen(next(read), part.box, float(next(whole).probabilities[1]))
                for part in way.parts]
        score = sum(np.log(max(s.prediction.confidence, 1e-9)) + np.log(max(s.trust, 1e-9))
                    for s in seen) - way.cost
        scored.append(Scored(way, score, seen))
    return scored


class Best(NamedTuple):
    """The way `best_reading` chose: its score (the log of its probability, less its costs) and
    its digits, left to right."""

    score: float
    seen: list[Seen]


def best_reading(model, one_digit, pair, cands: list[cutting.Candidate], amount, labels,
                 height: float) -> Best:
    """The way to read a run of digit candidates that the networks are surest of: the most
    probable (the product of its digits' confidences and of their being whole digits), less
    the costs of unlikely widths and of cuts through several strokes. A candidate is tried cut
    into several digits only where reading it whole is in doubt: wider than a digit, read
    unsure, or not looking like one whole digit. Its digits left to right, each trusted as far
    as its agreement: the share of the evidence its reading holds among all the ways to
    read those candidates (`_agreement`): two cuts that read a digit differently leave neither
    sure; where cuts competed, it is no more than `READER.whole_power` of its being whole. A
    candidate tried cut is read whole as two digits by the `pair` network too (`_pairs`); a run
    of one piece that it calls no two digits is trusted as one digit (`_whole`)."""
    scored = _score(model, one_digit, cutting.joins(cands, amount, labels, height), height)
    doubtful = [read for read in scored if read.way.end == read.way.first + 1 and _doubtful(
        read.way.parts[0].box, read.seen[0].prediction.confidence, read.seen[0].trust, height)]
    doubtful.sort(key=lambda read: read.seen[0].prediction.confidence * read.seen[0].trust)
    chosen = sorted(doubtful[:READER.max_split], key=lambda read: read.way.first)  # in order
    cut = _score(model, one_digit, [way for read in chosen for way in cutting.splits(
        read.way.first, read.way.parts[0], height)], height)
    pairs, apart = _pairs(pair, chosen, cut, height)
    if len(cands) == 1 and apart:
        # A run of one piece that the pair network calls no two digits, read as one as surely as
        # a digit that needs no second look, is one digit, however odd its shape: the one-digit
        # network gave a flat validation 8 0.03 of being whole, and it read `?` where plain
        # `predict` read it surely. (Read less surely, it may be a scrawl: a pencil 1 read `4`
        # at 0.98.)
        scored = [_whole(read, apart[0]) if read.seen[0].prediction.confidence
                  >= READER.second_look else read for read in scored]
    scored += cut + pairs
    evidence = {}  # (first, end) -> {text: the score of its best way}
    for read in scored:
        texts = evidence.setdefault((read.way.first, read.way.end), {})
        texts[read.text] = max(read.score, texts.get(read.text, -np.inf))
    best = {0: (0.0, [])}  # candidates read so far -> (score, digits seen)
    for end in range(1, len(cands) + 1):
        options = []
        for read in scored:
            first = read.way.first
            if read.way.end == end and first in best:
                texts = evidence[first, end]
                seen = [s._replace(trust=min(
                    _agreement(texts, read.text, k),
                    s.trust ** READER.whole_power if len(texts) > 1 else 1.0))
                    for k, s in enumerate(read.seen)]
                options.append((best[first][0] + read.score, best[first][1] + seen))
        if options:
            best[end] = max(options, key=lambda o: o[0])
    return Best(*best[max(best)])


def _whole(read: Scored, whole: float) -> Scored:
    """A way that reads one candidate whole as one digit, trusted as far as `whole` if that is
    more than the one-digit network's trust, and scored so."""
    seen = read.seen[0]
    trust = max(seen.trust, whole)
    return read._replace(score=read.score + float(np.log(max(trust, 1e-9))
                                                  - np.log(max(seen.trust, 1e-9))),
                         seen=[seen._replace(trust=trust)])


def _pairs(pair, chosen: list[Scored], cut: list[Scored], height: float
           ) -> tuple[list[Scored], dict[int, float]]:
    """Each candidate in `chosen` read whole as two digits by the `pair` network, with the boxes
    of its cheapest cut in two (of `cut`). Its score: the log of the two digits' probability
    (the network's own "not two digits" is its third outcome), less `READER.pair_cost`; each
    digit's probabilities are the network's, summed over the other digit, and it is trusted as
    far as the piece is two digits. And for each candidate read (by its index), the network's
    probability that it is not two digits."""
    halves = {}  # first candidate -> the cheapest way to cut it in two
    for read in cut:
        if len(read.way.parts) == 2 and (read.way.first not in halves
                                         or read.way.cost < halves[read.way.first].cost):
            halves[read.way.first] = read.way
    chosen = [read for read in chosen if read.way.first in halves]
    if not chosen:
        return [], {}
    images = np.stack([at_row_scale(read.way.parts[0].ink, height, width=56) for read in chosen])
    probs = np.asarray(pair(images))
    # As `second_look` does for a digit: a pair read less surely is read again, moved a pixel
    # each way, and its probabilities averaged.
    unsure = np.flatnonzero(probs[:, :100].max(axis=1) < READER.second_look)
    if unsure.size:
        moved = [np.roll(images[i], step, axis) for i in unsure for step, axis in _MOVES]
        again = np.asarray(pair(np.stack(moved))).reshape(len(unsure), len(_MOVES), -1)
        probs[unsure] = (probs[unsure] + again.sum(axis=1)) / (1 + len(_MOVES))
    scored = []
    for read, p in zip(chosen, probs, strict=True):
        both = p[:100].reshape(10, 10)
        left, right = np.unravel_index(int(both.argmax()), both.shape)
        way = halves[read.way.first]._replace(cost=READER.pair_cost)
        trust = float(both.sum())
        scored.append(Scored(way, float(np.log(max(both[left, right], 1e-9))) - way.cost, [
            Seen(predict.Prediction(int(digit), ten / max(trust, 1e-9), None), part.box, trust,
                 of_pair=True)
            for digit, ten, part in ((left, both.sum(1), way.parts[0]),
                                     (right, both.sum(0), way.parts[1]))]))
    return scored, {read.way.first: float(p[100]) for read, p in zip(chosen, probs, strict=True)}


def _agreement(texts: dict[str, float], text: str, k: int) -> float:
    """The share of the evidence (each reading's best score, as a probability) held by the
    readings that agree with `text` on its k-th digit."""
    top = max(texts.values())
    weight = {t: np.exp(score - top) for t, score in texts.items()}
    agree = sum(w for t, w in weight.items() if len(t) == len(text) and t[k] == text[k])
    return float(agree / sum(weight.values()))


def second_look(model, read: list[Seen]) -> list[Looked]:
    """Each digit's probabilities and confidence: no more than its cut's agreement, and for a
    digit read with less than READER.second_look confidence, its readings moved a pixel each way,
    averaged. A digit that reads differently when moved a pixel was never sure (on validation
    digits this halves the wrong answers given with 90% confidence or more)."""
    unsure = [i for i, s in enumerate(read)
              if s.prediction.confidence < READER.second_look and not s.of_pair]
    moved = [np.roll(read[i].prediction.image, step, axis) for i in unsure
             for step, axis in _MOVES]
    again = iter(predict.classify(model, np.stack(moved)) if moved else [])
    looked = []
    for i, s in enumerate(read):
        probabilities = s.prediction.probabilities
        if i in unsure:
            probabilities = np.mean([probabilities, *(next(again).probabilities
                                                      for _ in _MOVES)], axis=0)
        looked.append(Looked(probabilities, s.box, min(float(probabilities.max()), s.trust)))
    return looked


def _doubtful(box: tuple, confidence: float, whole: float, height: float) -> bool:
    """Whether ink read as one digit might hold more: wider than a digit, or wide enough for
    two narrow ones and read without conviction, or not looking like one digit."""
    width = box[2] - box[0]
    return width > height or (width > READER.split_width * height and confidence < 0.9) or (
        width > READER.narrow * height and whole < 0.5)


def read(model, source, min_confidence: float = READER.min_confidence, steps: bool = False,
         one_digit=None, pair=None) -> Reading:
    """Read the handwritten number in a picture (path, file contents, PIL image or array) with
    the digit network `model`, asking `one_digit` (default: the shipped one) which pieces are
    whole digits and `pair` (default: the shipped one) what a piece says as two digits."""
    from digitlab import pretrained

    one_digit = pretrained.one_digit() if one_digit is None else one_digit
    pair = pretrained.pair() if pair is None else pair
    # opened once, at the closest look it may need
    picture = pictures.open_picture(source, READER.max_side, READER.row_short)
    grey = _smaller(picture.grey, READER.side)
    grey, page = look(grey, (lambda side: _smaller(picture.grey, side))
                      if grey.shape != picture.grey.shape else None)  # shrunk: closer may help
    closer = picture.grey if grey.shape != picture.grey.shape else None
    row = cutting.candidates(page, closer=closer)
    parts = _runs(model, one_digit, pair, row)
    if row.tilt and len(row.cands) == 1:
        # One piece, levelled along its long axis: touching digits in a turned photo, or one
        # digit written flat, which that turns (a flat 5 read `??`). Where it is one piece as
        # it stands too (a speck beside it is no digit of it), read both ways; the surer stands.
        flat = cutting.candidates(page, turn=False, closer=closer)
        if len(flat.cands) == 1:
            flat_parts = _runs(model, one_digit, pair, flat)
            if _surest(flat_parts[0]) > _surest(parts[0]):
                row, parts = flat, flat_parts
    levelled, tilt = row.levelled, row.tilt
    scale = picture.scale * max(picture.grey.shape) / max(grey.shape)
    glyphs = []
    for part in parts:
        if isinstance(part, Best):
            for d in second_look(model, part.seen):
                glyphs.append(Glyph(str(int(d.probabilities.argmax()))
                                    if d.confidence >= min_confidence else "?",
                                    unlevelled(d.box, grey.shape, levelled.shape, tilt, scale),
                                    d.confidence, d.probabilities))
        else:
            box = (part.left, min(p.top for p in part.members), part.right,
                   max(p.bottom for p in part.members))
            glyphs.append(Glyph(part.kind, unlevelled(box, grey.shape, levelled.shape, tilt, scale),
                                1.0))
    if not any(g.probabilities is not None for g in glyphs):
        raise NoDigitFound("no number found: no digit among the ink")
    shown = {"grey": grey, "ink": page.mask, "lines removed": page.clean, "levelled": levelled,
             "tilt": tilt, "scale": scale} if steps else {}
    return Reading("".join(g.char for g in glyphs), glyphs, shown,
                   [unlevelled((p.left, p.top, p.right, p.bottom), grey.shape, levelled.shape, tilt,
                         scale) for p in row.left_out])


def _runs(model, one_digit, pair, row: cutting.Row) -> list[Best | cutting.Candidate]:
    """The row left to right: each run of digit candidates between its marks as `best_reading`
    reads it, and each mark ("." or "-") as it stands."""
    found, run = [], []
    for cand in [*row.cands, None]:
        if cand is not None and cand.kind == "digit":
            run.append(cand)
            continue
        found.append(best_reading(model, one_digit, pair, run, row.levelled, row.labels,
                                  row.height))
        run = []
        if cand is not None:
            found.append(cand)
    return found


def _surest(best: Best) -> tuple[float, float]:
    """How sure a reading is: of its least sure digit (as `Reading.confidence`), then its score.
    Not its score alone: a flat digit read as it stands pays for its width, which a turned
    row cut in two does not, and a flat 0, turned, read `5?` over a sure 0."""
    return min(min(s.prediction.confidence, s.trust) for s in best.seen), best.score


def _smaller(grey: np.ndarray, side: int) -> np.ndarray:
    """`grey` box-averaged to `side` pixels on its longer side, if it is longer (a long thin
    picture, to as many as keep `READER.row_short` across)."""
    side = pictures.longer_side(grey.shape, side, READER.row_short)
    if max(grey.shape) <= side:
        return grey
    size = pictures.within(grey.shape[::-1], side)
    return np.asarray(Image.fromarray(grey).resize(size, Image.Resampling.BOX))
