#!/usr/bin/env python3
"""Write the ONNX backend node tests out as test-data directories.

The `onnx` wheel ships its node tests as Python (`onnx.backend.test.case.node`),
not as files. This script runs those case definitions and writes every case
with onnx's own writer (`onnx.backend.test.cmd_tools.generate_data`) in the
backend-test layout that `relaxc test` and `relaxc conformance` read:

    OUT/node/<case>/model.onnx
    OUT/node/<case>/test_data_set_0/input_<N>.pb, output_<N>.pb
    OUT/index.tsv      the operator each case tests, after a `# onnx VERSION` line

The output is the same on every run: onnx seeds numpy's generator with 0 before
each case definition. The onnx version is pinned because a different version
has different cases. OUT is replaced as a whole, and only once everything is
written, so an interrupted run leaves no half-written tree behind.

Usage: python3 tools/onnx_node_tests.py [--output OUT]   (default: target/onnx-node-tests)
Needs: pip install onnx==1.23.2 numpy
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import types
import warnings
from pathlib import Path

ONNX_VERSION = "1.23.2"
INSTALL = f"pip install onnx=={ONNX_VERSION} numpy"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "target" / "onnx-node-tests"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the cases")
    args = parser.parse_args()

    onnx = import_pinned_onnx()
    if onnx is None:
        return 2
    print(f"collecting the node test cases of onnx {onnx.__version__}...", flush=True)
    cases = collect_cases()
    staging = args.output.with_name(f"{args.output.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    write_cases(cases, staging)
    write_index(cases, staging / "index.tsv", onnx.__version__)
    shutil.rmtree(args.output, ignore_errors=True)
    staging.rename(args.output)
    print(f"wrote {len(cases)} cases to {args.output}")
    return 0


def import_pinned_onnx() -> types.ModuleType | None:
    """The onnx module if it is the pinned version; otherwise says how to get it."""
    try:
        import onnx
    except ImportError:
        print(f"error: the `onnx` Python package is not installed; install it with `{INSTALL}`", file=sys.stderr)
        return None
    if onnx.__version__ != ONNX_VERSION:
        print(
            f"error: onnx {onnx.__version__} is installed, but the conformance cases are pinned to onnx "
            f"{ONNX_VERSION} (another version has other cases); install it with `{INSTALL}`",
            file=sys.stderr,
        )
        return None
    return onnx


def collect_cases() -> list:
    """Runs every node case definition; each appends its cases when imported."""
    import numpy as np
    from onnx.backend.test.case import node

    # Some definitions compute expected values such as 1/0 on purpose.
    warnings.filterwarnings("ignore")
    np.seterr(all="ignore")
    return node.collect_testcases()


def write_cases(cases: list, output: Path) -> None:
    """Writes `cases` to `output/node/` with onnx's own data writer.

    `generate_data` writes whatever its module's `model_test.collect_testcases()`
    returns (in onnx 1.23.2 the model cases only), so it is handed the node
    cases in its place: the layout and encoding are then exactly onnx's.
    """
    from onnx.backend.test import cmd_tools

    cmd_tools.model_test = types.SimpleNamespace(collect_testcases=lambda: cases)
    cmd_tools.generate_data(argparse.Namespace(output=str(output)))


def write_index(cases: list, path: Path, version: str) -> None:
    """`case<TAB>operator` for every case, sorted by case name."""
    operators = {}
    for case in cases:
        if "_expanded" not in case.name:
            operators[case.name] = operator_of(case.model.graph.node[0])
    lines = [f"# onnx {version} node tests, written by tools/onnx_node_tests.py"]
    for case in sorted(cases, key=lambda c: c.name):
        # An expanded case holds its operator's function body; it tests the
        # operator of the case it was expanded from.
        base = case.name.split("_expanded")[0]
        lines.append(f"{case.name}\t{operators.get(base, base)}")
    path.write_text("\n".join(lines) + "\n")


def operator_of(node) -> str:
    """`Add`, or `ai.onnx.ml.LabelEncoder` for operators outside the default domain."""
    if node.domain in ("", "ai.onnx"):
        return node.op_type
    return f"{node.domain}.{node.op_type}"


if __name__ == "__main__":
    sys.exit(main())
