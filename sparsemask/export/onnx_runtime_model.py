import numpy

import chainer

from sparsemask.export.export_onnx import export_onnx


def cpu_session(source, threads=None):
    """An ONNX Runtime session on the CPU, quiet about warnings.

    Args:
        source (str or bytes): an ONNX file or a serialised model.
        threads (int): intra-op threads; None: ONNX Runtime's default.

    Returns:
        onnxruntime.InferenceSession

    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # no warnings on unused initializers
    if threads is not None:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        source, sess_options=options, providers=['CPUExecutionProvider'])


class OnnxRuntimeModel(object):
    """A trained model run by ONNX Runtime, with the interface of
    :class:`~sparsemask.links.SparseMask` that the evaluation uses.

    ONNX graphs exported by onnx_chainer have fixed shapes, so the model is
    exported (in memory, by :func:`~sparsemask.export.export_onnx`, in test
    mode) once for each input shape it meets, and each export gets its own
    ONNX Runtime session on the CPU; a fixed-size protocol (e.g.
    ``--pad-to 513``) exports once. :func:`onnx_runtime_model` opens an
    exported file instead (one shape).

    It has ``mean``, ``std``, ``n_class``, ``xp`` (NumPy), :meth:`forward`
    and :meth:`predict`, so that
    :func:`~sparsemask.evaluations.predict_probabilities`, the evaluations
    and ``eval/evaluate.py --runtime onnxruntime`` take it where they take
    the Chainer model.

    Args:
        model (~sparsemask.links.SparseMask): the model to export (on the
            CPU); None with ``path``.
        path (str): an exported ONNX file; its input shape is the only one
            accepted.
        mean (numpy.ndarray): the normalisation mean ``(3, 1, 1)``; the
            model's by default.
        std (numpy.ndarray): the normalisation std ``(3, 1, 1)``; the
            model's by default.
        threads (int): ONNX Runtime's intra-op threads; None: its default
            (one per core).
        opset (int): the opset of the exports.

    """

    xp = numpy

    def __init__(self, model=None, path=None, mean=None, std=None,
                 threads=None, opset=11):
        if (model is None) == (path is None):
            raise ValueError('OnnxRuntimeModel: give a model or a path')
        self.model = model
        self.path = path
        self.threads = threads
        self.opset = opset
        self.mean = numpy.asarray(model.mean if mean is None else mean,
                                  dtype=numpy.float32)
        self.std = numpy.asarray(model.std if std is None else std,
                                 dtype=numpy.float32)
        self._sessions = {}
        self.n_class = None
        if path is not None:
            session = self._session(path)
            shape = tuple(session.get_inputs()[0].shape)
            self._sessions[shape] = session
            self.n_class = session.get_outputs()[0].shape[1]
        else:
            self.n_class = model.n_class

    @property
    def shapes(self):
        """list of tuple: the input shapes exported so far."""
        return sorted(self._sessions)

    def _session(self, source):
        return cpu_session(source, self.threads)

    def _session_for(self, shape):
        session = self._sessions.get(shape)
        if session is not None:
            return session
        if self.model is None:
            raise ValueError(
                '{}: the graph takes inputs of shape {}, not {}; export the '
                'model at that shape (eval/export_onnx.py --size) or give '
                'the model instead of the file'.format(
                    self.path, list(self.shapes[0]), list(shape)))
        onnx_model = export_onnx(self.model, numpy.zeros(shape, numpy.float32),
                                 None, opset=self.opset)
        session = self._session(onnx_model.SerializeToString())
        self._sessions[shape] = session
        return session

    def forward(self, x):
        """Runs the graph on a batch.

        Args:
            x (numpy.ndarray or ~chainer.Variable): normalised images
                ``(N, 3, H, W)``, float32.

        Returns:
            ~chainer.Variable: the logits ``(N, n_class, H, W)``.

        """
        x = numpy.ascontiguousarray(chainer.as_array(x), dtype=numpy.float32)
        session = self._session_for(tuple(x.shape))
        name = session.get_inputs()[0].name
        return chainer.Variable(session.run(None, {name: x})[0])

    __call__ = forward

    def predict(self, imgs):
        """Label maps of images, as :meth:`SparseMask.predict` computes
        them.

        Args:
            imgs (iterable of numpy.ndarray): CHW RGB images in [0, 255].

        Returns:
            list of numpy.ndarray: int32 label maps ``(H, W)``.

        """
        labels = []
        for img in imgs:
            x = (numpy.asarray(img, numpy.float32) - self.mean) / self.std
            logits = self.forward(x[None]).array[0]
            if logits.shape[0] == 1:
                labels.append((logits[0] > 0).astype(numpy.int32))
            else:
                labels.append(logits.argmax(axis=0).astype(numpy.int32))
        return labels
