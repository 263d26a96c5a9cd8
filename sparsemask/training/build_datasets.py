from sparsemask.training.build_dataset import build_dataset
from sparsemask.training.build_dataset import check_split
from sparsemask.training.build_dataset import DATASETS  # NOQA


def build_datasets(dataset_config):
    """Builds the training and validation sets named by ``dataset.name``.

    They are the splits ``dataset.train_split`` and ``dataset.val_split``
    (see :func:`~sparsemask.training.build_dataset`); the validation set is
    cut to its first ``dataset.n_val_images`` examples when that is set.

    Args:
        dataset_config (dict): the ``dataset`` section of the config.

    Returns:
        tuple: ``(train, val, label_names)``; examples are ``(img, label)``
        with CHW RGB float32 images in [0, 255] and int32 labels, -1 for
        ignored pixels.

    Raises:
        ConfigError: for an unknown ``dataset.name``, a split the data set
            does not have (naming ``dataset.train_split`` or
            ``dataset.val_split``) or a missing data directory key.

    """
    train_split = dataset_config['train_split']
    val_split = dataset_config['val_split']
    # both splits, before any data is read
    check_split(dataset_config, train_split, 'dataset.train_split')
    check_split(dataset_config, val_split, 'dataset.val_split')
    train, label_names = build_dataset(dataset_config, train_split,
                                       'dataset.train_split')
    val, _ = build_dataset(dataset_config, val_split, 'dataset.val_split')
    n_val = dataset_config['n_val_images']
    if n_val is not None:
        import chainer
        val = chainer.datasets.SubDataset(val, 0, min(n_val, len(val)))
    return train, val, label_names
