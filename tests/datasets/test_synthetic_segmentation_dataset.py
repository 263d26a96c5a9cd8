import numpy

from sparsemask.datasets import SyntheticSegmentationDataset


def test_deterministic_and_seeded():
    a, b = SyntheticSegmentationDataset(4, seed=0), \
        SyntheticSegmentationDataset(4, seed=0)
    for i in range(4):
        for x, y in zip(a[i], b[i]):
            numpy.testing.assert_array_equal(x, y)
    c = SyntheticSegmentationDataset(4, seed=1)
    assert not numpy.array_equal(a[0][0], c[0][0])


def test_types_and_classes():
    d = SyntheticSegmentationDataset(60, size=(48, 40))
    counts = numpy.zeros(d.n_class, int)
    for i in range(len(d)):
        img, label = d[i]
        assert img.shape == (3, 48, 40) and img.dtype == numpy.float32
        assert label.shape == (48, 40) and label.dtype == numpy.int32
        assert img.min() >= 0 and img.max() <= 255
        counts += numpy.bincount(label.ravel(), minlength=d.n_class)
        # one scene per image: all objects share (class - 1) // 2
        objects = label[label > 0]
        assert len(numpy.unique((objects - 1) // 2)) <= 1
    assert (counts > 0).all() and len(counts) == 5


def stats(d, n=120):
    """Per object: (texture bit, scene bit, stripe energy at full
    resolution, stripe energy after 2x2 averaging); per image: background
    R-B tint over the whole background and over one 2x2 patch."""
    objects, backgrounds = [], []
    for i in range(n):
        img, label = d[i]
        grey = img.mean(axis=0)
        dy = numpy.abs(numpy.diff(grey, axis=0))[:, :-1]
        dx = numpy.abs(numpy.diff(grey, axis=1))[:-1]
        inner = label[:-1, :-1]
        pooled = grey.reshape(grey.shape[0] // 2, 2, -1, 2).mean(axis=(1, 3))
        pdy = numpy.abs(numpy.diff(pooled, axis=0))[:, :-1]
        pdx = numpy.abs(numpy.diff(pooled, axis=1))[:-1]
        plabel = label[::2, ::2][:-1, :-1]
        for c in range(1, 5):
            m, pm = inner == c, plabel == c
            if m.sum() > 30 and pm.sum() > 8:
                objects.append(((c - 1) % 2, (dy[m] - dx[m]).mean(),
                                (pdy[pm] - pdx[pm]).mean()))
        bg = label == 0
        tint = (img[0] - img[2])[bg].mean()
        scene = (label[label > 0][0] - 1) // 2 if (label > 0).any() else None
        patch = (img[0] - img[2])[:2, :2][bg[:2, :2]]
        if scene is not None and bg.sum() > 500 and patch.size == 4:
            backgrounds.append((scene, tint, patch.mean()))
    return numpy.array(objects), numpy.array(backgrounds)


def separation(values, bits):
    """The fraction of values classified right by the best threshold."""
    best = 0
    for t in numpy.unique(values):
        acc = ((values > t) == bits).mean()
        best = max(best, acc, 1 - acc)
    return best


def test_texture_needs_full_resolution_and_scene_needs_context():
    objects, backgrounds = stats(SyntheticSegmentationDataset(150, seed=3))
    texture = objects[:, 0].astype(bool)
    # at full resolution the stripe direction separates the two textures
    assert separation(objects[:, 1], texture) > 0.95
    # after averaging 2x2 pixels the stripes are gone: near chance
    assert separation(objects[:, 2], texture) < 0.75
    scene = backgrounds[:, 0].astype(bool)
    # the whole background tells the scene, a 2x2 patch much less well
    assert separation(backgrounds[:, 1], scene) > 0.97
    assert separation(backgrounds[:, 2], scene) < 0.85
