import pytest

from sparsemask.training import ConfigError
from sparsemask.training.check_launcher import check_launcher


HYDRA = {'PMI_SIZE': '2', 'PMI_RANK': '0', 'MPI_LOCALNRANKS': '2',
         'MPI_LOCALRANKID': '0', 'PMI_FD': '9'}
OPEN_MPI = {'OMPI_COMM_WORLD_SIZE': '4', 'OMPI_COMM_WORLD_RANK': '0',
            'OMPI_COMM_WORLD_LOCAL_SIZE': '4'}
MVAPICH = {'MV2_COMM_WORLD_SIZE': '3', 'MV2_COMM_WORLD_RANK': '0'}


@pytest.mark.parametrize('environ', [
    {},
    {'PATH': '/usr/bin'},
    # one process of a launcher, or a batch job's script
    {'PMI_SIZE': '1', 'PMI_RANK': '0'},
    {'OMPI_COMM_WORLD_SIZE': '1', 'OMPI_COMM_WORLD_RANK': '0'},
    {'SLURM_NTASKS': '8', 'SLURM_PROCID': '0'},
    {'SLURM_NTASKS': '8', 'PMI_SIZE': '1'},
    # not numbers
    {'PMI_SIZE': '', 'OMPI_COMM_WORLD_SIZE': 'x'},
])
def test_one_process_runs(environ):
    check_launcher(None, environ=environ)
    check_launcher(None, option=None, environ=environ)


@pytest.mark.parametrize('environ', [HYDRA, OPEN_MPI, MVAPICH])
@pytest.mark.parametrize('communicator', ['naive', 'flat', 'pure_nccl'])
def test_a_communicator_runs(environ, communicator):
    check_launcher(communicator, environ=environ)


@pytest.mark.parametrize('environ,started', [
    (HYDRA, '2 processes (PMI_SIZE=2)'),
    (OPEN_MPI, '4 processes (OMPI_COMM_WORLD_SIZE=4)'),
    (MVAPICH, '3 processes (MV2_COMM_WORLD_SIZE=3)'),
    ({'MPI_LOCALNRANKS': '2'}, '2 processes (MPI_LOCALNRANKS=2)'),
    # srun --mpi=pmi2 -n 2
    ({'PMI_SIZE': '2', 'PMI_RANK': '0', 'SLURM_NTASKS': '2'},
     '2 processes (PMI_SIZE=2)'),
])
def test_several_processes_without_a_communicator_are_refused(environ,
                                                              started):
    with pytest.raises(ConfigError) as info:
        check_launcher(None, environ=environ)
    assert str(info.value) == (
        'started by an MPI launcher with {} but without --communicator: '
        'add --communicator naive (or pure_nccl on GPUs), or run one '
        'process'.format(started))


def test_a_script_without_the_option_says_run_one_process():
    with pytest.raises(ConfigError) as info:
        check_launcher(None, option=None, environ=HYDRA)
    assert str(info.value) == (
        'started by an MPI launcher with 2 processes (PMI_SIZE=2), but this '
        'script runs as one process: run it without the launcher')


@pytest.mark.parametrize('environ', [
    dict(HYDRA, PMI_RANK='1', MPI_LOCALRANKID='1'),
    dict(OPEN_MPI, OMPI_COMM_WORLD_RANK='3'),
    dict(MVAPICH, MV2_COMM_WORLD_RANK='2'),
])
def test_the_other_ranks_exit_silently(environ, capsys):
    with pytest.raises(SystemExit) as info:
        check_launcher(None, environ=environ)
    assert info.value.code == 1
    assert capsys.readouterr() == ('', '')


def test_the_environment_is_read_by_default(monkeypatch):
    for name in ('OMPI_COMM_WORLD_SIZE', 'MV2_COMM_WORLD_SIZE',
                 'MPI_LOCALNRANKS', 'OMPI_COMM_WORLD_RANK',
                 'MV2_COMM_WORLD_RANK', 'PMIX_RANK'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('PMI_SIZE', '2')
    monkeypatch.setenv('PMI_RANK', '0')
    with pytest.raises(ConfigError, match=r'\(PMI_SIZE=2\)'):
        check_launcher(None)
    monkeypatch.setenv('PMI_SIZE', '1')
    check_launcher(None)


def test_the_scripts_check_before_anything_else(monkeypatch, tmp_path,
                                                capsys):
    # search, retrain and evaluate create their communicator through
    # create_communicator; search and retrain check before the config too
    from sparsemask.training.arguments import create_communicator
    from sparsemask.training.cli import main

    monkeypatch.setenv('PMI_SIZE', '2')
    monkeypatch.setenv('PMI_RANK', '0')
    with pytest.raises(ConfigError, match='without --communicator'):
        create_communicator(None, -1)
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as info:
        main('search', '', str(tmp_path), ['--out', str(out), '--config',
                                           str(tmp_path / 'missing.yaml')])
    assert info.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ''
    assert captured.err.splitlines() == [
        'error: started by an MPI launcher with 2 processes (PMI_SIZE=2) '
        'but without --communicator: add --communicator naive (or '
        'pure_nccl on GPUs), or run one process']
    assert not out.exists()
