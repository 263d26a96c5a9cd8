from sparsemask.training.config import ConfigError


#: The values of ``dataset.name``.
DATASETS = ('synthetic', 'benchmark', 'voc', 'ade20k', 'folder', 'msrab',
            'bsds500')

#: The splits of each data set; ``None``: any (a folder's ``<split>.txt``).
SPLITS = {
    'synthetic': ('train', 'val'),
    'benchmark': ('train', 'val', 'test'),
    'voc': ('trainaug', 'train', 'val', 'trainval'),
    'ade20k': ('train', 'val'),
    'folder': None,
    'msrab': ('train', 'val', 'test'),
    'bsds500': ('train', 'val', 'test', 'trainval'),
}

#: The data sets of each ``task`` (``synthetic`` has a version of each).
TASK_DATASETS = {
    'segmentation': ('synthetic', 'benchmark', 'voc', 'ade20k', 'folder'),
    'saliency': ('synthetic', 'msrab'),
    'edge': ('synthetic', 'bsds500'),
}


def _required(dataset_config, key, name):
    value = dataset_config[key]
    if value is None:
        raise ConfigError('dataset.{} is needed for the {} data set (the '
                          'folder of the extracted data)'.format(key, name))
    return value


def check_split(dataset_config, split, key=None, task='segmentation'):
    """Checks that the data set of ``dataset.name`` has a split and is
    one of ``task``.

    Args:
        dataset_config (dict): the ``dataset`` section of the config.
        split (str): the split.
        key (str): where ``split`` was read from, for the message.
        task (str): the config's ``task``.

    Raises:
        ConfigError: for an unknown ``dataset.name``, a data set of another
            task, or a split the data set does not have (naming ``key``,
            the split and the valid ones); a folder data set takes any
            split name.

    """
    name = dataset_config['name']
    if name not in SPLITS:
        raise ConfigError('dataset.name: unknown data set {!r}; valid: '
                          '{}'.format(name, ', '.join(DATASETS)))
    if task not in TASK_DATASETS:
        raise ConfigError('task: unknown task {!r}; valid: {}'.format(
            task, ', '.join(TASK_DATASETS)))
    if name not in TASK_DATASETS[task]:
        raise ConfigError(
            'dataset.name = {!r} is not a data set of task {!r}; its data '
            'sets: {}'.format(name, task, ', '.join(TASK_DATASETS[task])))
    valid = SPLITS[name]
    if valid is not None and split not in valid:
        raise ConfigError('{} = {!r}: the {} data set has no such split; '
                          'valid: {}'.format(key or 'split', split, name,
                                             ', '.join(valid)))


def build_dataset(dataset_config, split, key=None, task='segmentation'):
    """Builds one split of the data set named by ``dataset.name``.

    ========= ===========================================================
    name      split
    ========= ===========================================================
    synthetic ``'train'``: ``dataset.n_train`` examples of seed
              ``dataset.seed``; ``'val'``: ``dataset.n_val`` of seed
              ``dataset.seed + 1``; the synthetic set of ``task``
              (:class:`~sparsemask.datasets.SyntheticSegmentationDataset`,
              :class:`~sparsemask.datasets.SyntheticSaliencyDataset` or
              :class:`~sparsemask.datasets.SyntheticEdgeDataset`)
    benchmark ``'train'``, ``'val'``, ``'test'``: ``dataset.n_train``,
              ``dataset.n_val`` and ``dataset.n_test`` examples of seeds
              ``dataset.seed``, ``+ 1`` and ``+ 2``
              (:class:`~sparsemask.datasets.SyntheticBenchmarkDataset`)
    voc       ``'trainaug'`` (VOC 2012 + SBD), ``'train'``, ``'val'``,
              ``'trainval'``, read from ``dataset.voc_dir`` (and
              ``dataset.sbd_dir`` and ``dataset.trainaug_list`` for
              ``'trainaug'``)
    ade20k    ``'train'``, ``'val'``, read from ``dataset.ade20k_dir``
    folder    any: the ids of ``<split>.txt`` in ``dataset.folder_dir``
              (see :class:`~sparsemask.datasets.FolderSemanticSegmentation\
Dataset`)
    msrab     ``'train'``, ``'val'``, ``'test'`` (2500/500/2000), read from
              ``dataset.msrab_dir`` (saliency)
    bsds500   ``'train'``, ``'val'``, ``'test'``, ``'trainval'``, read
              from ``dataset.bsds_dir``, labels by ``dataset.edge_eta``
              (edges)
    ========= ===========================================================

    ``dataset.n_val_images`` is not applied here (see
    :func:`~sparsemask.training.build_datasets`).

    Args:
        dataset_config (dict): the ``dataset`` section of the config.
        split (str): the split.
        key (str): where ``split`` was read from, named by the error of a
            split the data set does not have, e.g. ``'dataset.val_split'``
            or ``'--split'``; ``'split'`` by default.
        task (str): the config's ``task``: which synthetic set, and which
            data sets are allowed.

    Returns:
        tuple: ``(dataset, label_names)``; examples are ``(img, label)``
        with CHW RGB float32 images in [0, 255] and int32 labels, -1 for
        ignored pixels (0 and 1 for saliency and edges); ``label_names``
        is a tuple of str. An edge data set also has ``get_boundaries(i)``,
        the annotators' boundary maps of example ``i``.

    Raises:
        ConfigError: for an unknown ``dataset.name``, a split the data set
            does not have (naming ``key``, the split and the valid ones) or
            a missing data directory key.
        OSError: from the data set's loader, naming a missing or
            unreadable data file or directory.
        ValueError: from the data set's loader, naming a bad data file.

    """
    from sparsemask import datasets

    check_split(dataset_config, split, key, task)
    name = dataset_config['name']
    if name == 'synthetic':
        size = dataset_config['size']
        seed = dataset_config['seed']
        if split == 'train':
            n = dataset_config['n_train']
        else:
            n, seed = dataset_config['n_val'], seed + 1
        if task == 'saliency':
            dataset = datasets.SyntheticSaliencyDataset(
                n, size=(size, size), seed=seed)
        elif task == 'edge':
            dataset = datasets.SyntheticEdgeDataset(
                n, size=(size, size), seed=seed,
                eta=dataset_config['edge_eta'])
        else:
            dataset = datasets.SyntheticSegmentationDataset(
                n, size=(size, size), seed=seed)
        label_names = type(dataset).label_names
    elif name == 'benchmark':
        size = dataset_config['size']
        n, offset = {'train': (dataset_config['n_train'], 0),
                     'val': (dataset_config['n_val'], 1),
                     'test': (dataset_config['n_test'], 2)}[split]
        dataset = datasets.SyntheticBenchmarkDataset(
            n, size=(size, size), seed=dataset_config['seed'] + offset)
        label_names = type(dataset).label_names
    elif name == 'msrab':
        dataset = datasets.MSRABSaliencyDataset(
            _required(dataset_config, 'msrab_dir', name), split=split)
        label_names = dataset.label_names
    elif name == 'bsds500':
        dataset = datasets.BSDS500EdgeDataset(
            _required(dataset_config, 'bsds_dir', name), split=split,
            eta=dataset_config['edge_eta'])
        label_names = dataset.label_names
    elif name == 'voc':
        voc_dir = _required(dataset_config, 'voc_dir', name)
        sbd_dir = list_file = None
        if split == 'trainaug':
            sbd_dir = _required(dataset_config, 'sbd_dir', name)
            list_file = dataset_config['trainaug_list']
        dataset = datasets.VOCAugSemanticSegmentationDataset(
            voc_dir, sbd_dir, split=split, list_file=list_file)
        label_names = datasets.VOCAugSemanticSegmentationDataset.label_names
    elif name == 'ade20k':
        dataset = datasets.ADE20KSemanticSegmentationDataset(
            _required(dataset_config, 'ade20k_dir', name), split=split)
        label_names = datasets.ADE20KSemanticSegmentationDataset.label_names
    else:
        dataset = datasets.FolderSemanticSegmentationDataset(
            _required(dataset_config, 'folder_dir', name), split=split)
        label_names = dataset.label_names
    return dataset, tuple(label_names)
