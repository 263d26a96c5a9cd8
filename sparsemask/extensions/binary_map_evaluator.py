from chainer import reporter
from chainer.training import extensions


#: what each task reports (``val/main/<key>``), the first the one followed
REPORTED = {
    'saliency': ('max_fbeta', 'mae'),
    'edge': ('ods', 'ois', 'ap'),
}


class BinaryMapEvaluator(extensions.Evaluator):
    """Evaluates a saliency or edge model during training: max F_beta and
    MAE (:func:`~sparsemask.evaluations.evaluate_saliency`) or ODS, OIS and
    AP (:func:`~sparsemask.evaluations.evaluate_edges`), reported as
    ``<name>/main/max_fbeta`` etc., as ChainerCV's
    :class:`~chainercv.extensions.SemanticSegmentationEvaluator` reports
    ``<name>/main/miou``.

    Under ChainerMN only the process with an iterator (rank 0) evaluates;
    it is the one that reports.

    Args:
        iterator: an iterator over the validation set (its ``dataset`` is
            read whole, image by image), or None on the other processes.
        target (~chainer.Link): the model (one output channel).
        task (str): ``'saliency'`` or ``'edge'``.
        edge_thresholds (int): the thresholds of the edge benchmark (fewer
            than the 99 of a final evaluation, for speed).

    """

    def __init__(self, iterator, target, task, edge_thresholds=19):
        if task not in REPORTED:
            raise ValueError('task must be one of {}, not {!r}'.format(
                ', '.join(REPORTED), task))
        super(BinaryMapEvaluator, self).__init__(
            {} if iterator is None else iterator, target)
        self.task = task
        self.edge_thresholds = edge_thresholds

    def evaluate(self):
        """Evaluates the model on the whole validation set.

        Returns:
            dict: the reported values.

        """
        from sparsemask.evaluations.evaluate_edges import evaluate_edges
        from sparsemask.evaluations.evaluate_saliency import \
            evaluate_saliency

        iterator = self._iterators.get('main')
        if iterator is None:
            return {}
        target = self._targets['main']
        dataset = iterator.dataset
        if self.task == 'saliency':
            result = evaluate_saliency(target, dataset)
        else:
            result = evaluate_edges(target, dataset,
                                    thresholds=self.edge_thresholds)
        observation = {}
        with reporter.report_scope(observation):
            reporter.report({key: result[key]
                             for key in REPORTED[self.task]}, target)
        return observation
