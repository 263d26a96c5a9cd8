import numpy
import pytest

from chainercv.transforms import resize

from sparsemask.connectivity import Connectivity
from sparsemask.evaluations import predict_probabilities
from sparsemask.links import SparseMask
from tests.evaluations.models import IdentityModel
from tests.evaluations.models import PixelModel
from tests.evaluations.models import ShiftModel
from tests.evaluations.models import SizeModel
from tests.tiny_backbone import TinyBackbone

PAPER_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)


def _image(h=13, w=17, seed=0):
    return numpy.random.RandomState(seed).uniform(
        0, 255, (3, h, w)).astype(numpy.float32)


def _softmax(z, axis=0):
    z = numpy.asarray(z, dtype=numpy.float64)
    e = numpy.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_single_scale_is_the_softmax_of_the_logits():
    img = _image()
    model = IdentityModel()
    expected = _softmax((img - model.mean) / model.std)
    prob = predict_probabilities(model, img)
    assert prob.dtype == numpy.float32 and prob.shape == (3, 13, 17)
    numpy.testing.assert_allclose(prob, expected, rtol=1e-5, atol=1e-6)


def test_flip_averages_the_mirrored_prediction_mirrored_back():
    img = _image()
    model = ShiftModel()
    x = (img - model.mean) / model.std
    # the right neighbour, and after mirroring back the left neighbour
    right = numpy.concatenate((x[:, :, 1:], x[:, :, -1:]), axis=2)
    left = numpy.concatenate((x[:, :, :1], x[:, :, :-1]), axis=2)
    expected = (_softmax(right) + _softmax(left)) / 2
    prob = predict_probabilities(model, img, flip=True)
    numpy.testing.assert_allclose(prob, expected, rtol=1e-5, atol=1e-6)
    # a model that commutes with mirroring gets the same prediction
    pixel = PixelModel()
    numpy.testing.assert_allclose(
        predict_probabilities(pixel, img, flip=True),
        predict_probabilities(pixel, img), rtol=1e-5, atol=1e-6)


def test_scales_average_probabilities_of_the_scaled_inputs():
    img = _image(h=20, w=9)
    model = SizeModel()
    prob = predict_probabilities(model, img, scales=PAPER_SCALES, flip=True)
    # the model saw heights round(20 * s); probabilities (not logits) are
    # averaged
    p0 = numpy.mean([_softmax([round(20 * s) / 100, 0])[0]
                     for s in PAPER_SCALES])
    assert prob.shape == (2, 20, 9)
    numpy.testing.assert_allclose(prob[0], p0, rtol=1e-6)
    numpy.testing.assert_allclose(prob[1], 1 - p0, rtol=1e-6)


def test_a_constant_image_is_predicted_alike_at_every_scale():
    img = numpy.empty((3, 11, 14), dtype=numpy.float32)
    img[:] = numpy.array([30, 200, 90])[:, None, None]
    model = PixelModel()
    single = predict_probabilities(model, img)
    numpy.testing.assert_allclose(
        predict_probabilities(model, img, scales=PAPER_SCALES, flip=True),
        single, rtol=1e-5, atol=1e-6)


def test_a_scale_resizes_the_image_then_resizes_the_logits_back():
    img = _image(h=8, w=10)
    model = IdentityModel()
    prob = predict_probabilities(model, img, scales=(2.0,))
    # a reference with ChainerCV's resize and NumPy's bilinear interpolation
    # with aligned corners
    x = (resize(img, (16, 20)) - model.mean) / model.std
    rows = numpy.linspace(0, 15, 8)
    cols = numpy.linspace(0, 19, 10)
    logits = numpy.empty((3, 8, 10))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            r0, c0 = int(numpy.floor(r)), int(numpy.floor(c))
            r1, c1 = min(r0 + 1, 15), min(c0 + 1, 19)
            a, b = r - r0, c - c0
            logits[:, i, j] = ((1 - a) * (1 - b) * x[:, r0, c0] +
                               (1 - a) * b * x[:, r0, c1] +
                               a * (1 - b) * x[:, r1, c0] +
                               a * b * x[:, r1, c1])
    numpy.testing.assert_allclose(prob, _softmax(logits), rtol=1e-4,
                                  atol=1e-5)


def test_padding_uses_the_mean_pixel_and_is_cropped_away():
    img = _image(h=5, w=7)
    # the identity model: a wrong crop (or padding on the top or left)
    # would move the pixels
    model = IdentityModel()
    numpy.testing.assert_allclose(
        predict_probabilities(model, img, pad_to=(9, 12)),
        predict_probabilities(model, img), rtol=1e-6)
    # the model saw the padded height
    prob = predict_probabilities(SizeModel(), img, pad_to=(9, 12))
    numpy.testing.assert_allclose(prob[0], _softmax([0.09, 0])[0],
                                  rtol=1e-6)
    # an image larger than pad_to is not cropped
    prob = predict_probabilities(SizeModel(), img, pad_to=(3, 3))
    numpy.testing.assert_allclose(prob[0], _softmax([0.05, 0])[0],
                                  rtol=1e-6)


def test_padded_pixels_are_the_mean_pixel():
    img = _image(h=4, w=4)

    class Recorder(IdentityModel):
        def forward(self, x):
            self.seen = x
            return super(Recorder, self).forward(x)

    model = Recorder()
    predict_probabilities(model, img, pad_to=(7, 9))
    assert model.seen.shape == (1, 3, 7, 9)
    # centred: 1 row above, 2 below, 2 columns left, 3 right
    x = (img - model.mean) / model.std
    numpy.testing.assert_allclose(model.seen[0, :, 1:5, 2:6], x, rtol=1e-6)
    inside = numpy.zeros((7, 9), dtype=bool)
    inside[1:5, 2:6] = True
    assert (model.seen[0][:, ~inside] == 0).all()


def test_argmax_equals_sparse_mask_predict():
    model = SparseMask(TinyBackbone(), 5, connectivity=Connectivity.full(3),
                       channels=6)
    img = _image(h=19, w=23)
    prob = predict_probabilities(model, img)
    numpy.testing.assert_array_equal(prob.argmax(axis=0),
                                     model.predict([img])[0])
    numpy.testing.assert_allclose(prob.sum(axis=0), 1, rtol=1e-5)
    prob = predict_probabilities(model, img, scales=PAPER_SCALES, flip=True,
                                 pad_to=(32, 32))
    assert prob.shape == (5, 19, 23)
    numpy.testing.assert_allclose(prob.sum(axis=0), 1, rtol=1e-5)


@pytest.mark.parametrize('scales', [(), (1.0, 0.0), (-1.0,)])
def test_bad_scales_are_refused(scales):
    with pytest.raises(ValueError, match='scale'):
        predict_probabilities(IdentityModel(), _image(), scales=scales)
