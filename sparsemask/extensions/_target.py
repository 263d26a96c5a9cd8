def search_model(trainer, model=None):
    """Returns the SparseMask model a search extension works on.

    Args:
        trainer (~chainer.training.Trainer): the trainer.
        model (~chainer.Link): explicit model, returned as is.

    Returns:
        ~sparsemask.links.SparseMask: ``model``, else the main optimizer's
        target or its ``predictor`` (a classifier wrapper).

    """
    if model is not None:
        return model
    target = trainer.updater.get_optimizer('main').target
    while not hasattr(target, 'connection_weights') and \
            hasattr(target, 'predictor'):
        target = target.predictor
    if not getattr(target, 'search', False):
        raise ValueError('this extension needs a SparseMask in search mode '
                         '(search=True); got {}'.format(type(target).__name__))
    return target
