from sparsemask.training.config import ConfigError


DATASETS = ('synthetic', 'voc', 'ade20k')


def _required(dataset_config, key, name):
    value = dataset_config[key]
    if value is None:
        raise ConfigError('dataset.{} is needed for the {} data set (the '
                          'folder of the extracted data)'.format(key, name))
    return value


def build_datasets(dataset_config):
    """Builds the training and validation sets named by ``dataset.name``.

    Args:
        dataset_config (dict): the ``dataset`` section of the config.

    Returns:
        tuple: ``(train, val, label_names)``; examples are ``(img, label)``
        with CHW RGB float32 images in [0, 255] and int32 labels, -1 for
        ignored pixels.

    """
    from sparsemask import datasets

    name = dataset_config['name']
    if name == 'synthetic':
        size = dataset_config['size']
        seed = dataset_config['seed']
        train = datasets.SyntheticSegmentationDataset(
            dataset_config['n_train'], size=(size, size), seed=seed)
        val = datasets.SyntheticSegmentationDataset(
            dataset_config['n_val'], size=(size, size), seed=seed + 1)
        label_names = datasets.SyntheticSegmentationDataset.label_names
    elif name == 'voc':
        voc_dir = _required(dataset_config, 'voc_dir', name)
        split = dataset_config['train_split']
        sbd_dir = None
        if split == 'trainaug':
            sbd_dir = _required(dataset_config, 'sbd_dir', name)
        train = datasets.VOCAugSemanticSegmentationDataset(
            voc_dir, sbd_dir, split=split,
            list_file=dataset_config['trainaug_list'])
        val = datasets.VOCAugSemanticSegmentationDataset(
            voc_dir, split=dataset_config['val_split'])
        label_names = datasets.VOCAugSemanticSegmentationDataset.label_names
    elif name == 'ade20k':
        ade_dir = _required(dataset_config, 'ade20k_dir', name)
        train = datasets.ADE20KSemanticSegmentationDataset(
            ade_dir, split=dataset_config['train_split'])
        val = datasets.ADE20KSemanticSegmentationDataset(
            ade_dir, split=dataset_config['val_split'])
        label_names = datasets.ADE20KSemanticSegmentationDataset.label_names
    else:
        raise ConfigError('dataset.name: unknown data set {!r}; valid: '
                          '{}'.format(name, ', '.join(DATASETS)))
    n_val = dataset_config['n_val_images']
    if n_val is not None:
        import chainer
        val = chainer.datasets.SubDataset(val, 0, min(n_val, len(val)))
    return train, val, tuple(label_names)
