"""The parameters, connections and speed of the models of Table 1's rows.

Parameters are counted as the paper counts them (encoder+decoder,
:func:`~sparsemask.benchmarks.count_parameters`); images/s is the median
of test-phase forward passes, the rows' models taking turns
(:func:`~sparsemask.benchmarks.throughput`).
"""

import os

import numpy

import chainer

from sparsemask.benchmarks import count_parameters
from sparsemask.benchmarks import device_name
from sparsemask.benchmarks import parse_size
from sparsemask.benchmarks import throughput
from sparsemask.training.build_model import build_model


def measure_rows(rows, config, n_class, seeds, gpu=-1, size='512',
                 batch=1, repeat=5):
    """Counts the parameters of each row's model and times it.

    The model of a row is the architecture of its first seed; the random
    row's parameters are counted for every seed (its seeds are different
    architectures).

    Args:
        rows (list of dict): the rows (``key``, ``overrides``); each gets
            ``parameters``, ``connections``, ``images_per_s`` and
            ``bench_times_s`` (and the random row
            ``parameters_per_seed``).
        config (callable): overrides (list of str) -> a resolved config.
        n_class (int): the number of classes.
        seeds (list of int): the retrain seeds.
        gpu (int): the GPU id, -1 for the CPU.
        size (str): the input, ``H`` or ``HxW``.
        batch (int): the batch.
        repeat (int): the timed runs; the median is kept.

    Returns:
        dict: how it was measured: ``size``, ``batch``, ``repeat``,
        ``warmup``, ``device`` and ``load_average``.

    """
    size = parse_size(size, '--bench-size')
    xp = numpy
    if gpu >= 0:
        import cupy
        xp = cupy
    models = {}
    for row in rows:
        per_seed = []
        row_seeds = seeds if row['key'] == 'random' else seeds[:1]
        for seed in row_seeds:
            model_config = config(row['overrides'](seed) +
                                  ['model.pretrained_model=null'])
            numpy.random.seed(0)
            model = build_model(model_config['model'], 'retrain', n_class)
            counts = count_parameters(model)
            connectivity = getattr(model, 'connectivity', None)
            counts['connections'] = None if connectivity is None else \
                connectivity.n_connections
            counts['seed'] = seed
            per_seed.append(counts)
            if row['key'] not in models:
                models[row['key']] = model
        row['parameters'] = per_seed[0]
        row['connections'] = per_seed[0]['connections']
        if len(per_seed) > 1:
            row['parameters_per_seed'] = per_seed
    if gpu >= 0:
        chainer.cuda.get_device_from_id(gpu).use()
        for model in models.values():
            model.to_gpu()
    timing = throughput(models, batch, size, xp, repeat, warmup=1)
    for row in rows:
        t = timing[row['key']]
        row['images_per_s'] = t['images_per_s']
        row['bench_times_s'] = t['times_s']
    return {'size': list(size), 'batch': batch, 'repeat': repeat,
            'warmup': 1, 'device': device_name(gpu),
            'load_average': list(os.getloadavg())}
