"""The inputs of a decoder stage of MobileNetV2's full FDN at 513x513."""

import numpy

from sparsemask.connectivity import Connectivity

# MobileNetV2 at 513x513 (TF SAME padding): channels and sizes of E_1..E_9
CHANNELS = (32, 16, 24, 32, 64, 96, 160, 320, 1280)
SIZES = (257, 257, 129, 65, 33, 33, 17, 17, 17)
#: the decoder's depth
DECODER = 64

#: the stage's form in each mode: a search's (connection weights and
#: per-connection BN) and a retraining's (neither, paper Sec. 3.3)
MODES = {'search': dict(weighted=True, connection_bn=True),
         'retrain': dict(weighted=False, connection_bn=False)}


def stage_inputs(l, batch, xp, rng):
    """Random inputs of a decoder stage of the full FDN.

    Args:
        l (int): the stage, 1 to 9.
        batch (int): the batch size.
        xp (module): ``numpy`` or ``cupy``.
        rng (numpy.random.RandomState): the random generator.

    Returns:
        tuple: ``(names, shapes, xs)``: the inputs' names (``E<i>``,
        ``D<i>``, ``G``), their ``(C, H, W)`` and the arrays.

    """
    full = Connectivity.full(9)
    names = full.inputs(l)
    shapes = []
    for name in names:
        if name == 'G':
            shapes.append((1280, 1, 1))
        elif name[0] == 'E':
            i = int(name[1:])
            shapes.append((CHANNELS[i - 1], SIZES[i - 1], SIZES[i - 1]))
        else:
            i = int(name[1:])
            shapes.append((DECODER, SIZES[i - 1], SIZES[i - 1]))
    xs = [xp.asarray(rng.randn(batch, *s).astype(numpy.float32))
          for s in shapes]
    return names, shapes, xs
