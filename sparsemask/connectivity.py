import re

import numpy
import yaml

from sparsemask.utils.atomic_write import atomic_write_text
from sparsemask.utils.unique_key_yaml import DuplicateKeyError
from sparsemask.utils.unique_key_yaml import unique_key_load


_NAME = re.compile(r'^(E|D)([1-9][0-9]*)$')


def parse_input(name):
    """Splits an input name of a decoder stage into its kind and index.

    Args:
        name (str): ``'E<i>'`` (encoder stage i), ``'D<i>'`` (decoder stage
            i) or ``'G'`` (the global average pool of the last encoder
            stage).

    Returns:
        tuple: ``(kind, index)`` with kind in ``{'E', 'D', 'G'}``; index is
        ``None`` for ``'G'``.

    Raises:
        ValueError: if the name is none of the above.

    """
    if name == 'G':
        return 'G', None
    m = _NAME.match(str(name))
    if m is None:
        raise ValueError(
            'unknown input name {!r}: expected E<i>, D<i> or G'.format(name))
    return m.group(1), int(m.group(2))


def input_order(name):
    """Sort key giving the canonical order of a stage's inputs.

    Encoder stages come first (finest first), then decoder stages (finest
    first), then ``G``. Every stage's connections, weights and parameters
    are kept in this order.

    """
    kind, index = parse_input(name)
    return ({'E': 0, 'D': 1, 'G': 2}[kind], index or 0)


class Connectivity(object):
    """The connectivity of a Fully Dense Network decoder: the architecture.

    Decoder stage ``l`` (``1 <= l <= L``) has the spatial size of encoder
    stage ``E_l`` and reads a set of inputs named ``E<i>`` with ``i >= l``,
    ``D<i>`` with ``i > l`` and ``G`` (paper Sec. 3.1). A stage that is not
    in :attr:`stages` does not exist (it was pruned). Stage 1 feeds the
    prediction head and must exist.

    Args:
        n_stages (int): ``L``, the number of encoder stages.
        stages (dict): maps a stage index ``l`` (int) to an iterable of
            input names.

    Raises:
        ValueError: if an input name is unknown, breaks the FDN rule, reads a
            decoder stage that does not exist, or if stage 1 is missing.

    """

    def __init__(self, n_stages, stages):
        if not isinstance(n_stages, int) or isinstance(n_stages, bool) \
                or n_stages < 1:
            raise ValueError(
                'n_stages must be a positive int, got {!r}'.format(n_stages))
        self.n_stages = n_stages
        inputs = {}
        for l, names in stages.items():
            if isinstance(l, bool) or not isinstance(l, int) \
                    or not 1 <= l <= n_stages:
                raise ValueError(
                    'decoder stage D{} does not exist: expected D1..D{}'
                    .format(l, n_stages))
            if isinstance(names, str):
                raise ValueError(
                    'stage D{}: inputs must be a list of names, got the '
                    'string {!r}'.format(l, names))
            names = list(names)
            if not names:
                raise ValueError(
                    'stage D{} has no inputs; leave the stage out instead'
                    .format(l))
            if len(set(names)) != len(names):
                raise ValueError(
                    'stage D{} lists an input twice: {}'.format(l, names))
            for name in names:
                try:
                    kind, i = parse_input(name)
                except ValueError as e:
                    raise ValueError('stage D{}: {}'.format(l, e))
                if kind == 'E' and not l <= i <= n_stages:
                    raise ValueError(
                        'stage D{} cannot read {}: encoder inputs of D{} '
                        'are E{}..E{}'.format(l, name, l, l, n_stages))
                if kind == 'D' and not l < i <= n_stages:
                    raise ValueError(
                        'stage D{} cannot read {}: decoder inputs of D{} '
                        'are D{}..D{}'.format(l, name, l, l + 1, n_stages))
            inputs[l] = tuple(sorted(names, key=input_order))
        for l, names in inputs.items():
            for name in names:
                kind, i = parse_input(name)
                if kind == 'D' and i not in inputs:
                    raise ValueError(
                        'stage D{} reads {}, a stage that does not exist'
                        .format(l, name))
        if 1 not in inputs:
            raise ValueError(
                'stage D1 is missing: it feeds the prediction head')
        self._inputs = inputs

    @property
    def stages(self):
        """tuple of int: existing decoder stages, in the order they are
        computed (coarsest first, ``L`` down to 1)."""
        return tuple(sorted(self._inputs, reverse=True))

    def inputs(self, l):
        """Returns the input names of stage ``l`` in canonical order."""
        return self._inputs[l]

    @property
    def n_connections(self):
        """int: the number of connections (inputs summed over stages)."""
        return sum(len(v) for v in self._inputs.values())

    def to_dict(self):
        """Returns a plain dict: ``{'n_stages': L, 'stages': {'D<l>':
        [names]}}``, coarsest stage first."""
        return {
            'n_stages': self.n_stages,
            'stages': {'D{}'.format(l): list(self._inputs[l])
                       for l in self.stages}}

    @classmethod
    def from_dict(cls, d, source='connectivity'):
        """Builds a Connectivity from :meth:`to_dict`'s format.

        Args:
            d (dict): the mapping.
            source (str): what to call the mapping in error messages (a
                file name, for instance).

        Returns:
            Connectivity

        """
        if not isinstance(d, dict):
            raise ValueError('{}: expected a mapping with keys n_stages and '
                             'stages, got {!r}'.format(source, type(d).__name__))
        unknown = sorted(set(d) - {'n_stages', 'stages'})
        if unknown:
            raise ValueError('{}: unknown key(s) {}; valid keys are n_stages '
                             'and stages'.format(source, unknown))
        for key in ('n_stages', 'stages'):
            if key not in d:
                raise ValueError('{}: missing key {}'.format(source, key))
        if not isinstance(d['stages'], dict):
            raise ValueError('{}: stages must map D<l> to a list of inputs'
                             .format(source))
        stages = {}
        for key, names in d['stages'].items():
            kind, l = (None, None)
            try:
                kind, l = parse_input(key)
            except ValueError:
                pass
            if kind != 'D':
                raise ValueError(
                    '{}: stage key {!r} is not a decoder stage name D<l>'
                    .format(source, key))
            if names is None:
                names = []
            stages[l] = names
        try:
            return cls(d['n_stages'], stages)
        except ValueError as e:
            raise ValueError('{}: {}'.format(source, e))

    def to_yaml(self, path=None):
        """Writes the connectivity as YAML.

        Args:
            path (str): a file to write to; the write is atomic (temporary
                file, then rename). If ``None``, nothing is written.

        Returns:
            str: the YAML text.

        """
        text = yaml.safe_dump(self.to_dict(), sort_keys=False,
                              default_flow_style=None)
        if path is not None:
            atomic_write_text(path, text)
        return text

    @classmethod
    def from_yaml(cls, path_or_text):
        """Reads a connectivity written by :meth:`to_yaml`.

        Args:
            path_or_text (str): a file path, or YAML text (a string with a
                newline).

        Returns:
            Connectivity

        Raises:
            ValueError: if the file cannot be read, is not valid YAML, has
                a key twice (a stage listed twice, say; the message names
                the key and both lines) or is not a valid connectivity.

        """
        if '\n' in path_or_text:
            text, source = path_or_text, 'connectivity YAML'
        else:
            try:
                with open(path_or_text) as f:
                    text, source = f.read(), path_or_text
            except OSError as e:
                raise ValueError('cannot read connectivity file {}: {}'
                                 .format(path_or_text, e.strerror))
        try:
            d = unique_key_load(text)
        except DuplicateKeyError as e:
            raise ValueError('{}: {}'.format(source, e))
        except yaml.YAMLError as e:
            raise ValueError('{}: not valid YAML: {}'.format(source, e))
        return cls.from_dict(d, source)

    @classmethod
    def full(cls, n_stages):
        """The Fully Dense Network: every allowed connection,
        ``L(L+1)`` in all."""
        L = n_stages
        return cls(L, {
            l: ['E{}'.format(i) for i in range(l, L + 1)]
            + ['D{}'.format(i) for i in range(l + 1, L + 1)] + ['G']
            for l in range(1, L + 1)})

    @classmethod
    def unet(cls, n_stages):
        """U-Net: ``D_l <- E_l, D_{l+1}`` and ``D_L <- E_L, G``."""
        L = n_stages
        stages = {l: ['E{}'.format(l), 'D{}'.format(l + 1)]
                  for l in range(1, L)}
        stages[L] = ['E{}'.format(L), 'G']
        return cls(L, stages)

    @classmethod
    def fcn(cls, n_stages):
        """FCN: one stage, ``D_1 <- E_L, G``.

        The coarsest encoder feature and the global pool feed the head
        directly (upsampled to ``E_1``'s size), without skip connections:
        the FCN baseline of the paper's Table 1 within the search space.

        """
        L = n_stages
        return cls(L, {1: ['E{}'.format(L), 'G']})

    @classmethod
    def sparseacn(cls, n_stages):
        """SparseACN: a predefined sparse pattern of dense aggregation.

        SparseNet (Zhu et al., "Sparsely Aggregated Convolutional Networks",
        ECCV 2018; the paper's [47], Table 1) replaces DenseNet's
        aggregation of every preceding layer by that of the layers at
        exponentially growing offsets: layer ``k`` reads layers ``k - 1``,
        ``k - 2``, ``k - 4``, ``k - 8`` ... (SparseMask, Sec. 4.2: "a
        predefined sparse connection pattern for densely connected
        networks"). In the decoder the layers are the stages from the
        coarsest down, so stage ``l`` reads

        * its own encoder stage ``E_l`` and ``G`` (as every stage of the
          Fully Dense Network may), and
        * the decoder stages ``D_{l+1}, D_{l+2}, D_{l+4}, ...``, i.e.
          ``D_{l + 2^j}`` for ``j >= 0`` while ``l + 2^j <= L``.

        Every stage exists, and each is read by ``D_{l-1}``. For ``L = 9``
        that is 39 of the 90 connections.

        """
        L = n_stages
        stages = {}
        for l in range(1, L + 1):
            names = ['E{}'.format(l)]
            offset = 1
            while l + offset <= L:
                names.append('D{}'.format(l + offset))
                offset *= 2
            stages[l] = names + ['G']
        return cls(L, stages)

    @classmethod
    def random(cls, n_stages, n_connections, seed=0):
        """A random valid architecture with exactly ``n_connections``.

        Valid means what pruning leaves (see
        :func:`sparsemask.prune.prune_stages`): ``D_1`` exists, every
        stage has at least one input, and every stage other than ``D_1`` is
        read by another stage, so the architecture is a fixed point of the
        paper's stage rules. It is built, not rejected until valid:

        1. the number of stages ``m`` is drawn uniformly from ``1 ..
           min(L, n_connections)`` and the stages are ``D_1`` and ``m - 1``
           others drawn uniformly;
        2. each stage other than ``D_1`` gets one reader, drawn uniformly
           among the finer kept stages (so every stage is read);
        3. each stage that reads no decoder stage gets one input drawn
           uniformly among its encoder inputs and ``G`` (so every stage has
           an input);
        4. the remaining connections are drawn uniformly, without
           replacement, among the allowed connections of the kept stages.

        A draw whose steps 2-3 already need more than ``n_connections``, or
        whose stages allow fewer, is drawn again (the generator goes on, so
        the result is still a function of the seed).

        Args:
            n_stages (int): ``L``.
            n_connections (int): the number of connections, ``1 ..
                L(L+1)``.
            seed (int): the seed of :class:`numpy.random.RandomState`; the
                same seed gives the same architecture.

        Returns:
            Connectivity

        Raises:
            ValueError: if ``n_connections`` is out of range.

        """
        L = n_stages
        if isinstance(n_connections, bool) or \
                not isinstance(n_connections, int) or \
                not 1 <= n_connections <= L * (L + 1):
            raise ValueError(
                'a random architecture of {} stages has 1 to {} connections, '
                'not {!r}'.format(L, L * (L + 1), n_connections))
        n = n_connections
        rng = numpy.random.RandomState(seed)

        def allowed(l, kept):
            return (['E{}'.format(i) for i in range(l, L + 1)]
                    + ['D{}'.format(i) for i in sorted(kept) if i > l]
                    + ['G'])

        for _ in range(10000):
            m = int(rng.randint(1, min(L, n) + 1))
            others = rng.permutation(numpy.arange(2, L + 1))[:m - 1]
            kept = {1} | {int(i) for i in others}
            capacity = sum(len(allowed(l, kept)) for l in kept)
            if capacity < n:
                continue
            inputs = {l: set() for l in kept}
            for l in sorted(kept)[1:]:
                finer = [k for k in sorted(kept) if k < l]
                inputs[finer[rng.randint(len(finer))]].add('D{}'.format(l))
            for l in sorted(kept):
                if not inputs[l]:
                    own = allowed(l, set())  # E_l .. E_L and G
                    inputs[l].add(own[rng.randint(len(own))])
            used = sum(len(v) for v in inputs.values())
            if used > n:
                continue
            rest = [(l, name) for l in sorted(kept)
                    for name in allowed(l, kept) if name not in inputs[l]]
            for j in rng.permutation(len(rest))[:n - used]:
                l, name = rest[j]
                inputs[l].add(name)
            return cls(L, inputs)
        raise AssertionError('no random architecture drawn')  # unreachable

    def __eq__(self, other):
        return isinstance(other, Connectivity) and \
            self.n_stages == other.n_stages and self._inputs == other._inputs

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        body = ', '.join('D{} <- {}'.format(l, ' '.join(self._inputs[l]))
                         for l in self.stages)
        return 'Connectivity(L={}: {})'.format(self.n_stages, body)
