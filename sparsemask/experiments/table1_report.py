"""The report of Table 1: the markdown table and the JSON of the results.

:func:`format_report` writes ``table1.md`` from
:meth:`~sparsemask.experiments.Table1.result`; :func:`json_default` lets
:func:`json.dumps` write the NumPy numbers and sets it holds.
"""

import math
import os

import numpy


def json_default(x):
    """Converts what :func:`json.dumps` cannot write itself.

    Args:
        x: a NumPy integer or float, a set or a NaN.

    Returns:
        int, float, list or None: ``x`` as JSON (NaN as None).

    Raises:
        TypeError: for anything else.

    """
    if isinstance(x, (numpy.integer,)):
        return int(x)
    if isinstance(x, (numpy.floating,)):
        return float(x)
    if isinstance(x, (set, frozenset)):
        return sorted(x)
    if isinstance(x, float) and math.isnan(x):
        return None
    raise TypeError('not JSON serialisable: {!r}'.format(type(x)))


def _shown_path(path, repo_root):
    if repo_root is not None and path.startswith(repo_root):
        return os.path.relpath(path, repo_root)
    return path


def format_miou(x):
    """An mIoU in %.

    Args:
        x (float or None): the mIoU, in [0, 1].

    Returns:
        str: e.g. ``63.80``; ``-`` for None.

    """
    return '-' if x is None else '{:.2f}'.format(100 * x)


def format_change(level):
    """How much a loss changed at the end of a training.

    Args:
        level (dict or None):
            :func:`~sparsemask.utils.statistics.loss_levelled`'s.

    Returns:
        str: e.g. ``-1.2% over the last 2 log entries``.

    """
    if level is None or level.get('relative_change') is None:
        return 'change -'
    return '{:+.1f}% over the last {} log entries{}'.format(
        100 * level['relative_change'], level['window'],
        '' if level['levelled'] else ' (not levelled)')


def format_mean(row):
    """A row's val mIoU over its seeds.

    Args:
        row (dict): the row (``n``, ``miou_mean``, ``miou_std``).

    Returns:
        str: ``mean ± std (n)`` in %; ``-`` without a result.

    """
    if not row.get('n'):
        return '-'
    text = '{:.2f}'.format(100 * row['miou_mean'])
    if row['miou_std'] is not None:
        text += ' ± {:.2f}'.format(100 * row['miou_std'])
    return text + ' ({})'.format(row['n'])


def format_interval(interval):
    """A 95% interval of a mean in %.

    Args:
        interval (dict or None):
            :func:`~sparsemask.utils.confidence_interval.confidence_interval`'s.

    Returns:
        str: e.g. ``[61.20, 64.10] (±1.45)``; ``-`` without one.

    """
    if not interval or interval.get('half_width') is None:
        return '-'
    return '[{:.2f}, {:.2f}] (±{:.2f})'.format(
        100 * interval['low'], 100 * interval['high'],
        100 * interval['half_width'])


def format_params(row):
    """The parameters of a row's model.

    Args:
        row (dict): the row (``parameters``, ``parameters_per_seed``).

    Returns:
        str: the paper's ``2.22+0.56M`` and the exact encoder+decoder
        counts (the scaled-down models' are too small for two decimals of
        M); their ranges when the seeds' models differ.

    """
    p = row.get('parameters')
    if p is None:
        return '-'
    text = '{} ({:,}+{:,})'.format(p['paper_format'], p['encoder'],
                                   p['decoder'])
    others = row.get('parameters_per_seed')
    if others:
        decs = [q['decoder'] for q in others]
        encs = [q['encoder'] for q in others]
        if min(decs) != max(decs) or min(encs) != max(encs):
            return '{} (seeds: {:,}-{:,} + {:,}-{:,})'.format(
                p['paper_format'], min(encs), max(encs), min(decs),
                max(decs))
    return text


def format_levelled(row):
    """How many of a row's trainings levelled off.

    Args:
        row (dict): the row (``levelled``).

    Returns:
        str: e.g. ``yes 3/3 (max 1.2%)``; ``-`` without a training.

    """
    lev = row.get('levelled')
    if not lev or not lev['of']:
        return '-'
    word = 'yes' if lev['levelled'] == lev['of'] else 'no'
    change = lev['max_abs_change']
    return '{} {}/{}{}'.format(
        word, lev['levelled'], lev['of'],
        '' if change is None else ' (max {:.1f}%)'.format(100 * change))


def format_report(result, repo_root=None):
    """The markdown report: the table, the grid, the stability study.

    Args:
        result (dict): :meth:`~sparsemask.experiments.Table1.result`.
        repo_root (str): the config is shown relative to it when it lies
            under it (default: as it is).

    Returns:
        str: markdown.

    """
    p = result['protocol']
    bench_info = result['benchmark'] or {}
    split = p.get('eval_split', 'val')
    grid_seeds = p.get('grid_seeds') or p['seeds'][:1]
    if p.get('tune_split') == 'val':
        tuning = 'the val split ({} examples)'.format(p['n_val'])
        sizes = '{} training / {} val / {} test examples'.format(
            p['n_train'], p['n_val'], p.get('n_test'))
    else:
        tuning = 'the last {} training examples held out'.format(
            p['holdout'])
        sizes = '{} training / {} val examples'.format(p['n_train'],
                                                       p['n_val'])
    main = p.get('main_rows')
    seeds_text = ' '.join(map(str, p['seeds']))
    if main is not None:
        seeds_text = '{} for {}, the first {} for the others'.format(
            seeds_text, ', '.join(main), p.get('other_seeds'))
    lines = [
        '# Table 1: decoders on one protocol',
        '',
        'config: `{}`{}; {} classes, {}.'.format(
            _shown_path(result['config'], repo_root),
            ' + ' + ' '.join(result['overrides']) if result['overrides']
            else '', p['n_class'], sizes),
        'mIoU: final {} mIoU (%), mean ± sample std over retrain seeds {} '
        '(n), and the 95% interval of the mean (Student\'s t); each row at '
        'the decoder lr with the best mean final mIoU on {} over seeds {} '
        '(grid {}), never on {}. A searched row takes the architectures of '
        'search seeds {} in turn over its seeds.'.format(
            split, seeds_text, tuning, ' '.join(map(str, grid_seeds)),
            ' '.join('{:g}'.format(x) for x in p['lr_grid']), split,
            ' '.join(map(str, p['search_seeds'])) or '-'),
        'params: encoder+decoder (decoder = stages + head), as the paper '
        'counts them (the encoder without the stages the decoder does not '
        'read); images/s: test phase, batch {} at {}, median of {} '
        '({}); levelled: |mean loss of the last {:.0f}% of the log - the '
        '{:.0f}% before| / before < {:.0f}%, trainings of the row.'.format(
            bench_info.get('batch', '-'),
            'x'.join(map(str, bench_info.get('size', []))) or '-',
            bench_info.get('repeat', '-'), bench_info.get('device', '-'),
            100 * p['level_window'], 100 * p['level_window'],
            100 * p['level_threshold']),
        '',
        '| method | mIoU mean ± std (n) | 95% interval | params | '
        'images/s | connections | tuned lr | levelled | paper (VOC) |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for row in result['rows']:
        if row.get('note'):
            lines.append('| {} | {} | | | | | | | |'.format(
                row['label'], 'not run: ' + row['note']))
            continue
        ips = row.get('images_per_s')
        lines.append('| {} | {} | {} | {} | {} | {} | {} | {} | {} |'.format(
            row['label'], format_mean(row),
            format_interval(row.get('interval')), format_params(row),
            '-' if ips is None else '{:.1f}'.format(ips),
            '-' if row.get('connections') is None else row['connections'],
            '-' if row.get('tuned_lr') is None else
            '{:g}'.format(row['tuned_lr']),
            format_levelled(row),
            '-' if row['paper_miou'] is None else
            '{:.2f}'.format(row['paper_miou'])))
    lines += _comparison_lines(result.get('comparisons'))
    lines += _cue_lines(result['rows'])
    # per seed
    lines += ['', '## Per seed ({} mIoU %)'.format(split), '',
              '| method | ' + ' | '.join('seed {}'.format(s)
                                        for s in p['seeds']) + ' |',
              '|---|' + '---|' * len(p['seeds'])]
    for row in result['rows']:
        runs = {r['seed']: r for r in row.get('runs', [])}
        lines.append('| {} | {} |'.format(row['label'], ' | '.join(
            ('FAILED' if runs[s]['failed']
             else format_miou(runs[s]['val_miou']) + (
                 ' (search {})'.format(runs[s]['search_seed'])
                 if runs[s].get('search_seed') is not None else ''))
            if s in runs else '-' for s in p['seeds'])))
    # grid
    lines += ['', '## Learning-rate grid (final mIoU % on {}, mean over '
              'seeds {})'.format(tuning, ' '.join(map(str, grid_seeds))),
              '',
              '| method | ' + ' | '.join('lr {:g}'.format(x)
                                        for x in p['lr_grid']) +
              ' | chosen |', '|---|' + '---|' * (len(p['lr_grid']) + 1)]
    for row in result['rows']:
        grid = {g['lr']: g for g in row.get('grid', [])}
        cells = []
        for lr in p['lr_grid']:
            g = grid.get(lr)
            cells.append('-' if g is None else 'diverged' if g['failed']
                         else format_miou(g['holdout_miou']))
        lines.append('| {} | {} | {} |'.format(
            row['label'], ' | '.join(cells),
            '-' if row.get('tuned_lr') is None else
            '{:g}'.format(row['tuned_lr'])))
    # rows built from a search
    extra = []
    for row in result['rows']:
        if row.get('matched'):
            m = row['matched']
            extra.append('- {}: depth {} -> {:,} decoder parameters (target '
                         '{:,}, the searched decoder at the config\'s '
                         'depth).'.format(row['label'], m['channels'],
                                          m['decoder_params'],
                                          m['target_decoder_params']))
        if row.get('random'):
            extra.append('- {}: {} connections, model.random_seed = the '
                         'retrain seed (the params/images/s columns show '
                         'seed {}\'s).'.format(
                             row['label'], row['random']['connections'],
                             p['seeds'][0] if p['seeds'] else '-'))
    if extra:
        lines += [''] + extra
    # searches
    if result['searches']:
        lines += ['', '## Searches', '',
                  '| search | seed | connections kept | task loss levelled '
                  '| sparse loss change |', '|---|---|---|---|---|']
        for s in result['searches']:
            lines.append('| {} | {} | {} | {} | {} |'.format(
                s['variant'], s['seed'],
                'diverged' if s['failed'] else s['n_connections'],
                format_change(s['loss']), format_change(s.get('sparse_loss'))))
    for variant, st in result['stability'].items():
        lines += ['', '## Search stability: {} (seeds {})'.format(
            variant, ' '.join(map(str, st['search_seeds']))), '']
        lines.append('connections kept: ' + ', '.join(
            'seed {}: {}'.format(s, n) for s, n in
            st['n_connections'].items()))
        if st['failed']:
            lines.append('diverged: ' + ', '.join(st['failed']))
        lines.append('')
        lines.append('pairwise Jaccard of the kept sets: ' + ', '.join(
            '{}-{}: {:.2f}'.format(pair['seeds'][0], pair['seeds'][1],
                                   pair['jaccard'])
            for pair in st['pairwise_jaccard']) + (
            '; mean {:.2f}'.format(st['mean_jaccard'])
            if st['mean_jaccard'] is not None else ''))
        lines.append('')
        freq = st['selection_frequency']
        always = [c for c, f in freq.items() if f == 1]
        some = [(c, f) for c, f in freq.items() if f < 1]
        lines.append('selection frequency: kept by every search ({}): '
                     '{}'.format(len(always), ' '.join(always) or '-'))
        lines.append('')
        lines.append('kept by some ({}): {}'.format(len(some), ', '.join(
            '{} {:.2f}'.format(c, f) for c, f in some) or '-'))
        if st['retrained']:
            lines += ['', 'retrained (lr {:g}, {} mIoU %):'.format(
                st['retrain_lr'], split), '']
            for r in st['retrained']:
                lines.append('- search seed {} ({} connections): {}'.format(
                    r['search_seed'], r['n_connections'], ', '.join(
                        'seed {}: {}'.format(
                            x['seed'], 'FAILED' if x['failed']
                            else format_miou(x['val_miou']))
                        for x in r['runs'])))
    if result.get('pilot'):
        pilot = result['pilot']
        lines += ['', '## Pilot gate: {}'.format(
            'passed' if pilot['passed'] else 'refused'), '']
        lines += ['- ' + c['text'] for c in pilot['checks']]
    if result['warnings']:
        lines += ['', '## Warnings', ''] + [
            '- ' + w for w in result['warnings']]
    t = result['timing']
    lines += ['', 'trainings: {} ({:.0f} s of training in all); run '
              'now: {} ({:.0f} s, {} at a time), reused: {}; elapsed {:.0f} '
              's; {}.'.format(
                  t['trainings'], t.get('training_s_all', 0), t['ran'],
                  t['training_s'], p.get('jobs', 1), t['cached'],
                  t['elapsed_s'], result['date'])]
    return '\n'.join(lines) + '\n'


def _comparison_lines(comparisons):
    # SparseMask - each row, paired by seed
    if not comparisons:
        return []
    lines = ['', '## SparseMask against each row, paired by retrain seed',
             '', 'difference of mIoU (%), SparseMask - row, over the seeds '
             'both have (same seed: same decoder initialisation and data '
             'order); separated: the 95% interval excludes 0.', '',
             '| row | seeds | mean difference | 95% interval | wins/losses '
             '| separated |', '|---|---|---|---|---|---|']
    for c in comparisons:
        lines.append('| {} | {} | {} | {} | {}/{} | {} |'.format(
            c['label'], ' '.join(map(str, c['seeds'])) or '-',
            '-' if c['mean'] is None else '{:+.2f}'.format(100 * c['mean']),
            format_interval(c), c['wins'], c['losses'],
            {True: 'yes', False: 'no', None: '-'}[c['separated']]))
    return lines


def _cue_lines(rows):
    # per row: cue accuracies and per-class IoU, means over the seeds
    rows = [r for r in rows if r.get('cues_mean') or r.get('iou_mean')]
    if not rows:
        return []
    cues = []
    classes = []
    for r in rows:
        for k in (r.get('cues_mean') or {}):
            if k not in cues:
                cues.append(k)
        for k in (r.get('iou_mean') or {}):
            if k not in classes:
                classes.append(k)
    lines = ['', '## What each row learns (means over its seeds)', '',
             'cue accuracies from the confusion matrix: foreground = '
             'background/object right; each cue = on object pixels '
             'predicted as an object, the fraction whose predicted class '
             'has the right value of the cue. Then the IoU of each class '
             '(%).', '',
             '| method | ' + ' | '.join(cues + classes) + ' |',
             '|---|' + '---|' * (len(cues) + len(classes))]
    for r in rows:
        c = r.get('cues_mean') or {}
        i = r.get('iou_mean') or {}
        lines.append('| {} | {} |'.format(r['label'], ' | '.join(
            ['-' if c.get(k) is None else '{:.3f}'.format(c[k])
             for k in cues] +
            [format_miou(i.get(k)) for k in classes])))
    return lines
