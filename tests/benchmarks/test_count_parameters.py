import pytest

from sparsemask.benchmarks import count_parameters
from sparsemask.benchmarks import paper_format
from sparsemask.benchmarks import unused_parameters
from tests.benchmarks.models import build
from tests.benchmarks.models import size


@pytest.mark.parametrize('mode', ['retrain', 'search'])
def test_counts_equal_an_independent_count(mode):
    model = build(mode)
    counts = count_parameters(model)
    unused = unused_parameters(model)
    # MobileNetV2's ImageNet classifier is the only unused part
    assert unused and all(n.startswith('/backbone/logits_conv/')
                          for n in unused)
    classifier = size(model.backbone.logits_conv.params())
    assert counts['encoder_unused'] == classifier
    assert counts['encoder'] == size(model.backbone.params()) - classifier
    assert counts['decoder'] == (size(model.decoder.params())
                                 + size(model.head.params()))
    assert counts['head'] == 64 * 21 + 21
    assert counts['total'] == size(model.params())
    assert (counts['encoder'] + counts['encoder_unused']
            + counts['decoder'] == counts['total'])


def test_given_unused_parameters_are_not_probed():
    model = build()
    counts = count_parameters(model)
    backbone = size(model.backbone.params())
    assert count_parameters(model, unused=[]) == dict(
        counts, encoder_unused=0, encoder=backbone,
        paper_format=paper_format(backbone, counts['decoder']))


def test_paper_architecture_gives_the_papers_counts():
    model = build(width=1.0)
    counts = count_parameters(model)
    decoder = size(model.decoder.params()) + size(model.head.params())
    assert counts['decoder'] == decoder == 560981
    assert counts['encoder'] == 2223872  # MobileNetV2 1.0 without classifier
    assert counts['paper_format'] == '2.22+0.56M'  # paper Table 1


def test_paper_format():
    assert paper_format(2223872, 560981) == '2.22+0.56M'
    # the paper's FCN baseline: a 21-class 1x1 conv on 1280 channels
    assert paper_format(2223872, 1280 * 21 + 21) == '2.22+0.03M'
    assert paper_format(45e6, 7.2e6) == '45.00+7.20M'
