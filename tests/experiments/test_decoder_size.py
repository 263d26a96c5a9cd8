"""The full FDN's depth that matches a decoder size, by hand
(:mod:`sparsemask.experiments.decoder_size`)."""

from sparsemask.experiments import matched_channels


def test_matched_channels_by_hand():
    calls = []

    def count(c):       # grows with the depth
        calls.append(c)
        return 10 * c * c

    assert matched_channels(count, 250, 16) == (5, 250)       # exact
    assert matched_channels(count, 300, 16) == (5, 250)       # 250 < 360
    assert matched_channels(count, 340, 16) == (6, 360)       # nearer 360
    assert matched_channels(count, 305, 16) == (5, 250)       # a tie: 5
    assert matched_channels(count, 1, 16) == (1, 10)
    assert matched_channels(count, 10 ** 6, 16) == (16, 2560)
    assert max(calls) <= 16
