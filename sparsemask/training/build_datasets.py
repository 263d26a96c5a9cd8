from sparsemask.training.build_dataset import build_dataset
from sparsemask.training.build_dataset import check_split
from sparsemask.training.build_dataset import DATASETS  # NOQA
from sparsemask.training.config import ConfigError


def build_datasets(dataset_config, task='segmentation'):
    """Builds the training and validation sets named by ``dataset.name``.

    They are the splits ``dataset.train_split`` and ``dataset.val_split``
    (see :func:`~sparsemask.training.build_dataset`); the validation set is
    cut to its first ``dataset.n_val_images`` examples when that is set.
    With ``dataset.holdout = N`` (for tuning), the last N examples of the
    training split are the validation set instead, and are not trained on.

    Args:
        dataset_config (dict): the ``dataset`` section of the config.
        task (str): the config's ``task`` (see :func:`build_dataset`).

    Returns:
        tuple: ``(train, val, label_names)``; examples are ``(img, label)``
        with CHW RGB float32 images in [0, 255] and int32 labels, -1 for
        ignored pixels.

    Raises:
        ConfigError: for an unknown ``dataset.name``, a split the data set
            does not have (naming ``dataset.train_split`` or
            ``dataset.val_split``) or a missing data directory key.

    """
    import chainer

    train_split = dataset_config['train_split']
    val_split = dataset_config['val_split']
    holdout = dataset_config['holdout']
    # both splits, before any data is read
    check_split(dataset_config, train_split, 'dataset.train_split', task)
    if holdout is None:
        check_split(dataset_config, val_split, 'dataset.val_split', task)
    train, label_names = build_dataset(dataset_config, train_split,
                                       'dataset.train_split', task)
    if holdout is None:
        val, _ = build_dataset(dataset_config, val_split,
                               'dataset.val_split', task)
    else:
        if holdout >= len(train):
            raise ConfigError(
                'dataset.holdout = {}: expected fewer than the {} examples '
                'of the training split {!r}'.format(
                    holdout, len(train), train_split))
        n = len(train) - holdout
        train, val = (chainer.datasets.SubDataset(train, 0, n),
                      chainer.datasets.SubDataset(train, n, len(train)))
    n_val = dataset_config['n_val_images']
    if n_val is not None:
        val = chainer.datasets.SubDataset(val, 0, min(n_val, len(val)))
    return train, val, label_names
