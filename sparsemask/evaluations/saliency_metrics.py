import warnings

import numpy


def _import_py_sod_metrics():
    try:
        import py_sod_metrics
    except ImportError as e:
        raise ImportError(
            'the saliency metrics need pysodmetrics, an optional extra: '
            'pip install -e ".[tasks]" ({})'.format(e)) from e
    return py_sod_metrics


class SaliencyMetrics(object):
    """The saliency metrics of the paper (MSRA-B: max F_beta and MAE),
    accumulated over a data set by PySODMetrics.

    Each map is converted as the saliency benchmarks read the saved maps:
    the probability to ``uint8`` ``round(255 * p)``, the mask to ``uint8``
    0/255; both then go to :class:`py_sod_metrics.Fmeasure`
    (``beta^2 = 0.3``, its default) and :class:`py_sod_metrics.MAE`
    unchanged. Those divide the map by 255 and min-max normalise it per
    image (MATLAB's ``mapminmax(im2double(...))``) when it is not constant,
    so the MAE too is that of the normalised map.

    Under ChainerMN every process accumulates its part, then the parts are
    merged on one process (PySODMetrics keeps per-image arrays, so merging
    is concatenating them), either by pickling the accumulators and
    :meth:`merge`, or by their :meth:`state` and :meth:`from_states`::

        states = comm.gather_obj(metrics.state())
        if comm.rank == 0:
            result = SaliencyMetrics.from_states(states).result()

    Raises:
        ImportError: when pysodmetrics (the ``tasks`` extra) is missing.

    """

    def __init__(self):
        py_sod_metrics = _import_py_sod_metrics()
        with warnings.catch_warnings():
            # 1.6 announces that Fmeasure will give way to FmeasureV2
            warnings.simplefilter('ignore', UserWarning)
            self._fmeasure = py_sod_metrics.Fmeasure()
        self._mae = py_sod_metrics.MAE()

    @property
    def n_images(self):
        """int: how many images were added (or merged)."""
        return len(self._mae.maes)

    @property
    def maes(self):
        """list of float: the MAE of each image added (or merged), in
        order; ``result()['mae']`` is their mean."""
        return [float(v) for v in self._mae.maes]

    def add(self, prob, mask):
        """Adds one image.

        Args:
            prob (numpy.ndarray): ``(H, W)`` float saliency map in [0, 1].
            mask (numpy.ndarray): ``(H, W)`` ground truth in {0, 1} (int or
                bool); any other value (e.g. an ignored -1) is an error.

        Raises:
            ValueError: for a shape that is not ``(H, W)`` or differs
                between the two, a probability outside [0, 1] (or NaN) or a
                mask value other than 0 and 1.

        """
        prob = numpy.asarray(prob)
        mask = numpy.asarray(mask)
        if prob.ndim != 2 or prob.shape != mask.shape:
            raise ValueError(
                'prob and mask are (H, W) maps of the same shape, not {} '
                'and {}'.format(prob.shape, mask.shape))
        if not numpy.all((prob >= 0) & (prob <= 1)):
            raise ValueError('a saliency map lies in [0, 1]')
        if not numpy.all((mask == 0) | (mask == 1)):
            raise ValueError('a saliency mask holds 0 and 1 only, not {}'
                             .format(numpy.unique(mask).tolist()))
        pred = numpy.round(
            prob.astype(numpy.float64) * 255).astype(numpy.uint8)
        gt = numpy.where(mask.astype(bool), 255, 0).astype(numpy.uint8)
        self._fmeasure.step(pred=pred, gt=gt)
        self._mae.step(pred=pred, gt=gt)

    def result(self):
        """The metrics over the images added so far.

        Returns:
            dict: ``max_fbeta`` (the paper's F_beta: the maximum over the
            256 thresholds of the F-measure averaged over the images),
            ``mean_fbeta`` (its mean over the thresholds),
            ``adaptive_fbeta`` (threshold: twice the mean of each map),
            ``mae``, ``n_images``, and ``fbeta_curve``: the 256 mean
            F-measures in PySODMetrics' order, ``fbeta_curve[i]`` at the
            threshold ``255 - i`` (a pixel is salient when its normalised
            ``uint8`` value is at least the threshold).

        Raises:
            ValueError: when no image was added.

        """
        if self.n_images == 0:
            raise ValueError('no image was added')
        fm = self._fmeasure.get_results()['fm']
        curve = numpy.asarray(fm['curve'], dtype=numpy.float64)
        mae = self._mae.get_results()['mae']
        return {
            'max_fbeta': float(curve.max()),
            'mean_fbeta': float(curve.mean()),
            'adaptive_fbeta': float(fm['adp']),
            'mae': float(mae),
            'n_images': self.n_images,
            'fbeta_curve': curve.tolist(),
        }

    def merge(self, other):
        """Appends the images of another accumulator to this one.

        Args:
            other (SaliencyMetrics): e.g. another process's, pickled.

        """
        self._add_state(other.state())

    def state(self):
        """The per-image arrays accumulated so far (picklable).

        Returns:
            dict: ``precisions``, ``recalls`` and ``fbetas`` (``(N, 256)``),
            ``adaptive_fbetas`` and ``maes`` (``(N,)``), float64.

        """
        fm = self._fmeasure
        return {
            'precisions': _rows(fm.precisions),
            'recalls': _rows(fm.recalls),
            'fbetas': _rows(fm.changeable_fms),
            'adaptive_fbetas': numpy.asarray(
                fm.adaptive_fms, dtype=numpy.float64),
            'maes': numpy.asarray(self._mae.maes, dtype=numpy.float64),
        }

    @classmethod
    def from_states(cls, states):
        """Merges the states of several accumulators (e.g. one per process).

        Args:
            states (list of dict): values of :meth:`state`; the images
                keep their order, state after state.

        Returns:
            SaliencyMetrics: an accumulator holding all their images.

        """
        metrics = cls()
        for state in states:
            metrics._add_state(state)
        return metrics

    def _add_state(self, state):
        fm = self._fmeasure
        fm.precisions.extend(numpy.asarray(state['precisions']))
        fm.recalls.extend(numpy.asarray(state['recalls']))
        fm.changeable_fms.extend(numpy.asarray(state['fbetas']))
        fm.adaptive_fms.extend(float(v) for v in state['adaptive_fbetas'])
        self._mae.maes.extend(float(v) for v in state['maes'])


def _rows(arrays):
    if not arrays:
        return numpy.zeros((0, 256), dtype=numpy.float64)
    return numpy.stack(arrays).astype(numpy.float64)
