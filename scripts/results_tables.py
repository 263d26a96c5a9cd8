"""Writes docs/results.md: the measured results as tables, from the JSON
files under eval/results/ (never typed by hand).

Usage::

    python scripts/results_tables.py            # rewrite docs/results.md
    python scripts/results_tables.py --check    # exit 1 if it is stale

A test runs ``--check``, so a JSON rerun without regenerating the page
fails CI. The script uses only the standard library.
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, 'eval', 'results')
PAGE = os.path.join(ROOT, 'docs', 'results.md')
MB = 2 ** 20


def _load(*parts):
    path = os.path.join(RESULTS, *parts)
    if not os.path.isfile(path):
        return None, os.path.relpath(path, ROOT)
    with open(path) as f:
        return json.load(f), os.path.relpath(path, ROOT)


def model_benchmark(name, title):
    """The table of one ``eval/bench_model.py`` JSON."""
    r, path = _load(name)
    if r is None or 'train' not in r:
        return []
    lines = ['### {}'.format(title), '',
             '`{}`: {}, {}, {} connections, {}; OPENBLAS_NUM_THREADS={}, '
             'ONNX Runtime threads {}{}, median of {} ({} for training '
             'steps){}.'.format(
                 path, r['device'], r['parameters']['paper_format'],
                 r['n_connections'], r['time'], r['blas_threads'],
                 r['threads'], ' in its own process'
                 if r.get('onnxruntime_process') else '', r['repeat'],
                 r['train_repeat'], '; malloc keeping freed blocks '
                 '(reuse_freed_memory)' if r.get('reuse_freed_memory')
                 else ''), '',
             '| measurement | ours | stock Chainer | ours vs stock | '
             'ONNX Runtime | ours vs ONNX Runtime |',
             '|---|---|---|---|---|---|']
    h, w = r['size']
    for row in r['throughput']:
        ort = row.get('onnxruntime')
        lines.append('| images/s, {}x{}, batch {} | {:.2f} | {:.2f} | {:.2f}x '
                     '| {} | {} |'.format(
                         h, w, row['batch'], row['ours']['images_per_s'],
                         row['stock']['images_per_s'], row['ours_over_stock'],
                         '{:.2f}'.format(ort['images_per_s']) if ort else '-',
                         '{:.2f}x'.format(row['ours_over_onnxruntime'])
                         if ort else '-'))
    for row in r['train']:
        crop = '{}x{}, batch {}'.format(row['crop'][0], row['crop'][1],
                                        row['batch'])
        lines.append('| training step s, {} | {:.3f} | {:.3f} | {:.2f}x '
                     'faster | - | - |'.format(
                         crop, row['ours']['time']['median_s'],
                         row['stock']['time']['median_s'],
                         row['stock_over_ours_time']))
        lines.append('| training step peak MB, {} | {:.0f} | {:.0f} | {:.2f}x '
                     '| - | - |'.format(
                         crop, row['ours']['memory']['total_bytes'] / MB,
                         row['stock']['memory']['total_bytes'] / MB,
                         row['ours_over_stock_memory']['total_bytes']))
    return lines + ['']


def kernel_benchmark():
    """The table of ``eval/bench_kernels.py``'s CPU JSON."""
    r, path = _load('bench_kernels_cpu.json')
    if r is None:
        return []
    lines = ['### The fused FDN stage against the stock stage', '',
             '`{}`: {}, batch {}, median of {}, MobileNetV2 FDN at '
             '513x513.'.format(path, r['device'], r['batch'], r['repeat']),
             '', '| mode | stage | inputs | output | forward speed-up | '
             'forward+backward speed-up | peak memory fused / stock |',
             '|---|---|---|---|---|---|---|']
    for s in r['stages']:
        lines.append('| {} | {} | {} | {}x{} | {:.2f}x | {:.2f}x | {:.0f} / '
                     '{:.0f} MB ({:.2f}x) |'.format(
                         s.get('mode', 'search'), s['stage'], s['inputs'],
                         s['output'][0], s['output'][1], s['forward_speedup'],
                         s['forward_backward_speedup'],
                         s['fused_peak_bytes'] / MB,
                         s['unfused_peak_bytes'] / MB,
                         s['peak_memory_ratio']))
    return lines + ['']


def table1():
    """Table 1 on the synthetic protocol, from its JSON."""
    r, path = _load('table1_synthetic', 'table1.json')
    if r is None:
        return []
    lines = ['## Table 1, synthetic protocol', '',
             '`{}` ({}); mean and std of the validation mIoU over the retrain '
             'seeds at the tuned decoder learning rate. These rows do not '
             'separate: see docs/table1.md.'.format(path, r.get('date', '')),
             '', '| row | mIoU mean | std | n | tuned lr | connections | '
             'paper (VOC val) |', '|---|---|---|---|---|---|---|']
    for row in r['rows']:
        mean = row.get('miou_mean')
        lines.append('| {} | {} | {} | {} | {} | {} | {} |'.format(
            row['label'],
            '-' if mean is None else '{:.2f}'.format(100 * mean),
            '-' if row.get('miou_std') is None else '{:.2f}'.format(
                100 * row['miou_std']),
            row.get('n', '-'),
            '-' if row.get('tuned_lr') is None else '{:g}'.format(
                row['tuned_lr']),
            '-' if row.get('connections') is None else row['connections'],
            '-' if row.get('paper_miou') is None else '{:.2f}'.format(
                row['paper_miou'])))
    return lines + ['']


def table1_benchmark():
    """Table 1 on the synthetic benchmark with the pretrained encoder."""
    r, path = _load('table1_benchmark', 'table1.json')
    if r is None:
        return []
    p = r['protocol']
    lines = ['## Table 1, synthetic benchmark, pretrained encoder', '',
             '`{}` ({}; `{}`); final mIoU (%) on the {} test images, mean, '
             'std and 95% interval of the mean over the retrain seeds at the '
             'decoder learning rate tuned on the val split; SparseMask - '
             'row paired by seed.'.format(path, r.get('date', ''),
                                          r['command'], p.get('n_test')),
             '', '| row | mean | std | n | 95% interval | tuned lr | '
             'connections | SparseMask - row | paper (VOC val) |',
             '|---|---|---|---|---|---|---|---|---|']
    paired = {c['row']: c for c in r.get('comparisons') or []}

    def pct(x):
        return '-' if x is None else '{:.2f}'.format(100 * x)

    for row in r['rows']:
        ci = row.get('interval') or {}
        c = paired.get(row['key'])
        lines.append('| {} | {} | {} | {} | {} | {} | {} | {} | {} |'.format(
            row['label'], pct(row.get('miou_mean')), pct(row.get('miou_std')),
            row.get('n', '-'),
            '-' if ci.get('low') is None else '[{}, {}]'.format(
                pct(ci['low']), pct(ci['high'])),
            '-' if row.get('tuned_lr') is None else '{:g}'.format(
                row['tuned_lr']),
            '-' if row.get('connections') is None else row['connections'],
            '-' if c is None or c.get('mean') is None else
            '{:+.2f} [{}, {}]'.format(100 * c['mean'], pct(c['low']),
                                      pct(c['high'])),
            '-' if row.get('paper_miou') is None else '{:.2f}'.format(
                row['paper_miou'])))
    return lines + ['']


def tasks():
    """The synthetic saliency and edge runs."""
    lines = []
    for task, keys in (('saliency', ('max_fbeta', 'mean_fbeta', 'mae')),
                       ('edge', ('ods', 'ois', 'ap'))):
        r, path = _load('tasks', task, 'eval_val_single_scale.json')
        if r is None:
            continue
        if not lines:
            lines = ['## Other tasks, synthetic data', '',
                     '| task | file | ' + ' | '.join(
                         ('metric',) * 3) + ' |', '|---|---|---|---|---|']
        lines.append('| {} | `{}` | {} |'.format(task, path, ' | '.join(
            '{} {:.3f}'.format(k, r[k]) for k in keys)))
    return lines + [''] if lines else []


def render():
    """The page's text."""
    lines = ['# Measured results', '',
             'Generated by `scripts/results_tables.py` from the JSON files '
             'under `eval/results/`; do not edit by hand. Back to the '
             '[README](../README.md).', '', '## Speed and memory on the CPU',
             '']
    lines += model_benchmark('bench_model_cpu_paper.json',
                             "The paper's architecture (15 connections)")
    lines += model_benchmark('bench_model_cpu_full.json',
                             'The full FDN (90 connections)')
    lines += kernel_benchmark()
    lines += table1_benchmark()
    lines += table1()
    lines += tasks()
    return '\n'.join(lines).rstrip('\n') + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if docs/results.md is not what the '
                        'JSON files give')
    parser.add_argument('--out', default=PAGE)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        try:
            with open(args.out) as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            print('error: {} is stale: run python scripts/results_tables.py'
                  .format(os.path.relpath(args.out, ROOT)))
            return 1
        print('{} is up to date'.format(os.path.relpath(args.out, ROOT)))
        return 0
    with open(args.out, 'w') as f:
        f.write(text)
    print('wrote {}'.format(os.path.relpath(args.out, ROOT)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
