"""SparseMask: differentiable connectivity search for dense prediction.

Install with the pins of ``constraints.txt`` (``make test`` and ``make demo``
do this for you)::

    pip install "setuptools<74" wheel numpy==1.23.5
    pip install --no-build-isolation -c constraints.txt -e ".[test]"

CUDA: the ``cuda`` extra installs ``cupy-cuda12x`` 13.6 (CUDA 12 drivers);
for a CUDA 13 driver install ``cuda13`` instead. Run ``nvidia-smi`` and read
"CUDA Version" to pick.
"""

from setuptools import find_packages
from setuptools import setup


install_requires = [
    'chainer==7.8.1',
    'chainercv==0.13.1',
    'numpy==1.23.5',
    'pillow',
    'pyyaml',
    'matplotlib',
    'scipy',  # SBD's .mat labels (VOC trainaug)
    'setuptools<74',
]

extras_require = {
    'mn': ['mpi4py', 'mpich'],
    'cuda': ['cupy-cuda12x>=13.6,<13.7'],
    'cuda13': ['cupy-cuda13x>=13.6,<13.7'],
    'onnx': ['onnx>=1.18,<1.19', 'onnxruntime'],
    # saliency (pysodmetrics) and edge (pyEdgeEval's BSDS benchmark)
    # metrics; pyEdgeEval imports cv2, skimage and scipy without declaring
    # them
    'tasks': ['pysodmetrics>=1.4,<1.7', 'pyedgeeval==0.2.8', 'prettytable',
              'opencv-python-headless', 'scikit-image', 'scipy'],
    # pytest-xdist: make test runs the suite in one worker per core
    'test': ['pytest', 'pytest-xdist'],
}

setup(
    name='sparsemask',
    version='0.1.0',
    description='SparseMask (ICCV 2019) in Chainer: differentiable '
                'connectivity search for dense image prediction',
    long_description=__doc__,
    packages=find_packages(include=['sparsemask', 'sparsemask.*'])
    + ['sparsemask.kernels'],
    # the CUDA sources live in kernels/ and install as sparsemask/kernels
    package_dir={'sparsemask.kernels': 'kernels'},
    package_data={'sparsemask.kernels': ['*.cu'],
                  # model.pretrained_model: benchmark (train/pretrain.py)
                  'sparsemask.backbones': ['weights/*.npz',
                                           'weights/*.yaml']},
    python_requires='>=3.10,<3.11',
    install_requires=install_requires,
    extras_require=extras_require,
)
