"""The table of a model benchmark."""

import os

MB = 2 ** 20


def _short(path, root):
    # a path inside root relative to it
    if root and os.path.isabs(path) and path.startswith(root + os.sep):
        return os.path.relpath(path, root)
    return path


def format_model_report(result, root=None):
    """Formats a result as a table.

    Args:
        result (dict): what
            :func:`~sparsemask.benchmarks.run_model_benchmark` returns.
        root (str): paths inside this directory (the repository) are
            shown relative to it.

    Returns:
        str: the table.

    """
    p = result['parameters']
    lines = [
        'SparseMask {} model: {} (width {}), decoder {} ({}, '
        'depth {}), {} classes'.format(
            result['mode'], result['backbone'], result['width_multiplier'],
            _short(result['arch'], root),
            'no FDN' if result['n_connections'] is None else
            '{} connections'.format(result['n_connections']),
            result['decoder_channels'], result['n_class']),
        'device: {}; median of {} repeats ({} for training steps) after '
        '{} warm-up; OPENBLAS_NUM_THREADS={}, ONNX Runtime threads {}; '
        'malloc {}'.format(
            result['device'], result['repeat'], result['train_repeat'],
            result['warmup'], result['blas_threads'], result['threads'],
            'keeps freed blocks (reuse_freed_memory)'
            if result.get('reuse_freed_memory') else "glibc's default")
        + ("; ONNX Runtime in its own process"
           if result.get('onnxruntime_process') else ''),
        'parameters: {} (encoder {:,} + decoder {:,} = stages {:,} + head '
        '{:,}; unused encoder parameters not counted: {:,})'.format(
            p['paper_format'], p['encoder'], p['decoder'],
            p['decoder_stages'], p['head'], p['encoder_unused']),
        '',
    ]
    ort = result['onnxruntime']
    header = '{:<34} {:>12} {:>12} {:>10}'.format('', 'ours', 'stock',
                                                   'ours/stock')
    if ort:
        header += ' {:>12} {:>10}'.format('onnxruntime', 'ours/ort')
    lines.append(header)
    h, w = result['size']
    for row in result['throughput']:
        line = '{:<34} {:>12.3f} {:>12.3f} {:>9.2f}x'.format(
            'test images/s {}x{} batch {}'.format(h, w, row['batch']),
            row['ours']['images_per_s'], row['stock']['images_per_s'],
            row['ours_over_stock'])
        if ort:
            line += ' {:>12.3f} {:>9.2f}x'.format(
                row['onnxruntime']['images_per_s'],
                row['ours_over_onnxruntime'])
        lines.append(line)
    for row in result['train']:
        lines.append('training step, batch {} crop {}x{} ({}):'.format(
            row['batch'], row['crop'][0], row['crop'][1],
            result['memory_method']))
        o, st = row['ours'], row['stock']
        lines.append('{:<34} {:>10.3f} s {:>10.3f} s {:>9.2f}x'.format(
            '  time (stock/ours: speed-up)', o['time']['median_s'],
            st['time']['median_s'], row['stock_over_ours_time']))
        for label, key in (('params+grads', 'parameters_and_gradients'),
                           ('activations', 'activation_bytes'),
                           ('total (with input)', 'total_bytes')):
            a, b = o['memory'][key], st['memory'][key]
            lines.append('{:<34} {:>9.1f} MB {:>9.1f} MB {:>9.2f}x'.format(
                '  ' + label, a / MB, b / MB, a / b))
    o = result['outputs']
    lines.append('')
    text = 'outputs: max |ours - stock| = {:.3g}'.format(o['max_abs_diff'])
    if 'onnxruntime_max_abs_diff' in o:
        text += ', max |onnxruntime - ours| = {:.3g}'.format(
            o['onnxruntime_max_abs_diff'])
    lines.append(text + ' (largest logit {:.3g}, tolerance {:g}): {}'.format(
        o['max_abs_logit'], o['tolerance'],
        'agree' if o['agree'] else 'DISAGREE'))
    lines.append('load average: {} at the start, {} at the end'.format(
        ' '.join('{:.2f}'.format(v) for v in result['load_average_start']),
        ' '.join('{:.2f}'.format(v) for v in result['load_average_end'])))
    return '\n'.join(lines)
