"""Whether the pilot of a Table 1 run lets the full run go ahead.

The pilot trains a few rows with a few seeds each; the full run is only
worth its time if the benchmark tells decoders apart: FCN above
predicting background everywhere, U-Net learning every cue, and U-Net's
spread over its seeds small against its gap to the next row.
"""

from sparsemask.utils.statistics import mean_std


def _mious(results):
    return [r['miou'] for r in results if r.get('miou') is not None]


def _fcn_check(rows, background_miou):
    name = 'fcn_above_background'
    results = rows.get('fcn')
    if not results:
        return name, False, 'FAIL FCN above background-only: no ' \
            'results'
    bar = background_miou + 0.02
    failures = []
    for r in results:
        miou = r.get('miou')
        if miou is None:
            failures.append('seed {} has no mIoU'.format(r.get('seed')))
        elif not miou > bar:
            failures.append('seed {} mIoU {:.4f} is {:.4f} below it'.format(
                r.get('seed'), miou, bar - miou))
    head = 'FCN above background-only: every seed > {:.4f} ({:.4f} + ' \
        '0.02)'.format(bar, background_miou)
    if failures:
        return name, False, 'FAIL {}: {}'.format(head, '; '.join(failures))
    return name, True, 'pass {}: {}'.format(head, ', '.join(
        'seed {} {:.4f}'.format(r.get('seed'), r['miou']) for r in results))


def _unet_cues_check(rows, cue_threshold):
    name = 'unet_cues'
    results = rows.get('unet')
    if not results:
        return name, False, 'FAIL U-Net learns every cue: no results'
    failures = []
    lowest = None
    for r in results:
        cues = r.get('cues') or {}
        if not set(cues) - {'chance'}:
            failures.append('seed {} has no cue accuracies'.format(
                r.get('seed')))
            continue
        chance = cues.get('chance') or {}
        for cue, value in cues.items():
            if cue == 'chance':
                continue
            if value is None:
                failures.append('seed {} {} has no value'.format(
                    r.get('seed'), cue))
                continue
            if lowest is None or value < lowest[2]:
                lowest = (r.get('seed'), cue, value)
            if not value >= cue_threshold:
                text = 'seed {} {} {:.4f} < {:.2f}'.format(
                    r.get('seed'), cue, value, cue_threshold)
                if chance.get(cue) is not None:
                    text += ' (chance {:.2f})'.format(chance[cue])
                failures.append(text)
    head = 'U-Net learns every cue: every seed\'s cue accuracies >= ' \
        '{:.2f}'.format(cue_threshold)
    if failures:
        return name, False, 'FAIL {}: {}'.format(head, '; '.join(failures))
    return name, True, 'pass {}: lowest seed {} {} {:.4f}'.format(
        head, *lowest)


def _unet_spread_check(rows, stats, spread_fraction):
    name = 'unet_spread'
    unet = stats.get('unet')
    if unet is None or unet['n'] < 2:
        return name, False, 'FAIL U-Net spread: needs >= 2 seeds ' \
            'with an mIoU, has {}'.format(0 if unet is None else unet['n'])
    others = [(abs(s['mean'] - unet['mean']), key)
              for key, s in stats.items()
              if key != 'unet' and s['mean'] is not None]
    if not others:
        return name, False, 'FAIL U-Net spread: no other row to ' \
            'compare with'
    gap, key = min(others)
    bar = spread_fraction * gap
    passed = unet['std'] < bar
    text = '{} U-Net spread: std {:.4f} over {} seeds {} {:.2f} x gap ' \
        '{:.4f} to the next row {} (mean {:.4f} vs U-Net {:.4f}) = ' \
        '{:.4f}'.format('pass' if passed else 'FAIL', unet['std'],
                        unet['n'], '<' if passed else '>=',
                        spread_fraction, gap, key, stats[key]['mean'],
                        unet['mean'], bar)
    return name, passed, text


def pilot_verdict(rows, background_miou, cue_threshold=0.9,
                  spread_fraction=0.25):
    """Whether the pilot's rows separate decoders enough for the full run.

    The checks: every FCN seed's mIoU is above ``background_miou + 0.02``;
    every U-Net seed's ``foreground`` and cue accuracies are at least
    ``cue_threshold``; U-Net's sample standard deviation over its seeds
    (at least two) is below ``spread_fraction`` times the gap between its
    mean mIoU and the nearest mean of another row. A missing row or one
    without results fails its check.

    Args:
        rows (dict): row key (``fcn``, ``unet``, ...) -> list of per-seed
            results, each a dict with ``seed``, ``miou`` and ``cues`` (a
            :func:`~sparsemask.evaluations.cue_accuracy` dict).
        background_miou (float): the mIoU of predicting background
            everywhere.
        cue_threshold (float): the lowest accuracy of a cue that counts
            as learnt.
        spread_fraction (float): the largest U-Net standard deviation, as
            a fraction of its gap to the next row.

    Returns:
        dict: ``passed`` (every check passed), ``checks`` (a list of
        ``{'name', 'passed', 'text'}``, the text with the numbers either
        way) and ``rows`` (key -> ``{'mean', 'std', 'n'}`` of the mIoU of
        the seeds that have one).

    """
    stats = {}
    for key, results in rows.items():
        mious = _mious(results or [])
        mean, std = mean_std(mious)
        stats[key] = {'mean': mean, 'std': std, 'n': len(mious)}
    checks = [_fcn_check(rows, background_miou),
              _unet_cues_check(rows, cue_threshold),
              _unet_spread_check(rows, stats, spread_fraction)]
    checks = [{'name': name, 'passed': passed, 'text': text}
              for name, passed, text in checks]
    return {'passed': all(c['passed'] for c in checks), 'checks': checks,
            'rows': stats}
