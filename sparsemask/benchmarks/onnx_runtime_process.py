"""Our ONNX export run by ONNX Runtime in a process of its own."""

import multiprocessing

import numpy

import chainer

from sparsemask.export.export_onnx import export_onnx


def _serve(conn, threads):
    # the child: one ONNX Runtime session per input shape, its own input
    from sparsemask.export.onnx_runtime_model import cpu_session
    sessions = {}
    inputs = {}
    while True:
        message = conn.recv()
        op = message[0]
        try:
            if op == 'close':
                conn.send(('ok', None))
                return
            if op == 'load':
                _, shape, onnx_bytes = message
                sessions[shape] = cpu_session(onnx_bytes, threads)
                reply = None
            elif op == 'input':
                _, x = message
                inputs[x.shape] = x
                reply = None
            elif op in ('forward', 'run'):
                # forward: (op, x); run: (op, shape of a stored input)
                x = message[1] if op == 'forward' else inputs[message[1]]
                session = sessions[x.shape]
                y = session.run(None, {session.get_inputs()[0].name: x})[0]
                reply = y if op == 'forward' else None
            else:
                raise ValueError('unknown request {!r}'.format(op))
            conn.send(('ok', reply))
        except Exception as e:  # reported to the parent
            conn.send(('error', '{}: {}'.format(type(e).__name__, e)))


class OnnxRuntimeProcess(object):
    """Our model exported to ONNX and run by ONNX Runtime in a child
    process.

    In one process with the Chainer model, ONNX Runtime and NumPy slow each
    other down: on a 2-core Xeon our model at 512x512 took 143 ms per image
    alone and 150-158 ms once ONNX Runtime had run in the process, and
    ONNX Runtime took 71 ms alone and 74-76 ms beside ours. Here ONNX
    Runtime runs in a spawned process of its own, as it would in a
    deployment. The model is exported (in test mode, by
    :func:`~sparsemask.export.export_onnx`) in this process for each input
    shape it meets and the graph is sent to the child.

    Calling it runs one forward pass and returns the logits (sent back
    through a pipe). For timings, :meth:`timed_runner` sends an input once
    and returns a function that runs the graph on it in the child without
    sending anything but the request, so that the copies through the pipe
    are not timed.

    Args:
        model (~sparsemask.links.SparseMask): the model (on the CPU).
        threads (int): ONNX Runtime's intra-op threads; None: its default.
        opset (int): the opset of the exports.

    """

    xp = numpy

    def __init__(self, model, threads=None, opset=11):
        self.model = model
        self.threads = threads
        self.opset = opset
        self.n_class = model.n_class
        self._shapes = set()
        context = multiprocessing.get_context('spawn')
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve,
                                        args=(child, threads), daemon=True)
        self._process.start()
        child.close()

    def _request(self, *message):
        self._conn.send(message)
        status, value = self._conn.recv()
        if status != 'ok':
            raise RuntimeError('ONNX Runtime process: {}'.format(value))
        return value

    def _load(self, shape):
        if shape not in self._shapes:
            graph = export_onnx(self.model, numpy.zeros(shape, numpy.float32),
                                None, opset=self.opset)
            self._request('load', shape, graph.SerializeToString())
            self._shapes.add(shape)

    def forward(self, x):
        """Runs the graph on a batch in the child.

        Args:
            x (numpy.ndarray or ~chainer.Variable): normalised images
                ``(N, 3, H, W)``.

        Returns:
            ~chainer.Variable: the logits ``(N, n_class, H, W)``.

        """
        x = numpy.ascontiguousarray(chainer.as_array(x), dtype=numpy.float32)
        self._load(x.shape)
        return chainer.Variable(self._request('forward', x))

    __call__ = forward

    def timed_runner(self, x):
        """A function that runs the graph on ``x`` in the child.

        Args:
            x (numpy.ndarray): normalised images ``(N, 3, H, W)``, sent to
                the child now.

        Returns:
            callable: no arguments; one forward pass in the child (its
            output stays there).

        """
        x = numpy.ascontiguousarray(chainer.as_array(x), dtype=numpy.float32)
        self._load(x.shape)
        self._request('input', x)
        return lambda: self._request('run', x.shape)

    def close(self):
        """Stops the child process."""
        if self._process.is_alive():
            try:
                self._request('close')
            except (EOFError, OSError, RuntimeError):
                pass
            self._process.join(10)
            if self._process.is_alive():
                self._process.terminate()
        self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
