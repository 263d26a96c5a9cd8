"""A first look at SparseMask on CPU: one search step on a synthetic batch.

Builds the search model (MobileNetV2 encoder, full Fully Dense Network
decoder with a weight on each of its 90 connections), runs forward and
backward of ``L_task + lambda * sum_l L_s`` on a synthetic batch, takes one
SGD step, prunes the weights and prints what it did.
"""

import argparse
import os
import time

import numpy

import chainer
import chainer.functions as F

import sparsemask
from sparsemask.backbones import MobileNetV2


PAPER_ARCH = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'configs', 'arch',
    'sparsemask_mobilenetv2_voc.yaml')


def n_params(link):
    return sum(p.size for p in link.params())


def decoder_params(model):
    # the per-connection weights and BN of the search model are not counted
    # (they do not exist after pruning); BN shift/scale after each sum are
    return sum(p.size for n, p in model.decoder.namedparams()
               if not n.endswith('/w')) + n_params(model.head)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--size', type=int, default=65)
    parser.add_argument('--batchsize', type=int, default=2)
    parser.add_argument('--n-class', type=int, default=21)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    numpy.random.seed(args.seed)
    model = sparsemask.SparseMask(MobileNetV2(), args.n_class, search=True)
    c = model.connectivity
    print('search model: MobileNetV2 encoder, {} stages (strides {}), '
          'full FDN decoder with {} connections'.format(
              c.n_stages, model.backbone.strides, c.n_connections))
    rng = numpy.random.RandomState(args.seed)
    x = rng.uniform(0, 255, (args.batchsize, 3, args.size, args.size))
    x = ((x - model.mean) / model.std).astype(numpy.float32)
    t = rng.randint(0, args.n_class, (args.batchsize, args.size, args.size))
    t = t.astype(numpy.int32)

    optimizer = chainer.optimizers.MomentumSGD(lr=0.05)
    optimizer.setup(model)
    start = time.time()
    y = model(x)
    task = F.softmax_cross_entropy(y, t)
    sparse = model.sparse_loss(lam=0.01)
    model.cleargrads()
    (task + sparse).backward()
    optimizer.update()
    model.clip_connection_weights()
    elapsed = time.time() - start
    print('forward+backward+update on a {}x3x{}x{} batch: logits {}, '
          'task loss {:.4f}, sparse loss {:.4f}, {:.2f} s'.format(
              args.batchsize, args.size, args.size, y.shape,
              float(task.array), float(sparse.array), elapsed))
    w = numpy.concatenate([s.w.array for _, s in model.stages()])
    print('connection weights after one step: min {:.4f}, mean {:.4f}, '
          'max {:.4f}'.format(w.min(), w.mean(), w.max()))
    pruned = sparsemask.prune(model.connection_weights())
    print('pruned at sigma=1e-3: {} of {} connections kept (one step '
          'cannot sparsify; a real search runs for epochs)'.format(
              pruned.n_connections, c.n_connections))
    encoder = n_params(model.backbone) - n_params(model.backbone.logits_conv)
    paper = sparsemask.SparseMask(
        MobileNetV2(), args.n_class,
        connectivity=sparsemask.Connectivity.from_yaml(PAPER_ARCH))
    print('parameters: encoder {:.3f}M (paper 2.22M); full FDN decoder+head '
          '{:.3f}M (paper 1.93M); the paper\'s searched decoder+head {:.3f}M '
          '(paper 0.56M, {} connections)'.format(
              encoder / 1e6, decoder_params(model) / 1e6,
              decoder_params(paper) / 1e6, paper.connectivity.n_connections))


if __name__ == '__main__':
    main()
