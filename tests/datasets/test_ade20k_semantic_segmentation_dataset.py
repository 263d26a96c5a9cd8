import os

import numpy
import PIL.Image
import pytest

from chainercv.datasets import ADE20KSemanticSegmentationDataset as CVADE

from sparsemask.datasets import ADE20KSemanticSegmentationDataset
from tests.datasets import layouts


def test_matches_chainercv_on_the_real_layout(tmp_path):
    root = layouts.make_ade20k(str(tmp_path / 'ADEChallengeData2016'))
    for split in ('train', 'val'):
        ours = ADE20KSemanticSegmentationDataset(root, split)
        theirs = CVADE(data_dir=str(tmp_path), split=split)
        assert len(ours) == len(theirs) == {'train': 3, 'val': 2}[split]
        for i in range(len(ours)):
            for a, b in zip(ours[i], theirs[i]):
                numpy.testing.assert_array_equal(a, b)
        label = ours[0][1]
        assert label.min() >= -1 and label.max() <= 149


def test_errors(tmp_path):
    root = layouts.make_ade20k(str(tmp_path / 'ADEChallengeData2016'))
    with pytest.raises(FileNotFoundError) as e:
        ADE20KSemanticSegmentationDataset(str(tmp_path / 'none'))
    assert 'ADEChallengeData2016.zip' in str(e.value)
    assert len(ADE20KSemanticSegmentationDataset(str(tmp_path))) == 3
    with pytest.raises(FileNotFoundError, match='has no images'):
        ADE20KSemanticSegmentationDataset(
            str(tmp_path / 'ADEChallengeData2016' / 'images'))
    path = os.path.join(root, 'annotations', 'validation',
                        'ADE_val_00000001.png')
    PIL.Image.fromarray(numpy.full((6, 8), 200, numpy.uint8)).save(path)
    d = ADE20KSemanticSegmentationDataset(root, 'val')
    with pytest.raises(ValueError, match=r'ADE_val_00000001.png.*\[200\]'):
        d[0]
