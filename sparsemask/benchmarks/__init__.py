"""Benchmarks: parameters, test-phase speed, training step time and memory
of a model (ours against stock Chainer and ONNX Runtime), and the fused
FDN stage against the unfused one."""

from sparsemask.benchmarks.bench_stage import bench_stage  # NOQA
from sparsemask.benchmarks.bench_stage import run_stage_benchmark  # NOQA
from sparsemask.benchmarks.compare_outputs import compare_outputs  # NOQA
from sparsemask.benchmarks.count_parameters import count_parameters  # NOQA
from sparsemask.benchmarks.count_parameters import paper_format  # NOQA
from sparsemask.benchmarks.count_parameters import unused_parameters  # NOQA
from sparsemask.benchmarks.device_name import device_name  # NOQA
from sparsemask.benchmarks.format_model_report import format_model_report  # NOQA
from sparsemask.benchmarks.format_stage_report import format_stage_report  # NOQA
from sparsemask.benchmarks.kernel_bandwidth import copy_bandwidth  # NOQA
from sparsemask.benchmarks.kernel_bandwidth import kernel_bandwidth  # NOQA
from sparsemask.benchmarks.median_times import median_time  # NOQA
from sparsemask.benchmarks.median_times import median_times  # NOQA
from sparsemask.benchmarks.median_times import synchronize  # NOQA
from sparsemask.benchmarks.model_variants import model_variants  # NOQA
from sparsemask.benchmarks.onnx_runtime_available import default_threads  # NOQA
from sparsemask.benchmarks.onnx_runtime_process import OnnxRuntimeProcess  # NOQA
from sparsemask.benchmarks.onnx_runtime_available import onnx_runtime_available  # NOQA
from sparsemask.benchmarks.parse_size import parse_size  # NOQA
from sparsemask.benchmarks.peak_memory import peak_memory  # NOQA
from sparsemask.benchmarks.run_model_benchmark import run_model_benchmark  # NOQA
from sparsemask.benchmarks.stage_inputs import stage_inputs  # NOQA
from sparsemask.benchmarks.throughput import throughput  # NOQA
from sparsemask.benchmarks.train_step import train_memory  # NOQA
from sparsemask.benchmarks.train_step import train_time  # NOQA
from sparsemask.benchmarks.variant_config import forward_test  # NOQA
from sparsemask.benchmarks.variant_config import variant_config  # NOQA
