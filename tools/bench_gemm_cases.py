#!/usr/bin/env python3
"""Writes the GEMM cases of `cargo xtask bench` as ONNX backend-test case dirs.

    bench_gemm_cases.py --output DIR [--sizes 256,512,1024]

Each size n gives DIR/gemm_<n>/: model.onnx, one MatMul of two f32 graph
inputs `a` [n, n] and `b` [n, n] (inputs, not initializers, so no runner can
pre-pack or fold the right-hand side), and test_data_set_0/ with the inputs
and the product computed by numpy in float64, then cast to f32.

The inputs are deterministic (a seeded generator) multiples of 1/8 in
[-1, 1]: every product is a multiple of 1/64 and every partial sum stays far
below 2^24 / 64, so f32 arithmetic in any summation order gives the exact
float64 result. The output check is then exact whatever a kernel's blocking,
while the timing is the same as for arbitrary values.
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20240531
OPSET = 13
# Old enough for every onnxruntime and tract release the bench may meet.
IR_VERSION = 8


def model(n):
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])
    c = helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], f"gemm_{n}", [a, b], [c])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="relax-rs bench")
    m.ir_version = IR_VERSION
    onnx.checker.check_model(m)
    return m


def operand(rng, n):
    return (rng.integers(-8, 9, size=(n, n)) / 8.0).astype(np.float32)


def write_case(root, n, rng):
    case = os.path.join(root, f"gemm_{n}")
    data = os.path.join(case, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save(model(n), os.path.join(case, "model.onnx"))
    a, b = operand(rng, n), operand(rng, n)
    c = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)
    for name, array in [("input_0", a), ("input_1", b), ("output_0", c)]:
        with open(os.path.join(data, f"{name}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(array).SerializeToString())
    print(f"wrote {case}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--sizes", default="256,512,1024")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    for n in (int(s) for s in args.sizes.split(",")):
        write_case(args.output, n, rng)


if __name__ == "__main__":
    main()
