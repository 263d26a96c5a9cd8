"""Data sets: VOC2012 + SBD (trainaug), ADE20K and the synthetic default."""
