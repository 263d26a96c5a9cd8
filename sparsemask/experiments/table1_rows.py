"""The rows of the paper's Table 1 and the searches they are made from.

A row is a decoder trained on the table's protocol. It is made in one of
four ways (its ``how``):

* ``{'arch': name}``: a fixed architecture, ``model.arch=name``;
* ``{'search': variant}``: the architecture a search of ``variant``
  (:data:`SEARCHES`) found, retrained;
* ``{'matched': variant}``: the full FDN with as many decoder parameters
  as the architecture a search of ``variant`` found;
* ``{'random': variant}``: random sparse decoders with as many connections
  as the architecture a search of ``variant`` found.

The functions below make a row's record: a dict with ``key``, ``label``,
``paper_miou``, ``arch_file``, ``note`` (why the row is not run, or None),
``arch_id`` (the name of its directories) and ``overrides`` (a function of
the retrain seed that returns the row's config overrides).
"""

#: key -> (label, how the row is made, paper's VOC val mIoU in % or None)
ROWS = (
    ('fcn', 'FCN', {'arch': 'fcn'}, 63.80),
    ('deeplabv3', 'DeepLabV3', {'arch': 'deeplabv3'}, 72.51),
    ('unet', 'U-Net', {'arch': 'unet'}, 64.72),
    ('sparseacn', 'SparseACN', {'arch': 'sparseacn'}, 72.23),
    ('maskconnect', 'MaskConnect (top-k search)', {'search': 'topk'}, 70.34),
    ('l1', 'FDN with L1 (search)', {'search': 'l1'}, 72.72),
    ('full', 'full FDN', {'arch': 'full'}, None),
    ('full_small', 'full FDN, decoder params of SparseMask',
     {'matched': 'sparse'}, None),
    ('random', 'random sparse, connections of SparseMask',
     {'random': 'sparse'}, None),
    ('sparsemask', 'SparseMask', {'search': 'sparse'}, 73.18),
    ('sparsemask_nobn', 'SparseMask w/o per-connection BN',
     {'search': 'sparse_nobn'}, 72.21),
)
ROW_KEYS = tuple(r[0] for r in ROWS)
#: the rows retrained with every retrain seed (the others with the first
#: ``--other-seeds``)
MAIN_ROWS = ('fcn', 'unet', 'full', 'sparsemask')

#: search variant -> overrides of its search
SEARCHES = {
    'sparse': ['train.search_loss=sparse'],
    'l1': ['train.search_loss=l1'],
    'topk': ['train.search_loss=topk'],
    'sparse_nobn': ['train.search_loss=sparse', 'model.connection_bn=false'],
}
#: the row that retrains each search variant's architecture
SEARCH_ROW = {'sparse': 'sparsemask', 'l1': 'l1', 'topk': 'maskconnect',
              'sparse_nobn': 'sparsemask_nobn'}


def row_how(key):
    """How a row is made.

    Args:
        key (str): the row, one of :data:`ROW_KEYS`.

    Returns:
        dict: ``{'arch': name}``, ``{'search': variant}``,
        ``{'matched': variant}`` or ``{'random': variant}``.

    """
    return next(r[2] for r in ROWS if r[0] == key)


def row_variant(key):
    """The search variant a row is made from.

    Args:
        key (str): the row, one of :data:`ROW_KEYS`.

    Returns:
        str or None: a key of :data:`SEARCHES`; None for a row of a fixed
        architecture.

    """
    how = row_how(key)
    return how.get('search') or how.get('matched') or how.get('random')


def needed_searches(keys):
    """The search variants the rows are made from.

    Args:
        keys (iterable of str): the rows.

    Returns:
        list of str: each variant once, in the order of the rows.

    """
    needed = []
    for key in keys:
        variant = row_variant(key)
        if variant is not None and variant not in needed:
            needed.append(variant)
    return needed


def new_row(key, note=None):
    """The record of a row before it is resolved.

    Args:
        key (str): the row, one of :data:`ROW_KEYS`.
        note (str): why the row is not run (None: it is).

    Returns:
        dict: ``key``, ``label``, ``paper_miou``, ``arch_file`` (None) and
        ``note``.

    """
    label, paper = next((r[1], r[3]) for r in ROWS if r[0] == key)
    return {'key': key, 'label': label, 'paper_miou': paper,
            'arch_file': None, 'note': note}


def fixed_row(key):
    """The record of a row of a fixed architecture (``model.arch``).

    Args:
        key (str): a row whose ``how`` is ``{'arch': name}``.

    Returns:
        dict: :func:`new_row`'s, with ``arch_id`` and ``overrides``.

    """
    arch = row_how(key)['arch']
    row = new_row(key)
    row['arch_id'] = arch
    row['overrides'] = lambda seed: ['model.arch=' + arch]
    return row


def searched_row(key, searches):
    """The record of a row that retrains the architectures of searches.

    The row's trainings take the searches' architectures in turn (the
    ``i``-th seed of the grid or of the retrainings the ``i % n``-th
    architecture, :func:`arch_of`), so that the variance of the search is
    in the row.

    Args:
        key (str): a row whose ``how`` is ``{'search': variant}``.
        searches (list of dict): the records of its searches, one per
            search seed, that succeeded (``variant``, ``seed``,
            ``arch_file``).

    Returns:
        dict: :func:`new_row`'s, with ``arch_file`` and ``arch_id`` (the
        first search's, for the benchmark), ``archs`` (``search_seed``,
        ``arch_id``, ``arch_file`` of each search), ``search`` and
        ``overrides``.

    """
    archs = [{'search_seed': s['seed'], 'arch_file': s['arch_file'],
              'arch_id': '{}_search{}'.format(s['variant'], s['seed'])}
             for s in searches]
    row = new_row(key)
    row['archs'] = archs
    row['arch_file'] = archs[0]['arch_file']
    row['arch_id'] = archs[0]['arch_id']
    row['search'] = {'variant': searches[0]['variant'],
                     'seeds': [a['search_seed'] for a in archs]}
    first = archs[0]['arch_file']
    row['overrides'] = lambda seed: ['model.arch=' + first]
    return row


def arch_of(row, index):
    """The architecture of a row's ``index``-th training.

    Args:
        row (dict): the row.
        index (int): the position of the training's seed.

    Returns:
        dict: ``arch_id``, ``arch_file``, ``overrides`` (seed -> list)
        and ``search_seed`` (None for a row without ``archs``).

    """
    archs = row.get('archs')
    if not archs:
        return {'arch_id': row['arch_id'], 'arch_file': row['arch_file'],
                'overrides': row['overrides'], 'search_seed': None}
    a = archs[index % len(archs)]
    arch_file = a['arch_file']
    return {'arch_id': a['arch_id'], 'arch_file': arch_file,
            'overrides': lambda seed: ['model.arch=' + arch_file],
            'search_seed': a['search_seed']}


def matched_row(key, search, target, channels, params):
    """The record of the full FDN row with the decoder parameters of a
    searched decoder.

    Args:
        key (str): a row whose ``how`` is ``{'matched': variant}``.
        search (dict): the record of the search (``variant``, ``seed``).
        target (int): the searched decoder's parameters.
        channels (int): the depth of the full FDN nearest ``target``.
        params (int): the full FDN's decoder parameters at that depth.

    Returns:
        dict: :func:`new_row`'s, with ``arch_id``, ``matched`` and
        ``overrides``.

    """
    row = new_row(key)
    row['arch_id'] = 'full_c{}'.format(channels)
    row['matched'] = {'variant': search['variant'], 'seed': search['seed'],
                      'target_decoder_params': target,
                      'channels': channels, 'decoder_params': params}
    row['overrides'] = lambda seed: [
        'model.arch=full', 'model.channels={}'.format(channels)]
    return row


def random_row(key, search):
    """The record of the row of random sparse decoders with as many
    connections as a searched one; retrain seed ``s`` is
    ``model.random_seed=s``.

    Args:
        key (str): a row whose ``how`` is ``{'random': variant}``.
        search (dict): the record of the search (``variant``, ``seed``,
            ``n_connections``).

    Returns:
        dict: :func:`new_row`'s, with ``arch_id``, ``random`` and
        ``overrides``.

    """
    n = search['n_connections']
    row = new_row(key)
    row['arch_id'] = 'random_n{}'.format(n)
    row['random'] = {'variant': search['variant'], 'seed': search['seed'],
                     'connections': n}
    row['overrides'] = lambda seed: [
        'model.arch=random', 'model.random_connections={}'.format(n),
        'model.random_seed={}'.format(seed)]
    return row
