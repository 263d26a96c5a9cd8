import contextlib
import functools
import importlib

import numpy

from sparsemask.evaluations._quiet_import import import_py_edge_eval


# Dollar's edgesNms, as pyEdgeEval's BSDS500 evaluation calls it
_NMS_KWARGS = {'r': 1, 's': 5, 'm': 1.01, 'half_prec': False}


def _import_py_edge_eval():
    try:
        import_py_edge_eval()
        from pyEdgeEval.common.binary_label import calculate_metrics
        from pyEdgeEval.common.binary_label import \
            evaluate_boundaries_threshold_multiple_gts
        from pyEdgeEval.common.utils import check_thresholds
        from skimage.util import img_as_float
    except ImportError as e:
        raise ImportError(
            'the edge metrics need pyEdgeEval, an optional extra: '
            'pip install -e ".[tasks]" ({})'.format(e)) from e
    return (calculate_metrics, evaluate_boundaries_threshold_multiple_gts,
            check_thresholds, img_as_float)


class EdgeMetrics(object):
    """The edge metrics of the paper (BSDS500: ODS, OIS, AP, R50),
    accumulated over a data set by pyEdgeEval.

    Each map is first quantised as its saved 8-bit PNG would be read back
    by pyEdgeEval's BSDS500 evaluator (``round(255 p) / 255``, float64),
    then matched to every annotator's boundaries by
    ``evaluate_boundaries_threshold_multiple_gts`` (after the standard NMS
    of Dollar's toolbox, ``r=1, s=5, m=1.01``, when ``nms`` is true); the
    per-image counts are aggregated by pyEdgeEval's ``calculate_metrics``.
    R50, which pyEdgeEval does not give, is computed from the overall curve
    as Dollar's ``edgesEvalDir.m`` does.

    Under ChainerMN every process accumulates its part, then the parts are
    merged on one process (the per-image counts are concatenated), either
    by pickling the accumulators (``other`` below) and :meth:`merge`, or
    by their :meth:`state` and :meth:`from_states`::

        states = comm.gather_obj(metrics.state())
        if comm.rank == 0:
            result = EdgeMetrics.from_states(states).result()

    Args:
        thresholds (int, float or list of float): as pyEdgeEval takes them:
            an int ``n`` gives ``n`` thresholds evenly spaced in
            ``(0, 1)`` (``linspace(1/(n+1), 1-1/(n+1), n)``), a float one
            threshold, a list (tuple, 1-d array) those thresholds.
        max_dist (float): the matching tolerance, a fraction of the image
            diagonal.
        nms (bool): apply the NMS before thresholding (for raw network
            outputs; false for maps already thinned by NMS).
        thinning (bool): thin each thresholded map morphologically.

    Raises:
        ImportError: when pyEdgeEval (the ``tasks`` extra) is missing.

    """

    def __init__(self, thresholds=99, max_dist=0.0075, nms=True,
                 thinning=True):
        check_thresholds = _import_py_edge_eval()[2]
        self._threshold_arg = _threshold_arg(thresholds)
        self._thresholds = check_thresholds(self._threshold_arg)
        self.max_dist = float(max_dist)
        self.nms = bool(nms)
        self.thinning = bool(thinning)
        self._counts = []

    @property
    def thresholds(self):
        """numpy.ndarray: the thresholds, as pyEdgeEval expands them."""
        return self._thresholds.copy()

    @property
    def n_images(self):
        """int: how many images were added (or merged)."""
        return len(self._counts)

    def add(self, prob, boundaries):
        """Adds one image.

        Args:
            prob (numpy.ndarray): ``(H, W)`` float edge map in [0, 1].
            boundaries (list of numpy.ndarray): the ``K`` annotators'
                ``(H, W)`` boundary maps in {0, 1} (``uint8`` or bool), as
                BSDS500's ``groundTruth{k}.Boundaries``.

        Raises:
            ValueError: for a map that is not ``(H, W)``, shapes that
                differ, a probability outside [0, 1] (or NaN), no
                annotator, or a boundary value other than 0 and 1.

        """
        _, evaluate, _, img_as_float = _import_py_edge_eval()
        prob = numpy.asarray(prob)
        if prob.ndim != 2:
            raise ValueError('an edge map is (H, W), not {}'.format(
                prob.shape))
        if not numpy.all((prob >= 0) & (prob <= 1)):
            raise ValueError('an edge map lies in [0, 1]')
        gts = []
        for boundary in boundaries:
            boundary = numpy.asarray(boundary)
            if boundary.shape != prob.shape:
                raise ValueError(
                    'boundaries of shape {} for an edge map of shape {}'
                    .format(boundary.shape, prob.shape))
            if not numpy.all((boundary == 0) | (boundary == 1)):
                raise ValueError('boundaries hold 0 and 1 only')
            gts.append(boundary.astype(numpy.uint8))
        if not gts:
            raise ValueError('an image needs at least one annotator')
        # what pyEdgeEval reads from the saved PNG: img_as_float of uint8
        png = numpy.round(prob.astype(numpy.float64) * 255).astype(
            numpy.uint8)
        counts = evaluate(
            thresholds=self._thresholds, pred=img_as_float(png), gts=gts,
            max_dist=self.max_dist, apply_thinning=self.thinning,
            apply_nms=self.nms, nms_kwargs=dict(_NMS_KWARGS))
        self._counts.append(numpy.stack(counts).astype(numpy.float64))

    def result(self):
        """The metrics over the images added so far.

        Returns:
            dict: ``ods`` (F at the optimal data set threshold, interpolated
            between thresholds), ``ods_threshold``, ``ois`` (F with the
            optimal threshold of each image), ``ap`` and ``auc`` (as
            pyEdgeEval computes them), ``r50`` (recall at 50% precision,
            NaN when the precision never reaches 0.5), ``n_images``, and
            the overall curve: ``thresholds``, ``recall``, ``precision`` and
            ``f1`` (lists, one value per threshold).

        Raises:
            ValueError: when no image was added.

        """
        if not self._counts:
            raise ValueError('no image was added')
        calculate_metrics = _import_py_edge_eval()[0]
        samples = [{'name': str(i), 'index': i}
                   for i in range(len(self._counts))]

        def eval_single(sample):
            return tuple(self._counts[sample['index']])

        with _no_progress_bar():
            _, threshold_metrics, overall = calculate_metrics(
                eval_single=eval_single, thresholds=self._threshold_arg,
                samples=samples, nproc=1)
        recall = [float(m['recall']) for m in threshold_metrics]
        precision = [float(m['precision']) for m in threshold_metrics]
        return {
            'ods': float(overall['ODS_f1']),
            'ods_threshold': float(overall['ODS_threshold']),
            'ois': float(overall['OIS_f1']),
            'ap': float(overall['AP']),
            'auc': float(overall['AUC']),
            'r50': _r50(recall, precision),
            'n_images': len(self._counts),
            'thresholds': [float(m['threshold']) for m in threshold_metrics],
            'recall': recall,
            'precision': precision,
            'f1': [float(m['f1']) for m in threshold_metrics],
        }

    def merge(self, other):
        """Appends the images of another accumulator to this one.

        Args:
            other (EdgeMetrics): one with the same parameters (e.g.
                another process's, pickled).

        Raises:
            ValueError: for different parameters.

        """
        self._add_state(other.state())

    def state(self):
        """The parameters and per-image counts accumulated so far
        (picklable).

        Returns:
            dict: ``thresholds``, ``max_dist``, ``nms``, ``thinning``, and
            ``counts``: ``(N, 4, T)`` float64, per image and threshold
            pyEdgeEval's ``count_r, sum_r, count_p, sum_p``.

        """
        if self._counts:
            counts = numpy.stack(self._counts)
        else:
            counts = numpy.zeros((0, 4, len(self._thresholds)))
        return {
            'thresholds': _threshold_arg(self._threshold_arg),
            'max_dist': self.max_dist,
            'nms': self.nms,
            'thinning': self.thinning,
            'counts': counts,
        }

    @classmethod
    def from_states(cls, states):
        """Merges the states of several accumulators (e.g. one per process).

        Args:
            states (list of dict): values of :meth:`state`, all with the
                same parameters; the images keep their order, state after
                state.

        Returns:
            EdgeMetrics: an accumulator holding all their images.

        Raises:
            ValueError: for no state or states of different parameters.

        """
        states = list(states)
        if not states:
            raise ValueError('no state to merge')
        first = states[0]
        metrics = cls(thresholds=first['thresholds'],
                      max_dist=first['max_dist'], nms=first['nms'],
                      thinning=first['thinning'])
        for state in states:
            metrics._add_state(state)
        return metrics

    def _add_state(self, state):
        check_thresholds = _import_py_edge_eval()[2]
        thresholds = check_thresholds(_threshold_arg(state['thresholds']))
        if (not numpy.array_equal(thresholds, self._thresholds)
                or float(state['max_dist']) != self.max_dist
                or bool(state['nms']) != self.nms
                or bool(state['thinning']) != self.thinning):
            raise ValueError('edge metrics of different parameters')
        counts = numpy.asarray(state['counts'], dtype=numpy.float64)
        if counts.ndim != 3 or counts.shape[1:] != (4, len(thresholds)):
            raise ValueError('counts of shape {}'.format(counts.shape))
        self._counts.extend(counts)


@contextlib.contextmanager
def _no_progress_bar():
    # calculate_metrics draws a progress bar (track_progress) on the
    # sys.stdout of pyEdgeEval's import time, out of redirect_stdout's
    # reach; track_progress has a no_bar switch that it does not pass
    module = importlib.import_module(
        'pyEdgeEval.common.binary_label.calculate_metrics')
    track_progress = module.track_progress
    module.track_progress = functools.partial(track_progress, no_bar=True)
    try:
        yield
    finally:
        module.track_progress = track_progress


def _threshold_arg(thresholds):
    # pyEdgeEval's check_thresholds takes an int, a float or a list (and
    # rejects an array or a tuple)
    if isinstance(thresholds, numpy.ndarray):
        return numpy.asarray(thresholds, dtype=numpy.float64).tolist()
    if isinstance(thresholds, (list, tuple)):
        return [float(t) for t in thresholds]
    if isinstance(thresholds, numpy.integer):
        return int(thresholds)
    if isinstance(thresholds, numpy.floating):
        return float(thresholds)
    return thresholds


def _r50(recall, precision):
    # edgesEvalDir.m (Dollar's structured edge toolbox), on the overall
    # curve:
    #   [~,k]=unique(R); k=k(end:-1:1); R=R(k); P=P(k);
    #   [~,o]=unique(P); R50=interp1(P(o),R(o),max(P(o(1)),.5));
    # MATLAB's unique (R2013a on), as numpy's, sorts and indexes first
    # occurrences; interp1 gives NaN out of the sample range
    r = numpy.asarray(recall, dtype=numpy.float64)
    p = numpy.asarray(precision, dtype=numpy.float64)
    _, k = numpy.unique(r, return_index=True)
    k = k[::-1]
    r, p = r[k], p[k]
    _, o = numpy.unique(p, return_index=True)
    x = max(p[o[0]], 0.5)
    if x > p[o[-1]]:
        return float('nan')
    return float(numpy.interp(x, p[o], r[o]))
