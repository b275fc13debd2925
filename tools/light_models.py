#!/usr/bin/env python3
"""Write the onnx wheel's "light" model zoo out as test-data directories.

The onnx wheel ships nine real architectures (AlexNet, DenseNet-121, Inception
v1 and v2, ResNet-50, ShuffleNet, SqueezeNet, VGG-19, ZFNet-512) in
`onnx/backend/test/data/light/`: each is the full graph of the model zoo's
network with its large weights replaced by `ConstantOfShape` nodes (small ones
such as biases keep their values), so the file is small, beside the expected
output `<name>_output_0.pb`. No input is shipped.
This script writes each as a case in the backend-test layout that `relaxc test`
and `relaxc conformance --models` read:

    OUT/<name>/model.onnx                    the shipped model, unchanged
    OUT/<name>/test_data_set_0/input_<N>.pb  the input the expected output was computed from
    OUT/<name>/test_data_set_0/output_<N>.pb the shipped expected output, unchanged
    OUT/index.tsv      `<name><TAB><model>` lines after a `# onnx VERSION` line

Which input: onnx's backend runner (`onnx.backend.test.runner.Runner`, its
test `run` for a url under `onnx/backend/test/data/light/`, which the
`real/test_*/data.json` entries point at) builds the input of every graph input
that is not an initializer with `Runner.generate_dummy_data(x, seed=0,
random=False)`: `arange(n).reshape(shape) / n` as float32, a dim without a
value counting as 1. It then compares the backend's output with the shipped
`<name>_output_<i>.pb` (it only falls back to computing outputs with the
reference evaluator when no output file is shipped). This script calls that
same function, so the input is exactly the one the shipped output belongs to;
a model without a shipped output is an error rather than a case with made-up
expectations.

What the cases check: every `ConstantOfShape` weight is 0.02, the classifier's
included, so all classes score the same and each shipped output holds a single
value (1/1000 after the final softmax; 0.46095502 for DenseNet-121, which has
none). The output does not
even depend on the input: onnx's reference evaluator gives bit-identical
outputs for this ramp, a random and a constant input, for all nine models. A
pass therefore shows that the whole network imports, compiles and runs at a
real model's size and computes that value; the operators' arithmetic is what
the node cases check.

onnx's own test judges DenseNet-121 with rtol 2e-3 (its data.json) and the
others with rtol 1e-3, atol 1e-7; the conformance run judges them all with its
one tolerance (rtol 1e-3, atol 1e-7), which is never looser.

The output is the same on every run (the files are copied, the input is a
fixed ramp). OUT is replaced as a whole, and only once everything is written.

Usage: python3 tools/light_models.py [--output OUT]   (default: target/onnx-light)
Needs: pip install onnx==1.23.2 numpy
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from onnx_node_tests import import_pinned_onnx

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "target" / "onnx-light"
PREFIX = "light_"

# The models' usual names, for the report; a model a later onnx adds shows
# under its file name until it is named here.
NAMES = {
    "light_bvlc_alexnet": "AlexNet",
    "light_densenet121": "DenseNet-121",
    "light_inception_v1": "Inception v1",
    "light_inception_v2": "Inception v2",
    "light_resnet50": "ResNet-50",
    "light_shufflenet": "ShuffleNet",
    "light_squeezenet": "SqueezeNet",
    "light_vgg19": "VGG-19",
    "light_zfnet512": "ZFNet-512",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the cases")
    args = parser.parse_args()

    onnx = import_pinned_onnx()
    if onnx is None:
        return 2
    source = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
    models = sorted(p.stem for p in source.glob(f"{PREFIX}*.onnx"))
    if not models:
        print(f"error: {source} holds no {PREFIX}*.onnx models", file=sys.stderr)
        return 1
    staging = args.output.with_name(f"{args.output.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    for name in models:
        problem = write_case(source, name, staging / name)
        if problem:
            print(f"error: {name}: {problem}", file=sys.stderr)
            shutil.rmtree(staging, ignore_errors=True)
            return 1
    write_index(models, staging / "index.tsv", onnx.__version__)
    shutil.rmtree(args.output, ignore_errors=True)
    staging.rename(args.output)
    print(f"wrote {len(models)} light models to {args.output}")
    return 0


def write_case(source: Path, name: str, case: Path) -> str | None:
    """Writes one case; returns what is wrong when it cannot be written."""
    import onnx

    model = onnx.load(source / f"{name}.onnx")
    data = case / "test_data_set_0"
    data.mkdir(parents=True)
    shutil.copyfile(source / f"{name}.onnx", case / "model.onnx")
    for i, value in enumerate(runner_inputs(model)):
        (data / f"input_{i}.pb").write_bytes(onnx.numpy_helper.from_array(value).SerializeToString())
    for i in range(len(model.graph.output)):
        expected = source / f"{name}_output_{i}.pb"
        if not expected.is_file():
            return f"the wheel ships no {expected.name}, so there is no expected output to compare with"
        shutil.copyfile(expected, data / f"output_{i}.pb")
    return None


def runner_inputs(model) -> list:
    """The inputs onnx's backend runner feeds a light model, in graph order."""
    from onnx.backend.test.runner import Runner

    initializers = {i.name for i in model.graph.initializer}
    return [
        Runner.generate_dummy_data(x, seed=0, name=model.graph.name, random=False)
        for x in model.graph.input
        if x.name not in initializers
    ]


def write_index(models: list[str], path: Path, version: str) -> None:
    """`case<TAB>model name` for every case, sorted by case name."""
    lines = [f"# onnx {version} light models, written by tools/light_models.py"]
    lines += [f"{name}\t{NAMES.get(name, name)}" for name in models]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
