import io
import os
import re
import subprocess
import sys

import numpy
from PIL import Image
import pytest

from tests.training.tiny_run import ROOT

TINY = ['--config', os.path.join(ROOT, 'configs', 'demo.yaml'),
        'model.width_multiplier=0.25', 'model.channels=8',
        'train.iterations=2', 'train.batchsize=2', 'train.crop_size=32',
        'dataset.n_train=8', 'dataset.n_val=2', 'log.log_interval=1']


@pytest.fixture(scope='module')
def saliency_run(tmp_path_factory):
    pytest.importorskip('py_sod_metrics')
    out = str(tmp_path_factory.mktemp('figures_saliency') / 'retrain')
    r = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'train', 'retrain.py'), '--out',
         out] + TINY + ['task=saliency', 'model.arch=fcn',
                        'train.iterations=1', 'dataset.n_val=3',
                        'log.snapshot_interval=1000'],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)
    assert r.returncode == 0, r.stdout
    return out


def test_saliency_mae_is_the_evaluation_s(saliency_run, tmp_path):
    # one name, one number: the MAE printed and drawn is pysodmetrics' (of
    # the min-max normalised map), the one eval/evaluate.py reports, not
    # the raw mean of |prob - mask|
    import chainer
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    from sparsemask.evaluations import evaluate_saliency
    from sparsemask.training import build_dataset
    from sparsemask.training import draw_figures
    from sparsemask.training import load_trained_model
    from sparsemask.visualizations import vis_map_predictions

    log = io.StringIO()
    written = draw_figures(run=saliency_run, out=str(tmp_path), n_images=3,
                           log=log)
    match = re.search(r'predictions of 3 images of the val split: MAE '
                      r'\(pysodmetrics, as eval/evaluate\.py\) '
                      r'([0-9. ]+), mean ([0-9.]+)$', log.getvalue(), re.M)
    assert match, log.getvalue()
    path = os.path.join(str(tmp_path), 'predictions.png')
    assert written[-1] == path
    with Image.open(path) as image:
        assert image.format == 'PNG'
        assert numpy.asarray(image.convert('RGB')).std() > 5

    model, config = load_trained_model(saliency_run)
    dataset, _ = build_dataset(config['dataset'], 'val', task='saliency')
    assert len(dataset) == 3
    # what eval/evaluate.py --n-images 2 computes, and for each image alone
    expected = evaluate_saliency(model, chainer.datasets.SubDataset(
        dataset, 0, 2))['mae']
    per_image = [evaluate_saliency(model, chainer.datasets.SubDataset(
        dataset, i, i + 1))['mae'] for i in range(3)]
    assert match.group(1).split() == ['{:.3f}'.format(v) for v in per_image]
    assert match.group(2) == '{:.4f}'.format(numpy.mean(per_image))
    fig, scores, mae = vis_map_predictions(model, dataset, [0, 1],
                                           'saliency')
    assert len(fig.axes) == 2 * 3
    pyplot.close(fig)
    assert mae == expected
    assert scores == per_image[:2]
