from sparsemask.benchmarks import format_model_report

MB = 2 ** 20


def _result(onnxruntime):
    variants = ['ours', 'stock'] + (['onnxruntime'] if onnxruntime else [])
    row = {'batch': 1, 'ours_over_stock': 2.0}
    for k, name in enumerate(variants):
        row[name] = {'median_s': 0.5, 'times_s': [0.5],
                     'images_per_s': 10.0 / (k + 1)}
    if onnxruntime:
        row['ours_over_onnxruntime'] = 3.0
    memory = {'parameters_and_gradients': 2 * MB, 'activation_bytes': 4 * MB,
              'total_bytes': 8 * MB}
    outputs = {'max_abs_diff': 1e-6, 'max_abs_logit': 3.0,
               'tolerance': 1e-4, 'agree': True}
    if onnxruntime:
        outputs['onnxruntime_max_abs_diff'] = 2e-6
    return {
        'mode': 'retrain', 'backbone': 'mobilenetv2',
        'width_multiplier': 1.0, 'arch': '/repo/configs/arch/a.yaml',
        'n_connections': 15, 'decoder_channels': 64, 'n_class': 21,
        'device': 'cpu: x86_64 (2 cores)', 'repeat': 5, 'train_repeat': 3,
        'warmup': 1, 'blas_threads': '1', 'threads': 1,
        'parameters': {'paper_format': '2.22+0.56M', 'encoder': 2223872,
                       'decoder': 560981, 'decoder_stages': 559616,
                       'head': 1365, 'encoder_unused': 1282281},
        'onnxruntime': onnxruntime, 'size': [512, 512],
        'throughput': [row],
        'train': [{'batch': 2, 'crop': [321, 321],
                   'ours': {'time': {'median_s': 1.0}, 'memory': memory},
                   'stock': {'time': {'median_s': 3.0},
                             'memory': dict(memory, activation_bytes=8 * MB)},
                   'stock_over_ours_time': 3.0}],
        'memory_method': 'tracemalloc peak', 'outputs': outputs,
        'load_average_start': [1.0, 1.0, 1.0],
        'load_average_end': [1.5, 1.0, 1.0],
    }


def test_report_without_onnxruntime():
    lines = format_model_report(_result(False), root='/repo').splitlines()
    assert lines[0] == ('SparseMask retrain model: mobilenetv2 (width 1.0), '
                        'decoder configs/arch/a.yaml (15 connections, depth '
                        '64), 21 classes')
    assert lines[2].startswith('parameters: 2.22+0.56M (encoder 2,223,872 '
                               '+ decoder 560,981')
    assert lines[4].split() == ['ours', 'stock', 'ours/stock']
    assert lines[5].split()[-3:] == ['10.000', '5.000', '2.00x']
    assert lines[6] == ('training step, batch 2 crop 321x321 (tracemalloc '
                        'peak):')
    assert lines[7].split()[-5:] == ['1.000', 's', '3.000', 's', '3.00x']
    assert lines[9].split()[-5:] == ['4.0', 'MB', '8.0', 'MB', '0.50x']
    assert lines[-2].endswith('(largest logit 3, tolerance 0.0001): agree')
    assert 'onnxruntime' not in lines[-2]
    assert lines[-1] == ('load average: 1.00 1.00 1.00 at the start, 1.50 '
                         '1.00 1.00 at the end')


def test_report_with_onnxruntime_and_paths_outside_root():
    lines = format_model_report(_result(True)).splitlines()
    assert 'decoder /repo/configs/arch/a.yaml' in lines[0]
    assert lines[4].split() == ['ours', 'stock', 'ours/stock',
                                'onnxruntime', 'ours/ort']
    assert lines[5].split()[-2:] == ['3.333', '3.00x']
    assert 'max |onnxruntime - ours| = 2e-06' in lines[-2]
