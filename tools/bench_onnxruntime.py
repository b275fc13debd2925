#!/usr/bin/env python3
"""Times one ONNX backend-test case with onnxruntime, for `cargo xtask bench`.

    bench_onnxruntime.py CASE_DIR [--iterations N] [--warmup W] [--threads T] [--max-seconds S]

onnxruntime runs on its CPU execution provider with its default graph
optimizations and `intra_op_num_threads = T` (inter-op parallelism stays off,
as for a single request). The inputs are `test_data_set_0/input_*.pb`; the
outputs are checked against `output_*.pb` before anything is timed (a timing
of wrong results is worthless), then W warmup and N timed `run` calls follow.
`--max-seconds S` cuts them short for slow models exactly as `relaxc bench`
does: warmup stops after S/5 seconds (at least one call), timing after S
seconds (at least 3 calls, or N if fewer).

The last line is the machine-readable one every bench runner prints:
`median_us=.. min_us=.. max_us=.. mean_us=.. iterations=N warmup=W`.
"""

import argparse
import glob
import os
import statistics
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

RTOL = 1e-3
# The same absolute floor as `relaxc bench`: values near zero differ by more
# than 1e-7 between two correct summation orders.
ATOL = 1e-5


def read_tensors(data_set, prefix):
    """`<prefix>0.pb`, `<prefix>1.pb`, ... of a data set, as numpy arrays."""
    arrays = []
    while True:
        path = os.path.join(data_set, f"{prefix}{len(arrays)}.pb")
        if not os.path.isfile(path):
            return arrays
        tensor = onnx.TensorProto()
        with open(path, "rb") as f:
            tensor.ParseFromString(f.read())
        arrays.append(numpy_helper.to_array(tensor))


def check_outputs(got, expected):
    """Raises when an output is not within ATOL + RTOL * |expected|."""
    if len(got) != len(expected):
        raise SystemExit(f"error: onnxruntime returned {len(got)} outputs, the case expects {len(expected)}")
    for i, (g, e) in enumerate(zip(got, expected)):
        if g.shape != e.shape:
            raise SystemExit(f"error: output {i}: onnxruntime's shape is {g.shape}, expected {e.shape}")
        if not np.allclose(g.astype(np.float64), e.astype(np.float64), rtol=RTOL, atol=ATOL, equal_nan=True):
            raise SystemExit(f"error: output {i} differs from the case's expected output beyond rtol {RTOL}")


MIN_TIMED = 3


def measure(call, iterations, warmup, max_seconds):
    """Times `call`; returns (timed durations in microseconds, warmup calls made)."""

    def timed():
        start = time.perf_counter_ns()
        call()
        return (time.perf_counter_ns() - start) / 1e3

    limit_us = None if max_seconds is None else max_seconds * 1e6
    spent, warmed = 0.0, 0
    while warmed < warmup and not (limit_us is not None and warmed >= 1 and spent >= limit_us / 5):
        spent += timed()
        warmed += 1
    samples, spent = [], 0.0
    while len(samples) < iterations and not (limit_us is not None and len(samples) >= MIN_TIMED and spent >= limit_us):
        samples.append(timed())
        spent += samples[-1]
    return samples, warmed


def machine_line(samples_us, warmup):
    """The line `cargo xtask bench` parses (same fields as relaxc's)."""
    return (
        f"median_us={statistics.median(samples_us):.3f} min_us={min(samples_us):.3f} "
        f"max_us={max(samples_us):.3f} mean_us={statistics.fmean(samples_us):.3f} "
        f"iterations={len(samples_us)} warmup={warmup}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case_dir")
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=None)
    args = parser.parse_args()
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")

    data_set = os.path.join(args.case_dir, "test_data_set_0")
    if not glob.glob(os.path.join(data_set, "input_*.pb")):
        raise SystemExit(f"error: {data_set} has no input_*.pb")
    inputs = read_tensors(data_set, "input_")
    expected = read_tensors(data_set, "output_")

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(
        os.path.join(args.case_dir, "model.onnx"), options, providers=["CPUExecutionProvider"]
    )
    names = [i.name for i in session.get_inputs()]
    if len(names) != len(inputs):
        raise SystemExit(f"error: the model has {len(names)} inputs, the data set {len(inputs)}")
    feed = dict(zip(names, inputs))

    check_outputs(session.run(None, feed), expected)
    samples_us, warmed = measure(lambda: session.run(None, feed), args.iterations, args.warmup, args.max_seconds)

    name = os.path.basename(os.path.normpath(args.case_dir))
    print(
        f"{name}: median {statistics.median(samples_us):.1f} us over {len(samples_us)} calls "
        f"(onnxruntime {ort.__version__}, {args.threads} thread{'s' if args.threads != 1 else ''})"
    )
    print(machine_line(samples_us, warmed))


if __name__ == "__main__":
    sys.exit(main())
