"""The accuracy of each cue, against the pixel arrays
(:mod:`sparsemask.evaluations.cue_accuracy`)."""

import numpy
import pytest

from chainercv.evaluations import calc_semantic_segmentation_confusion

from sparsemask.evaluations import cue_accuracy


LABEL_NAMES = ('background', 'stripes-h/scene-a', 'stripes-v/scene-a',
               'stripes-h/scene-b', 'stripes-v/scene-b')
# each class's value of each cue, by hand (-1: the background)
STRIPES = numpy.array([-1, 0, 1, 0, 1])
SCENE = numpy.array([-1, 0, 0, 1, 1])


def _arrays(seed=0, n=3, shape=(12, 15)):
    rng = numpy.random.RandomState(seed)
    gts = [rng.randint(0, 5, shape).astype(numpy.int32) for _ in range(n)]
    for gt in gts:
        gt[0, :4] = -1          # ignored
    preds = []
    for gt in gts:
        # mostly right, some random mistakes
        pred = numpy.where(rng.uniform(size=shape) < 0.6, gt,
                           rng.randint(0, 5, shape)).astype(numpy.int32)
        pred[gt < 0] = rng.randint(0, 5, (gt < 0).sum())
        preds.append(pred)
    return gts, preds


def _confusion(gts, preds):
    return calc_semantic_segmentation_confusion(preds, gts)


def _reference(gts, preds, n_class=5):
    # straight from the pixels
    gt = numpy.concatenate([g.ravel() for g in gts])
    pred = numpy.concatenate([p.ravel() for p in preds])
    keep = (gt >= 0) & (gt < n_class) & (pred >= 0) & (pred < n_class)
    gt, pred = gt[keep], pred[keep]
    foreground = numpy.mean((gt == 0) == (pred == 0))
    obj = (gt > 0) & (pred > 0)
    return {
        'foreground': foreground,
        'stripes': numpy.mean(STRIPES[gt[obj]] == STRIPES[pred[obj]]),
        'scene': numpy.mean(SCENE[gt[obj]] == SCENE[pred[obj]]),
    }


def test_equals_the_pixel_arrays():
    for seed in range(3):
        gts, preds = _arrays(seed)
        acc = cue_accuracy(_confusion(gts, preds), LABEL_NAMES)
        assert list(acc) == ['foreground', 'stripes', 'scene', 'chance']
        ref = _reference(gts, preds)
        for key in ref:
            assert acc[key] == pytest.approx(ref[key], rel=1e-12)
            assert isinstance(acc[key], float)
        # a random-ish predictor: neither perfect nor hopeless
        assert 0.5 < acc['stripes'] < 1
        assert acc['chance'] == {'stripes': 0.5, 'scene': 0.5}


def test_perfect_predictor():
    gts, _ = _arrays(1)
    acc = cue_accuracy(_confusion(gts, gts), LABEL_NAMES)
    assert acc['foreground'] == acc['stripes'] == acc['scene'] == 1.0


def test_scene_flipped_on_every_object_pixel():
    gts, _ = _arrays(2)
    flip = numpy.array([0, 3, 4, 1, 2])     # scene-a <-> scene-b
    preds = [numpy.where(g >= 0, flip[g], 0).astype(numpy.int32)
             for g in gts]
    acc = cue_accuracy(_confusion(gts, preds), LABEL_NAMES)
    assert acc['foreground'] == 1.0
    assert acc['stripes'] == 1.0
    assert acc['scene'] == 0.0
    assert acc['scene'] == pytest.approx(_reference(gts, preds)['scene'])


def test_background_mistakes_count_only_for_the_foreground():
    gt = numpy.array([[0, 0, 1, 1, 2, 3]], dtype=numpy.int32)
    pred = numpy.array([[0, 4, 0, 1, 2, 1]], dtype=numpy.int32)
    acc = cue_accuracy(_confusion([gt], [pred]), LABEL_NAMES)
    # right: 0->0, 1->1, 2->2, 3->1 (object as object); wrong: 0->4, 1->0
    assert acc['foreground'] == pytest.approx(4 / 6)
    # object pixels predicted as objects: 1->1, 2->2, 3->1
    assert acc['stripes'] == pytest.approx(3 / 3)
    assert acc['scene'] == pytest.approx(2 / 3)


def test_confusion_larger_or_smaller_than_the_classes():
    gts, preds = _arrays(3)
    preds[0][2:4] = 6           # predictions out of range: left out
    conf = _confusion(gts, preds)
    assert conf.shape == (7, 7)
    acc = cue_accuracy(conf, LABEL_NAMES)
    ref = _reference(gts, preds)
    for key in ref:
        assert acc[key] == pytest.approx(ref[key], rel=1e-12)
    # classes 3 and 4 never seen: a 3x3 confusion, padded with zeros
    gt = numpy.array([[0, 1, 2, 2]], dtype=numpy.int32)
    pred = numpy.array([[0, 2, 2, 1]], dtype=numpy.int32)
    conf = _confusion([gt], [pred])
    assert conf.shape == (3, 3)
    acc = cue_accuracy(conf, LABEL_NAMES)
    assert acc['foreground'] == 1.0
    assert acc['stripes'] == pytest.approx(1 / 3)
    assert acc['scene'] == 1.0


def test_no_object_pixels_predicted_as_objects():
    gt = numpy.array([[0, 1, 2]], dtype=numpy.int32)
    pred = numpy.zeros_like(gt)
    acc = cue_accuracy(_confusion([gt], [pred]), LABEL_NAMES)
    assert acc['foreground'] == pytest.approx(1 / 3)
    assert acc['stripes'] is None and acc['scene'] is None
    assert cue_accuracy(numpy.zeros((5, 5)), LABEL_NAMES)['foreground'] \
        is None


def test_cue_names():
    names = ('bg', 'red/circle/dots-x', 'blue/square/dots-y',
             'red/square/dots-z')
    acc = cue_accuracy(numpy.eye(4), names)
    assert list(acc) == ['foreground', 'cue0', 'cue1', 'dots', 'chance']
    assert acc['chance'] == {'cue0': 0.5, 'cue1': 0.5, 'dots': 1 / 3}
    # different prefixes, and a prefix already taken
    names = ('bg', 'a-1/b-1/a-3', 'c-2/b-2/a-4')
    acc = cue_accuracy(numpy.eye(3), names)
    assert list(acc) == ['foreground', 'cue0', 'b', 'a', 'chance']
    names = ('bg', 'a-1/a-3', 'a-2/a-4')
    assert list(cue_accuracy(numpy.eye(3), names)) == [
        'foreground', 'a', 'cue1', 'chance']


def test_errors():
    with pytest.raises(ValueError, match='at least one object class'):
        cue_accuracy(numpy.ones((1, 1)), ('background',))
    with pytest.raises(ValueError, match="'stripes-v'"):
        cue_accuracy(numpy.ones((3, 3)),
                     ('background', 'stripes-h/scene-a', 'stripes-v'))
    with pytest.raises(ValueError, match="'c/d/e'"):
        cue_accuracy(numpy.ones((4, 4)), ('bg', 'a/b', 'c/d', 'c/d/e'))
