import os

import numpy
import pytest
import scipy.io

from sparsemask.datasets import BSDS500EdgeDataset
from tests.datasets import layouts


@pytest.fixture
def root(tmp_path):
    return layouts.make_bsds500(str(tmp_path / 'BSR' / 'BSDS500' / 'data'))


def expected_label(boundaries, eta):
    """The HED/RCF target, written out: 1 where at least eta of the
    annotators drew the pixel, 0 where none did, -1 in between."""
    counts = numpy.sum(boundaries, axis=0)
    k = len(boundaries)
    label = numpy.where(counts == 0, 0, -1)
    label[counts / k >= eta] = 1
    return label.astype(numpy.int32)


@pytest.mark.parametrize('split', ['train', 'val', 'test'])
def test_images_labels_and_boundaries(root, split):
    d = BSDS500EdgeDataset(root, split)
    names = sorted(layouts.BSDS500_IDS[split])
    # sorted as strings, Thumbs.db ignored
    assert d.ids == names and len(d) == len(names)
    assert d.label_names == ('non-edge', 'edge') and d.eta == 0.5
    for i, name in enumerate(names):
        img, label = d[i]
        layouts.assert_image(img, layouts.image_for('bsds' + name))
        written = layouts.bsds500_boundaries_for(name)
        boundaries = d.get_boundaries(i)
        assert len(boundaries) == len(written)
        for b, w in zip(boundaries, written):
            assert b.dtype == numpy.uint8 and b.shape == layouts.SIZE
            numpy.testing.assert_array_equal(b, w)
        assert label.dtype == numpy.int32 and label.shape == layouts.SIZE
        numpy.testing.assert_array_equal(label,
                                         expected_label(written, 0.5))
        assert set(numpy.unique(label)) == {-1, 0, 1}


def test_trainval_is_train_then_val(root):
    train, val = BSDS500EdgeDataset(root, 'train'), \
        BSDS500EdgeDataset(root, 'val')
    tv = BSDS500EdgeDataset(root, 'trainval')
    assert tv.ids == train.ids + val.ids and len(tv) == 5
    assert tv.img_paths == train.img_paths + val.img_paths
    for i, (d, j) in enumerate([(train, 0), (train, 1), (train, 2),
                                (val, 0), (val, 1)]):
        for a, b in zip(tv[i], d[j]):
            numpy.testing.assert_array_equal(a, b)
        for a, b in zip(tv.get_boundaries(i), d.get_boundaries(j)):
            numpy.testing.assert_array_equal(a, b)


def test_the_written_mat_has_the_real_struct_cell_layout(root):
    # what loadmat gives for the real files: groundTruth is a 1xK object
    # array (a cell) of 1x1 structs with Segmentation and Boundaries
    path = layouts.bsds500_files(root, 'train', '2092')[1]
    gt = scipy.io.loadmat(path)['groundTruth']
    k = len(layouts.bsds500_boundaries_for('2092'))
    assert gt.dtype == object and gt.shape == (1, k)
    s = gt[0, 0]
    assert set(s.dtype.names) == {'Segmentation', 'Boundaries'}
    assert s.shape == (1, 1)
    assert s['Segmentation'][0, 0].dtype == numpy.uint16
    # MATLAB's logical is stored as uint8 with a flag; loadmat reads uint8
    assert s['Boundaries'][0, 0].shape == layouts.SIZE
    assert s['Boundaries'][0, 0].dtype == numpy.uint8


def hand_made(root, boundaries):
    """Replaces the first training image and ground truth by a 2x6 image
    and the given maps."""
    image, gt = layouts.bsds500_files(root, 'train', '100075')
    layouts.write_jpeg(image, layouts.image_for('hand', (2, 6)))
    layouts.write_bsds_mat(gt, boundaries)


THREE = [numpy.array(m, numpy.uint8) for m in (
    [[1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
    [[1, 1, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0]],
    [[1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]])]
# annotators per pixel: [[3, 2, 1, 1, 0, 0], [0, 0, 0, 0, 0, 1]]


@pytest.mark.parametrize('eta,expected', [
    (0.5, [[1, 1, -1, -1, 0, 0], [0, 0, 0, 0, 0, -1]]),
    (1.0, [[1, -1, -1, -1, 0, 0], [0, 0, 0, 0, 0, -1]]),
    (0.3, [[1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 1]]),
    (0.7, [[1, -1, -1, -1, 0, 0], [0, 0, 0, 0, 0, -1]])])
def test_eta_rule_on_three_annotators(root, eta, expected):
    hand_made(root, THREE)
    d = BSDS500EdgeDataset(root, 'train', eta=eta)
    assert d.ids[0] == '100075'
    numpy.testing.assert_array_equal(d[0][1], numpy.array(expected))
    for b, w in zip(d.get_boundaries(0), THREE):
        numpy.testing.assert_array_equal(b, w)


def test_matches_pyedgeeval_reader(root):
    bsds = pytest.importorskip('pyEdgeEval.datasets.bsds')
    hand_made(root, THREE)
    for split in ('train', 'val', 'test'):
        d = BSDS500EdgeDataset(root, split)
        for i in range(len(d)):
            theirs = bsds.load_bsds_gt_boundaries(d.gt_paths[i])
            ours = d.get_boundaries(i)
            assert len(theirs) == len(ours)
            for a, b in zip(ours, theirs):
                assert a.shape == b.shape
                numpy.testing.assert_array_equal(a, b)


def test_parent_folders_are_accepted(root):
    bsr = os.path.dirname(os.path.dirname(root))
    for path in (bsr, os.path.dirname(bsr), os.path.dirname(root)):
        d = BSDS500EdgeDataset(path, 'val')
        assert d.data_dir == root and len(d) == 2


def test_missing_directory_is_named_with_how_to_get_it(tmp_path):
    missing = str(tmp_path / 'none')
    with pytest.raises(FileNotFoundError) as e:
        BSDS500EdgeDataset(missing)
    message = layouts.assert_one_line_error(e.value, missing,
                                            'does not exist')
    assert 'BSR_bsds500.tgz' in message and 'BSR/BSDS500/data' in message


@pytest.mark.parametrize('entry', [os.path.join('images', 'val'),
                                   os.path.join('groundTruth', 'val')])
def test_missing_split_folder_is_named(root, entry):
    path = os.path.join(root, entry)
    os.rename(path, path + '.moved')
    for split in ('val', 'trainval'):
        with pytest.raises(FileNotFoundError) as e:
            BSDS500EdgeDataset(root, split)
        layouts.assert_one_line_error(e.value, 'has no ' + entry, path)
    assert len(BSDS500EdgeDataset(root, 'train')) == 3


def test_image_without_ground_truth_is_named(root):
    gt = layouts.bsds500_files(root, 'test', '2018')[1]
    os.remove(gt)
    with pytest.raises(FileNotFoundError) as e:
        BSDS500EdgeDataset(root, 'test')
    message = layouts.assert_one_line_error(e.value, gt)
    assert '1 of the 2 images' in message and 'no ground truth' in message


def test_mat_without_ground_truth_is_named(root):
    d = BSDS500EdgeDataset(root, 'val')
    scipy.io.savemat(d.gt_paths[1], {'GTcls': numpy.zeros((2, 2))})
    for read in (lambda: d[1], lambda: d.get_boundaries(1)):
        with pytest.raises(ValueError) as e:
            read()
        message = layouts.assert_one_line_error(e.value, d.gt_paths[1],
                                                'no variable groundTruth')
        assert 'GTcls' in message
    d[0]


@pytest.mark.parametrize('value,expected', [
    (numpy.zeros((2, 2)), 'not a non-empty cell'),
    (numpy.empty((1, 0), object), 'not a non-empty cell'),
    ({'Segmentation': numpy.zeros((2, 2))}, 'not a non-empty cell')])
def test_ground_truth_of_another_shape_is_named(root, value, expected):
    d = BSDS500EdgeDataset(root, 'val')
    scipy.io.savemat(d.gt_paths[0], {'groundTruth': value})
    with pytest.raises(ValueError) as e:
        d[0]
    layouts.assert_one_line_error(e.value, d.gt_paths[0], expected)


def test_cell_without_boundaries_is_named(root):
    d = BSDS500EdgeDataset(root, 'val')
    cell = numpy.empty((1, 2), object)
    cell[0, 0] = {'Boundaries': numpy.zeros(layouts.SIZE, bool)}
    cell[0, 1] = {'Segmentation': numpy.zeros(layouts.SIZE, numpy.uint16)}
    scipy.io.savemat(d.gt_paths[0], {'groundTruth': cell})
    with pytest.raises(ValueError) as e:
        d.get_boundaries(0)
    layouts.assert_one_line_error(e.value, d.gt_paths[0], 'groundTruth{2}',
                                  'Boundaries')


def test_boundaries_other_than_0_and_1_are_named(root):
    d = BSDS500EdgeDataset(root, 'val')
    bad = numpy.zeros(layouts.SIZE, numpy.uint8)
    bad[1, 1] = 2
    cell = numpy.empty((1, 1), object)
    cell[0, 0] = {'Boundaries': bad}
    scipy.io.savemat(d.gt_paths[0], {'groundTruth': cell})
    with pytest.raises(ValueError) as e:
        d[0]
    layouts.assert_one_line_error(e.value, d.gt_paths[0], '[0, 2]')


def test_boundaries_of_another_size_name_both_files(root):
    d = BSDS500EdgeDataset(root, 'test')
    layouts.write_bsds_mat(d.gt_paths[1], [numpy.zeros((4, 8), numpy.uint8)])
    message = layouts.assert_size_mismatch(d, 1, d.gt_paths[1],
                                           d.img_paths[1])
    assert 'is 8x4 (WxH)' in message and 'is 8x6' in message
    with pytest.raises(ValueError):
        d.get_boundaries(1)
    d[0]


def test_unreadable_files_are_named(root):
    d = BSDS500EdgeDataset(root, 'train')
    layouts.write_garbage(d.gt_paths[0], b'MATLAB 5.0 MAT-file')
    message = layouts.assert_unreadable(d, 0, 'cannot read ground truth',
                                        d.gt_paths[0])
    assert 'groundTruth' in message
    layouts.write_empty(d.gt_paths[1])
    message = layouts.assert_unreadable(d, 1, 'cannot read ground truth',
                                        d.gt_paths[1])
    assert 'the file is empty (0 bytes)' in message
    layouts.write_garbage(d.img_paths[2], b'\xff\xd8')
    layouts.assert_unreadable(d, 2, 'cannot read image', d.img_paths[2])


def test_bad_split_and_eta(root):
    with pytest.raises(ValueError, match="'trainval'"):
        BSDS500EdgeDataset(root, 'valid')
    for eta in (0, -0.5, 1.5, 'half', None):
        with pytest.raises(ValueError, match=r'eta must be a number in'):
            BSDS500EdgeDataset(root, 'train', eta=eta)
