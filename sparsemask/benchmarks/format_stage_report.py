"""The table of a stage benchmark."""


def format_stage_report(result):
    """Formats the result of a stage benchmark as a table.

    Args:
        result (dict): what
            :func:`~sparsemask.benchmarks.run_stage_benchmark` returns.

    Returns:
        str: the table (the device, a row per mode and stage, and on a GPU
        the kernels' bandwidth under each row).

    """
    head = ('mode', 'stage', 'inputs', 'out', 'fwd fused', 'fwd unfused',
            'ratio', 'f+b fused', 'f+b unfused', 'ratio', 'peak fused',
            'peak unfused', 'mem ratio')
    lines = [
        'device: {}, batch {}, median of {} repeats, MobileNetV2 FDN at '
        '513x513'.format(result['device'], result['batch'],
                         result['repeat']),
        ('{:<7} {:>5} {:>6} {:>7} {:>10} {:>11} {:>6} {:>10} {:>11} '
         '{:>6} {:>11} {:>12} {:>9}').format(*head)]
    for r in result['stages']:
        lines.append((
            '{mode:<7} {stage:>5} {inputs:>6} {o:>7} '
            '{fused_forward_s:>9.3f}s '
            '{unfused_forward_s:>10.3f}s {forward_speedup:>5.2f}x '
            '{fused_forward_backward_s:>9.3f}s '
            '{unfused_forward_backward_s:>10.3f}s '
            '{forward_backward_speedup:>5.2f}x {fp:>9.1f}MB {up:>10.1f}MB '
            '{peak_memory_ratio:>9.2f}').format(
                o='{}x{}'.format(*r['output']),
                fp=r['fused_peak_bytes'] / 2 ** 20,
                up=r['unfused_peak_bytes'] / 2 ** 20, **r))
        if 'kernel_bandwidth_GBps' in r:
            lines.append('      copy bandwidth {:.1f} GB/s'.format(
                r['copy_bandwidth_GBps']))
            for name, t, key in (
                    ('forward kernel', 'kernel_forward_s', 'kernel'),
                    ('accumulate step', 'accumulate_s', 'accumulate'),
                    ('backward kernels', 'kernel_backward_s',
                     'kernel_backward')):
                lines.append(
                    '      {:<17} {:8.3f} ms {:8.1f} GB/s ({:.0%} of '
                    'copy)'.format(name, 1e3 * r[t],
                                   r[key + '_bandwidth_GBps'],
                                   r[key + '_bandwidth_fraction']))
    return '\n'.join(lines)
