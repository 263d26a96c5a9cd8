"""Runs each bad input of issue 8 through the scripts and prints a markdown
table: the input, the exit status, the ``error:`` line (or the note) and
whether what was written before survived. The tests assert the same
things; this prints them for a report.

    .venv/bin/python tests/training/bad_input_table.py [--mpi] > table.md
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.datasets import layouts  # NOQA
from tests.training.tiny_run import command  # NOQA


def _run(cmd, timeout=300):
    start = time.time()
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True,
                       timeout=timeout, start_new_session=True)
    lines = [line for line in r.stdout.splitlines()
             if line.startswith(('error: ', 'note: ', 'resumed from'))]
    if not lines:
        lines = r.stdout.strip().splitlines()[-1:]
    return (r.returncode, ' / '.join(lines), 'Traceback' in r.stdout,
            time.time() - start)


def _files(path):
    out = {}
    for d, _, names in os.walk(path):
        for n in names:
            p = os.path.join(d, n)
            with open(p, 'rb') as f:
                out[os.path.relpath(p, path)] = f.read()
    return out


def cases(tmp, mpi):
    def out(name):
        return os.path.join(tmp, name)

    for override in ('train.iterations=0', 'train.batchsize=-1',
                     'train.crop_size=0', 'dataset.n_train=0',
                     'train.lr_decoder=-0.05', 'log.snapshot_interval=0',
                     'train.scale_range=1.5'):
        o = out(override.split('=')[0])
        yield override, command('search.py', o, override), \
            lambda o=o: 'nothing written' if not os.path.exists(o) else \
            'WROTE ' + o

    o = out('sci')
    yield ('train.sigma=1e-2 train.weight_decay=1e-4 train.lr_decoder=1e-3 '
           '(valid)'), command('search.py', o, 'train.iterations=2',
                               'train.sigma=1e-2', 'train.weight_decay=1e-4',
                               'train.lr_decoder=1e-3'), \
        lambda: 'trained, pruned; config.yaml has numbers'

    f = out('a_file')
    with open(f, 'w') as fh:
        fh.write('keep')
    yield '--out is a file', command('search.py', f), \
        lambda: 'file kept' if open(f).read() == 'keep' else 'FILE CHANGED'

    yield '--out not writable', command('search.py', '/sys/sparsemask_out'), \
        lambda: 'nothing written'

    for name, text in (('arch.yaml with a YAML syntax error',
                        'n_stages: 9\nstages:\n  D1: [E1, G\n'),
                       ('arch.yaml reading E0',
                        'n_stages: 9\nstages:\n  D1: [E0, G]\n')):
        a = out(name.replace(' ', '_') + '.yaml')
        with open(a, 'w') as fh:
            fh.write(text)
        o = out('arch_' + str(len(text)))
        yield name, command('retrain.py', o, 'model.arch=' + a), \
            lambda o=o: 'nothing written' if not os.path.exists(o) else \
            'WROTE ' + o

    # data: VOC layouts with one bad file each
    for name, damage in (('RGBA image (valid)', 'rgba'),
                         ('truncated JPEG', 'truncated'),
                         ('label out of range', 'range'),
                         ('label of another size', 'size')):
        voc = layouts.make_voc(out('voc_' + damage), ['t0', 't1', 't2', 't3'],
                               ['v0'])
        if damage == 'rgba':
            layouts.write_rgba_png(os.path.join(voc, 'JPEGImages', 't1.jpg'),
                                   layouts.image_for('vocx'))
        elif damage == 'truncated':
            layouts.write_truncated_jpeg(
                os.path.join(voc, 'JPEGImages', 't1.jpg'))
        elif damage == 'range':
            bad = layouts.label_for('voct1')
            bad[3, 3] = 40
            layouts.write_palette_png(
                os.path.join(voc, 'SegmentationClass', 't1.png'), bad)
        else:
            layouts.write_palette_png(
                os.path.join(voc, 'SegmentationClass', 't1.png'),
                layouts.label_for('voct1', size=(7, 8)))
        o = out('run_' + damage)
        yield name, command('search.py', o, 'dataset.name=voc',
                            'dataset.voc_dir=' + voc,
                            'dataset.train_split=train',
                            'train.iterations=2', 'log.eval_interval=100'), \
            lambda o=o: 'snapshots: {}'.format(
                sorted(n for n in os.listdir(o) if n.startswith('snap')))

    # resume
    full = out('full')
    subprocess.run(command('search.py', full, 'train.iterations=4',
                           'log.n_snapshots=3'), cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    crashed = out('crashed')
    shutil.copytree(full, crashed)
    newest = os.path.join(crashed, 'snapshot_iter_4')
    data = open(newest, 'rb').read()
    with open(newest, 'wb') as fh:
        fh.write(data[:len(data) // 2])
    yield '--resume, newest snapshot truncated', \
        command('search.py', crashed, 'train.iterations=4',
                'log.n_snapshots=3', '--resume'), \
        lambda: 'bad file kept in corrupt/: {}'.format(
            os.path.exists(os.path.join(crashed, 'corrupt',
                                        'snapshot_iter_4')))
    empty = out('empty_snaps')
    shutil.copytree(full, empty)
    for i in (2, 3, 4):
        open(os.path.join(empty, 'snapshot_iter_{}'.format(i)), 'wb').close()
    yield '--resume, every snapshot 0 bytes', \
        command('search.py', empty, 'train.iterations=4', '--resume'), \
        lambda: 'kept in corrupt/: {}'.format(
            sorted(os.listdir(os.path.join(empty, 'corrupt'))))
    yield '--resume with no run', command('search.py', out('none'),
                                          '--resume'), \
        lambda: 'nothing written'

    # prune.py
    prune = [sys.executable, os.path.join(ROOT, 'train', 'prune.py')]
    yield 'prune.py --search DIR/snapshot_iter_3 (non-default config)', \
        prune + ['--search', os.path.join(full, 'snapshot_iter_3'),
                 '--out', out('pruned')], lambda: 'arch.yaml written'
    bad_npz = out('connection_weights.npz')
    with open(bad_npz, 'wb') as fh:
        fh.write(open(os.path.join(full, 'connection_weights.npz'),
                      'rb').read()[:100])
    yield 'prune.py on a truncated connection_weights.npz', \
        prune + ['--search', bad_npz], lambda: '-'

    if mpi:
        mpiexec = os.path.join(os.path.dirname(sys.executable), 'mpiexec')
        voc = layouts.make_voc(out('voc_mpi'),
                               ['t{}'.format(i) for i in range(8)], ['v0'])
        bad = layouts.label_for('voct5')
        bad[2:4, 2:5] = 40
        layouts.write_palette_png(
            os.path.join(voc, 'SegmentationClass', 't5.png'), bad)
        o = out('mn')
        yield 'mpiexec -n 2, a bad label that one rank reads', \
            [mpiexec, '-n', '2'] + command(
                'search.py', o, '--communicator=naive', 'dataset.name=voc',
                'dataset.voc_dir=' + voc, 'dataset.train_split=train',
                'train.batchsize=2', 'train.iterations=8',
                'log.eval_interval=100'), lambda: 'job ended'


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--mpi', action='store_true')
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='bad_inputs_')
    print('| bad input | exit | message | traceback | kept | s |')
    print('|---|---|---|---|---|---|')
    try:
        for name, cmd, kept in cases(tmp, args.mpi):
            rc, message, tb, seconds = _run(cmd)
            print('| {} | {} | `{}` | {} | {} | {:.0f} |'.format(
                name, rc, message.replace(tmp, '$TMP').replace('|', '\\|'),
                'yes' if tb else 'no', kept(), seconds))
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
