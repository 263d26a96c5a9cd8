import numpy

from sparsemask.datasets import SyntheticBenchmarkDataset
from sparsemask.training.build_dataset import build_dataset
from sparsemask.training.config import load_config


def test_deterministic_seeded_and_typed():
    a, b = SyntheticBenchmarkDataset(3), SyntheticBenchmarkDataset(3)
    for i in range(3):
        for x, y in zip(a[i], b[i]):
            numpy.testing.assert_array_equal(x, y)
    img, label = a[0]
    assert img.shape == (3, 96, 96) and img.dtype == numpy.float32
    assert label.shape == (96, 96) and label.dtype == numpy.int32
    assert not numpy.array_equal(
        img, SyntheticBenchmarkDataset(1, seed=1)[0][0])


def test_objects_are_32_to_56_pixels_across_and_the_scene_is_shared():
    d = SyntheticBenchmarkDataset(40)
    counts = numpy.zeros(5, int)
    for i in range(len(d)):
        img, label = d[i]
        counts += numpy.bincount(label.ravel(), minlength=5)
        objects = label[label > 0]
        assert objects.size > 0
        assert len(numpy.unique((objects - 1) // 2)) == 1
        # the largest object's extent (occlusion only shrinks the others)
        rows = numpy.nonzero((label > 0).any(axis=1))[0]
        assert rows.max() - rows.min() + 1 >= 32 * 0.7 - 1
    assert (counts > 0).all()


def test_the_scene_is_a_strong_cast_of_the_whole_background():
    d = SyntheticBenchmarkDataset(60)
    objects = {0: [], 1: []}
    for i in range(len(d)):
        img, label = d[i]
        scene = (label[label > 0][0] - 1) // 2
        cast = (img[0] - img[2])[label == 0].mean()
        # red minus blue is +2 tint for scene 0 and -2 tint for scene 1
        assert (cast > 40) if scene == 0 else (cast < -40), (i, cast)
        objects[scene].append((img[0] - img[2])[label > 0].mean())
    # the objects' own colours do not tell it: their red minus blue is
    # that of random colours in both scenes (against 160 for backgrounds)
    assert abs(numpy.mean(objects[0]) - numpy.mean(objects[1])) < 40


def test_image_labels_match_the_label_map():
    d = SyntheticBenchmarkDataset(30)
    for i in range(len(d)):
        _, label = d[i]
        scene, texture = d.image_labels(label)
        present = set(numpy.unique(label[label > 0]).tolist())
        assert scene == (min(present) - 1) // 2
        expected = [int(any((c - 1) % 2 == t for c in present))
                    for t in (0, 1)]
        assert texture.tolist() == expected
    scene, texture = d.image_labels(numpy.zeros((4, 4), numpy.int32))
    assert scene == 0 and texture.tolist() == [0, 0]


def test_three_splits_from_three_seeds():
    config = load_config(None, ['dataset.name=benchmark', 'dataset.size=32',
                                'dataset.n_train=2', 'dataset.n_val=3',
                                'dataset.n_test=4', 'dataset.seed=5'])
    splits = {s: build_dataset(config['dataset'], s)[0]
              for s in ('train', 'val', 'test')}
    assert [len(splits[s]) for s in ('train', 'val', 'test')] == [2, 3, 4]
    for offset, s in enumerate(('train', 'val', 'test')):
        numpy.testing.assert_array_equal(
            splits[s][0][0],
            SyntheticBenchmarkDataset(1, size=(32, 32), seed=5 + offset)[0][0])
