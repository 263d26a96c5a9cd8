from sparsemask.benchmarks import train_memory
from sparsemask.benchmarks import train_time
from tests.benchmarks.models import build
from tests.benchmarks.models import size


def test_training_memory_is_positive_and_grows_with_the_batch():
    model = build()
    m2 = train_memory(model, 2, 64, 21, model.xp)
    m4 = train_memory(model, 4, 64, 21, model.xp)
    for m in (m2, m4):
        assert m['peak_step_bytes'] > 0
        assert m['activation_bytes'] > 0
        assert m['parameter_bytes'] == 4 * size(model.params())
        # every used parameter gets a gradient
        assert m['gradient_bytes'] == 4 * (
            size(model.params())
            - size(model.backbone.logits_conv.params()))
        assert m['parameters_and_gradients'] == (m['parameter_bytes']
                                                 + m['gradient_bytes'])
        assert m['total_bytes'] == (m['parameter_bytes'] + m['input_bytes']
                                    + m['peak_step_bytes'])
    assert m4['gradient_bytes'] == m2['gradient_bytes']
    assert m4['activation_bytes'] > 1.5 * m2['activation_bytes']
    assert m4['input_bytes'] == 2 * m2['input_bytes']


def test_train_time_times_each_variant_and_clears_the_gradients():
    models = {'ours': build(fused=True), 'stock': build(fused=False)}
    times = train_time(models, 1, (32, 40), 21, models['ours'].xp,
                       repeat=2, warmup=0)
    assert set(times) == {'ours', 'stock'}
    for name, t in times.items():
        assert len(t['times_s']) == 2 and t['median_s'] > 0
        assert all(p.grad is None for p in models[name].params())
