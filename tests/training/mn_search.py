"""Run under mpiexec by test_chainermn.py: a tiny search through the
search script's entry point, then every rank's parameters are gathered on
rank 0 and compared."""

import json
import os
import sys

import numpy

from sparsemask.training.cli import main


def run():
    out = sys.argv[1]
    result = main('search', 'mn test', os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))), sys.argv[2:])
    model = result['model']
    comm = result['trainer'].updater.get_optimizer('main').communicator
    params = {name: p.array for name, p in sorted(model.namedparams())}
    gathered = comm.gather_obj(params)
    arch = result['connectivity'].to_yaml()
    archs = comm.gather_obj(arch)
    if comm.rank == 0:
        worst = max(float(numpy.abs(g[k] - gathered[0][k]).max())
                    for g in gathered for k in params)
        report = {'size': comm.size, 'max_param_diff': worst,
                  'same_arch': len(set(archs)) == 1,
                  'moved': float(sum(numpy.abs(v).sum()
                                     for v in params.values()))}
        with open(os.path.join(out, 'mn_report.json'), 'w') as f:
            json.dump(report, f)


if __name__ == '__main__':
    run()
