#!/usr/bin/env python3
"""Write small real-architecture ONNX models with random weights, checked by onnxruntime.

Each architecture is the real network's structure (ResNet basic blocks,
MobileNetV2 inverted residuals, DenseNet dense blocks and transitions,
Inception modules, SqueezeNet fire modules, ShuffleNetV2 units with channel
shuffle, a BERT encoder with an attention mask, a GPT-2 decoder with a causal
mask, an LSTM/GRU sequence classifier, a model with a run-time `If`, and counted and
while `Loop`s) at a reduced width so the files stay
small enough to commit. Weights are random (seeded), batch-norm statistics are
random too, and shapes are computed inside the graph the way PyTorch exports
do (`Shape` -> `Gather` -> `Concat` -> `Reshape`), with symbolic batch and
sequence dims.

Every model is written in the backend-test layout `relaxc test` reads:

    OUT/<name>/model.onnx
    OUT/<name>/test_data_set_<k>/input_<N>.pb, output_<N>.pb

The expected outputs are onnxruntime's, with graph optimizations off so they
are the plain operator semantics. Data set 0 and 1 use different batch (and
sequence) sizes. The output is the same on every run.

Usage: python3 tools/architectures.py [--output OUT]   (default: models/architectures)
Needs: pip install onnx==1.23.2 onnxruntime numpy
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "models" / "architectures"


class Graph:
    """A small builder: `g.op("Conv", [x, w], kernel_shape=[3, 3])` returns the output name."""

    def __init__(self, name: str, seed: int, opset: int):
        self.name = name
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.initializers: list = []
        self.inputs: list = []
        self.outputs: list = []
        self.count = 0

    def fresh(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def input(self, name: str, elem: int, shape: list) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem, shape))
        return name

    def output(self, name: str, elem: int, shape: list) -> None:
        self.outputs.append(helper.make_tensor_value_info(name, elem, shape))

    def const(self, value: np.ndarray, hint: str = "w") -> str:
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def weight(self, shape: list, fan_in: int, hint: str = "w") -> str:
        scale = np.sqrt(2.0 / fan_in)
        return self.const((self.rng.standard_normal(shape) * scale).astype(np.float32), hint)

    def ints(self, values: list) -> str:
        return self.const(np.array(values, dtype=np.int64), "shape")

    def op(self, op_type: str, inputs: list, outputs: int = 1, out: str | None = None, **attrs):
        names = [out] if out else [self.fresh(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=self.fresh(op_type), **attrs))
        return names[0] if outputs == 1 else names

    def model(self) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        return model

    # ---- operators whose axes moved from attributes to inputs ----

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", [x, self.ints(axes)]) if self.opset >= 13 else self.op("Unsqueeze", [x], axes=axes)

    def squeeze(self, x, axes):
        return self.op("Squeeze", [x, self.ints(axes)]) if self.opset >= 13 else self.op("Squeeze", [x], axes=axes)

    def reduce_mean(self, x, axes, **attrs):
        if self.opset >= 18:
            return self.op("ReduceMean", [x, self.ints(axes)], **attrs)
        return self.op("ReduceMean", [x], axes=axes, **attrs)

    def split(self, x, sizes, axis):
        if self.opset >= 13:
            return self.op("Split", [x, self.ints(sizes)], outputs=len(sizes), axis=axis)
        return self.op("Split", [x], outputs=len(sizes), axis=axis, split=sizes)

    # ---- layers shared by the CNNs ----

    def conv(self, x, cin, cout, k, stride=1, pad=None, group=1, bias=True, kernel=None):
        kh, kw = kernel or (k, k)
        pads = pad if pad is not None else [kh // 2, kw // 2, kh // 2, kw // 2]
        inputs = [x, self.weight([cout, cin // group, kh, kw], cin // group * kh * kw)]
        if bias:
            inputs.append(self.const((self.rng.standard_normal(cout) * 0.1).astype(np.float32), "b"))
        return self.op("Conv", inputs, kernel_shape=[kh, kw], strides=[stride, stride], pads=pads, group=group)

    def bn(self, x, c):
        r = self.rng
        scale = self.const((1 + 0.2 * r.standard_normal(c)).astype(np.float32), "gamma")
        bias = self.const((0.1 * r.standard_normal(c)).astype(np.float32), "beta")
        mean = self.const((0.1 * r.standard_normal(c)).astype(np.float32), "mean")
        var = self.const((0.5 + r.random(c)).astype(np.float32), "var")
        return self.op("BatchNormalization", [x, scale, bias, mean, var], epsilon=1e-5)

    def conv_bn(self, x, cin, cout, k, stride=1, relu=True, group=1, kernel=None, pad=None):
        y = self.bn(self.conv(x, cin, cout, k, stride, group=group, bias=False, kernel=kernel, pad=pad), cout)
        return self.op("Relu", [y]) if relu else y

    def flatten_like_pytorch(self, x):
        """`x.view(x.size(0), -1)` as exported: the batch dim read with Shape/Gather."""
        batch = self.op("Gather", [self.op("Shape", [x]), self.const(np.array(0, dtype=np.int64), "axis0")], axis=0)
        shape = self.op("Concat", [self.unsqueeze(batch, [0]), self.ints([-1])], axis=0)
        return self.op("Reshape", [x, shape])

    def classifier(self, x, cin, classes):
        pooled = self.flatten_like_pytorch(self.op("GlobalAveragePool", [x]))
        w = self.weight([classes, cin], cin)
        b = self.const((0.1 * self.rng.standard_normal(classes)).astype(np.float32), "b")
        return self.op("Gemm", [pooled, w, b], transB=1)


# ---- CNNs: input [N, 3, H, W], output logits [N, classes] ----

def image_input(g: Graph, size: int) -> str:
    return g.input("image", TensorProto.FLOAT, ["N", 3, size, size])


def resnet(g: Graph):
    """ResNet-18's layout (stem, 4 stages of 2 basic blocks, projection shortcuts) at widths 4..32."""
    x = image_input(g, 32)
    x = g.conv_bn(x, 3, 4, 7, stride=2)
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 4
    for stage, cout in enumerate([4, 8, 16, 32]):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            y = g.conv_bn(x, cin, cout, 3, stride)
            y = g.conv_bn(y, cout, cout, 3, relu=False)
            shortcut = x if stride == 1 and cin == cout else g.conv_bn(x, cin, cout, 1, stride, relu=False, pad=[0] * 4)
            x = g.op("Relu", [g.op("Add", [y, shortcut])])
            cin = cout
    g.op("Flatten", [g.op("GlobalAveragePool", [x])], axis=1, out="pooled")
    w, b = g.weight([10, cin], cin), g.const(np.zeros(10, np.float32), "b")
    g.op("Gemm", ["pooled", w, b], transB=1, out="logits")
    g.output("logits", TensorProto.FLOAT, ["N", 10])


def mobilenet(g: Graph):
    """MobileNetV2 inverted residuals: 1x1 expand, ReLU6 (Clip), 3x3 depthwise, 1x1 linear projection."""
    relu6 = lambda y: g.op("Clip", [y, g.const(np.array(0, np.float32), "lo"), g.const(np.array(6, np.float32), "hi")])
    x = image_input(g, 32)
    x = relu6(g.conv_bn(x, 3, 8, 3, stride=2, relu=False))
    cin = 8
    for expand, cout, stride in [(1, 8, 1), (4, 12, 2), (4, 12, 1), (4, 16, 2), (4, 16, 1)]:
        hidden = cin * expand
        y = x if expand == 1 else relu6(g.conv_bn(x, cin, hidden, 1, relu=False, pad=[0] * 4))
        y = relu6(g.conv_bn(y, hidden, hidden, 3, stride, relu=False, group=hidden))
        y = g.conv_bn(y, hidden, cout, 1, relu=False, pad=[0] * 4)
        x = g.op("Add", [x, y]) if stride == 1 and cin == cout else y
        cin = cout
    x = relu6(g.conv_bn(x, cin, 32, 1, relu=False, pad=[0] * 4))
    g.op("Identity", [g.classifier(x, 32, 10)], out="logits")
    g.output("logits", TensorProto.FLOAT, ["N", 10])


def densenet(g: Graph):
    """DenseNet: BN-ReLU-Conv1x1-BN-ReLU-Conv3x3 layers concatenated, transitions with average pooling."""
    growth = 4
    x = image_input(g, 32)
    x = g.op("MaxPool", [g.conv_bn(x, 3, 8, 7, stride=2)], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c = 8
    for block in range(2):
        for _ in range(3):
            y = g.conv(g.op("Relu", [g.bn(x, c)]), c, 4 * growth, 1, bias=False, pad=[0] * 4)
            y = g.conv(g.op("Relu", [g.bn(y, 4 * growth)]), 4 * growth, growth, 3, bias=False)
            x = g.op("Concat", [x, y], axis=1)
            c += growth
        if block == 0:
            x = g.conv(g.op("Relu", [g.bn(x, c)]), c, c // 2, 1, bias=False, pad=[0] * 4)
            c //= 2
            x = g.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = g.op("Relu", [g.bn(x, c)])
    g.op("Identity", [g.classifier(x, c, 10)], out="logits")
    g.output("logits", TensorProto.FLOAT, ["N", 10])


def inception(g: Graph):
    """GoogLeNet's inception modules (1x1 / 3x3 / 5x5 / pool branches), LRN, and
    Inception-v3's factorized 1x7 + 7x1 convolutions."""
    x = image_input(g, 32)
    x = g.op("Relu", [g.conv(x, 3, 8, 7, stride=2)])
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1], ceil_mode=0)
    x = g.op("LRN", [x], size=5, alpha=1e-4, beta=0.75, bias=1.0)
    c = 8
    for widths in [(4, 4, 6, 2, 3, 3), (6, 4, 8, 2, 4, 4)]:
        b1 = g.op("Relu", [g.conv(x, c, widths[0], 1, pad=[0] * 4)])
        b3 = g.op("Relu", [g.conv(g.op("Relu", [g.conv(x, c, widths[1], 1, pad=[0] * 4)]), widths[1], widths[2], 3)])
        b5 = g.op("Relu", [g.conv(g.op("Relu", [g.conv(x, c, widths[3], 1, pad=[0] * 4)]), widths[3], widths[4], 5)])
        pool = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
        bp = g.op("Relu", [g.conv(pool, c, widths[5], 1, pad=[0] * 4)])
        x = g.op("Concat", [b1, b3, b5, bp], axis=1)
        c = widths[0] + widths[2] + widths[4] + widths[5]
    a = g.conv_bn(x, c, 6, 1, kernel=(1, 7), pad=[0, 3, 0, 3])
    a = g.conv_bn(a, 6, 8, 1, kernel=(7, 1), pad=[3, 0, 3, 0])
    x = g.op("Concat", [a, g.op("AveragePool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1],
                                   count_include_pad=0)], axis=1)
    g.op("Softmax", [g.classifier(x, c + 8, 10)], axis=1, out="probabilities")
    g.output("probabilities", TensorProto.FLOAT, ["N", 10])


def squeezenet(g: Graph):
    """SqueezeNet 1.1's fire modules (squeeze 1x1, expand 1x1 + 3x3 concatenated), ceil-mode pooling."""
    x = image_input(g, 48)
    x = g.op("Relu", [g.conv(x, 3, 8, 3, stride=2, pad=[0] * 4)])
    c = 8
    for i, (squeeze, expand) in enumerate([(4, 8), (4, 8), (6, 12), (6, 12)]):
        if i % 2 == 0:
            x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
        s = g.op("Relu", [g.conv(x, c, squeeze, 1, pad=[0] * 4)])
        e1 = g.op("Relu", [g.conv(s, squeeze, expand, 1, pad=[0] * 4)])
        e3 = g.op("Relu", [g.conv(s, squeeze, expand, 3)])
        x = g.op("Concat", [e1, e3], axis=1)
        c = 2 * expand
    x = g.op("Dropout", [x], ratio=0.5)
    x = g.op("Relu", [g.conv(x, c, 10, 1, pad=[0] * 4)])
    pooled = g.op("GlobalAveragePool", [x])
    g.op("Softmax", [g.flatten_like_pytorch(pooled)], axis=1, out="probabilities")
    g.output("probabilities", TensorProto.FLOAT, ["N", 10])


def shufflenet(g: Graph):
    """ShuffleNetV2 units: channel split, depthwise branch, concat, channel shuffle via
    Reshape-Transpose-Reshape with the spatial dims read from `Shape`."""
    x = image_input(g, 32)
    x = g.op("MaxPool", [g.conv_bn(x, 3, 8, 3, stride=2)], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])

    def shuffle(y, c):
        shape = g.op("Shape", [y])
        n, h, w = (g.op("Slice", [shape, g.ints([i]), g.ints([i + 1])]) for i in (0, 2, 3))
        grouped = g.op("Concat", [n, g.ints([2, c // 2]), h, w], axis=0)
        y = g.op("Transpose", [g.op("Reshape", [y, grouped])], perm=[0, 2, 1, 3, 4])
        return g.op("Reshape", [y, g.op("Concat", [n, g.ints([c]), h, w], axis=0)])

    def branch(y, cin, cout, stride):
        y = g.conv_bn(y, cin, cout, 1, pad=[0] * 4)
        y = g.conv_bn(y, cout, cout, 3, stride, relu=False, group=cout)
        return g.conv_bn(y, cout, cout, 1, pad=[0] * 4)

    c = 8
    for cout, stride in [(16, 2), (16, 1), (24, 2), (24, 1)]:
        if stride == 1:
            keep, rest = g.split(x, [c // 2, c // 2], 1)
            x = g.op("Concat", [keep, branch(rest, c // 2, c // 2, 1)], axis=1)
        else:
            left = g.conv_bn(g.conv_bn(x, c, c, 3, stride, relu=False, group=c), c, cout // 2, 1, pad=[0] * 4)
            x = g.op("Concat", [left, branch(x, c, cout // 2, stride)], axis=1)
        c = cout
        x = shuffle(x, c)
    g.op("Identity", [g.classifier(x, c, 10)], out="logits")
    g.output("logits", TensorProto.FLOAT, ["N", 10])


# ---- transformers: token ids [N, S] ----

HIDDEN, HEADS, VOCAB, MAX_POSITIONS = 32, 4, 50, 16


def dense(g: Graph, x, cin, cout):
    return g.op("Add", [g.op("MatMul", [x, g.weight([cin, cout], cin)]),
                        g.const((0.02 * g.rng.standard_normal(cout)).astype(np.float32), "b")])


def layer_norm_decomposed(g: Graph, x):
    """LayerNorm as torch exported it before opset 17."""
    mean = g.reduce_mean(x, [-1])
    centered = g.op("Sub", [x, mean])
    var = g.reduce_mean(g.op("Pow", [centered, g.const(np.array(2.0, np.float32), "two")]), [-1])
    std = g.op("Sqrt", [g.op("Add", [var, g.const(np.array(1e-12, np.float32), "eps")])])
    normed = g.op("Div", [centered, std])
    gamma = g.const((1 + 0.1 * g.rng.standard_normal(HIDDEN)).astype(np.float32), "gamma")
    beta = g.const((0.1 * g.rng.standard_normal(HIDDEN)).astype(np.float32), "beta")
    return g.op("Add", [g.op("Mul", [normed, gamma]), beta])


def layer_norm(g: Graph, x):
    gamma = g.const((1 + 0.1 * g.rng.standard_normal(HIDDEN)).astype(np.float32), "gamma")
    beta = g.const((0.1 * g.rng.standard_normal(HIDDEN)).astype(np.float32), "beta")
    return g.op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-5)


def split_heads(g: Graph, x, n, s):
    """[N, S, H*D] -> [N, H, S, D] with N and S taken from `Shape` as exports do."""
    shape = g.op("Concat", [n, s, g.ints([HEADS, HIDDEN // HEADS])], axis=0)
    return g.op("Transpose", [g.op("Reshape", [x, shape])], perm=[0, 2, 1, 3])


def merge_heads(g: Graph, x, n, s):
    shape = g.op("Concat", [n, s, g.ints([HIDDEN])], axis=0)
    return g.op("Reshape", [g.op("Transpose", [x], perm=[0, 2, 1, 3]), shape])


def attention(g: Graph, x, n, s, bias_fn):
    q, k, v = (split_heads(g, dense(g, x, HIDDEN, HIDDEN), n, s) for _ in range(3))
    scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
    scores = g.op("Div", [scores, g.const(np.array(np.sqrt(HIDDEN // HEADS), np.float32), "scale")])
    probs = g.op("Softmax", [bias_fn(scores)], axis=-1)
    return dense(g, merge_heads(g, g.op("MatMul", [probs, v]), n, s), HIDDEN, HIDDEN)


def gelu_erf(g: Graph, x):
    inner = g.op("Erf", [g.op("Div", [x, g.const(np.array(np.sqrt(2.0), np.float32), "sqrt2")])])
    one = g.const(np.array(1.0, np.float32), "one")
    half = g.const(np.array(0.5, np.float32), "half")
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [inner, one])]), half])


def gelu_tanh(g: Graph, x):
    """GPT-2's tanh approximation."""
    c = lambda v: g.const(np.array(v, np.float32), "c")
    cube = g.op("Mul", [g.op("Pow", [x, c(3.0)]), c(0.044715)])
    inner = g.op("Tanh", [g.op("Mul", [g.op("Add", [x, cube]), c(np.sqrt(2 / np.pi))])])
    return g.op("Mul", [g.op("Mul", [x, c(0.5)]), g.op("Add", [inner, c(1.0)])])


def token_dims(g: Graph, ids):
    shape = g.op("Shape", [ids])
    return (g.op("Slice", [shape, g.ints([i]), g.ints([i + 1])]) for i in (0, 1))


def bert(g: Graph):
    """A 2-layer BERT encoder: word + position + token-type embeddings, post-LN blocks,
    the extended attention mask (1 - mask) * -10000, GELU (erf), and the tanh pooler."""
    ids = g.input("input_ids", TensorProto.INT64, ["N", "S"])
    mask = g.input("attention_mask", TensorProto.INT64, ["N", "S"])
    n, s = token_dims(g, ids)
    emb = lambda rows: g.const((0.1 * g.rng.standard_normal([rows, HIDDEN])).astype(np.float32), "emb")
    words = g.op("Gather", [emb(VOCAB), ids], axis=0)
    seq_len = g.op("Gather", [g.op("Shape", [ids]), g.const(np.array(1, np.int64), "i")])
    positions = g.op("Range", [g.const(np.array(0, np.int64), "start"), seq_len, g.const(np.array(1, np.int64), "step")])
    pos = g.op("Gather", [emb(MAX_POSITIONS), g.unsqueeze(positions, [0])], axis=0)
    types = g.op("Gather", [emb(2), g.op("ConstantOfShape", [g.op("Shape", [ids])],
                                           value=helper.make_tensor("zero", TensorProto.INT64, [1], [0]))], axis=0)
    x = layer_norm_decomposed(g, g.op("Add", [g.op("Add", [words, pos]), types]))
    extended = g.unsqueeze(mask, [1, 2])
    extended = g.op("Cast", [extended], to=TensorProto.FLOAT)
    one = g.const(np.array(1.0, np.float32), "one")
    bias = g.op("Mul", [g.op("Sub", [one, extended]), g.const(np.array(-10000.0, np.float32), "neg")])
    for _ in range(2):
        a = attention(g, x, n, s, lambda scores: g.op("Add", [scores, bias]))
        x = layer_norm_decomposed(g, g.op("Add", [x, a]))
        f = dense(g, gelu_erf(g, dense(g, x, HIDDEN, 4 * HIDDEN)), 4 * HIDDEN, HIDDEN)
        x = layer_norm_decomposed(g, g.op("Add", [x, f]))
    g.op("Identity", [x], out="last_hidden_state")
    first = g.op("Gather", [x, g.const(np.array(0, np.int64), "first")], axis=1)
    g.op("Tanh", [dense(g, first, HIDDEN, HIDDEN)], out="pooler_output")
    g.output("last_hidden_state", TensorProto.FLOAT, ["N", "S", HIDDEN])
    g.output("pooler_output", TensorProto.FLOAT, ["N", HIDDEN])


def gpt2(g: Graph):
    """A 2-layer GPT-2 decoder: pre-LN blocks, fused QKV projection split in three,
    the causal mask sliced from a [1, 1, MAX, MAX] lower-triangular buffer by the
    run-time sequence length and applied with Where, tanh GELU, and logits through
    the tied (transposed) token embedding."""
    ids = g.input("input_ids", TensorProto.INT64, ["N", "S"])
    n, s = token_dims(g, ids)
    wte = g.const((0.1 * g.rng.standard_normal([VOCAB, HIDDEN])).astype(np.float32), "wte")
    wpe = g.const((0.1 * g.rng.standard_normal([MAX_POSITIONS, HIDDEN])).astype(np.float32), "wpe")
    positions = g.op("Range", [g.const(np.array(0, np.int64), "start"), g.squeeze(s, [0]),
                               g.const(np.array(1, np.int64), "step")])
    x = g.op("Add", [g.op("Gather", [wte, ids], axis=0), g.op("Gather", [wpe, positions], axis=0)])
    causal = np.tril(np.ones([MAX_POSITIONS, MAX_POSITIONS], dtype=bool))[None, None]
    window = g.op("Slice", [g.const(causal, "bias"), g.ints([0, 0]), g.op("Concat", [s, s], axis=0), g.ints([2, 3])])
    masked = g.const(np.array(-3.4028234663852886e38, np.float32), "min")

    for _ in range(2):
        h = layer_norm(g, x)
        q, k, v = g.split(dense(g, h, HIDDEN, 3 * HIDDEN), [HIDDEN] * 3, 2)
        heads = [split_heads(g, t, n, s) for t in (q, k, v)]
        scores = g.op("MatMul", [heads[0], g.op("Transpose", [heads[1]], perm=[0, 1, 3, 2])])
        scores = g.op("Div", [scores, g.const(np.array(np.sqrt(HIDDEN // HEADS), np.float32), "scale")])
        probs = g.op("Softmax", [g.op("Where", [window, scores, masked])], axis=-1)
        a = dense(g, merge_heads(g, g.op("MatMul", [probs, heads[2]]), n, s), HIDDEN, HIDDEN)
        x = g.op("Add", [x, a])
        f = dense(g, gelu_tanh(g, dense(g, layer_norm(g, x), HIDDEN, 4 * HIDDEN)), 4 * HIDDEN, HIDDEN)
        x = g.op("Add", [x, f])
    g.op("MatMul", [layer_norm(g, x), g.op("Transpose", [wte], perm=[1, 0])], out="logits")
    g.output("logits", TensorProto.FLOAT, ["N", "S", VOCAB])


def recurrent_tagger(g: Graph):
    """A sequence classifier: token embeddings, a bidirectional LSTM with
    peepholes over padded sequences (`sequence_lens`), and a GRU whose last
    state feeds a linear head. (onnxruntime has no batch-first `layout = 1`
    recurrences, so none is used here; the node tests cover it.)"""
    ids = g.input("input_ids", TensorProto.INT64, ["N", "S"])
    lengths = g.input("lengths", TensorProto.INT32, ["N"])
    embedded = g.op("Gather", [g.const((0.5 * g.rng.standard_normal([VOCAB, 6])).astype(np.float32), "emb"), ids])
    steps_first = g.op("Transpose", [embedded], perm=[1, 0, 2])
    hidden = 8
    w = g.weight([2, 4 * hidden, 6], 6)
    r = g.weight([2, 4 * hidden, hidden], hidden)
    b = g.const((0.1 * g.rng.standard_normal([2, 8 * hidden])).astype(np.float32), "b")
    peepholes = g.const((0.1 * g.rng.standard_normal([2, 3 * hidden])).astype(np.float32), "p")
    y = g.op("LSTM", [steps_first, w, r, b, lengths, "", "", peepholes], hidden_size=hidden, direction="bidirectional")
    n, s = token_dims(g, ids)
    both = g.op("Transpose", [y], perm=[0, 2, 1, 3])
    features = g.op("Reshape", [both, g.op("Concat", [s, n, g.ints([2 * hidden])], axis=0)])
    gru_hidden = 6
    gw = g.weight([1, 3 * gru_hidden, 2 * hidden], 2 * hidden)
    gr = g.weight([1, 3 * gru_hidden, gru_hidden], gru_hidden)
    gb = g.const((0.1 * g.rng.standard_normal([1, 6 * gru_hidden])).astype(np.float32), "b")
    _, last = g.op("GRU", [features, gw, gr, gb, lengths], outputs=2, hidden_size=gru_hidden,
                   linear_before_reset=1)
    summary = g.squeeze(last, [0])
    head = g.weight([5, gru_hidden], gru_hidden)
    g.op("Gemm", [summary, head, g.const(np.zeros(5, np.float32), "b")], transB=1, out="logits")
    g.output("logits", TensorProto.FLOAT, ["N", 5])


def if_model(g: Graph):
    """A small CNN whose head is chosen at run time: `If` the mean activation is
    positive, a 3x3 conv branch, else a pooled 1x1 conv branch; both branches read
    the enclosing graph's values."""
    x = image_input(g, 16)
    x = g.op("Relu", [g.conv(x, 3, 8, 3)])
    threshold = g.input("threshold", TensorProto.FLOAT, [])
    cond = g.op("Greater", [g.op("ReduceMean", [x], keepdims=0), threshold])

    def branch(name, build):
        sub = Graph(name, 0, g.opset)
        sub.rng, sub.count = g.rng, g.count + 1000 * (len(name))
        result = build(sub)
        sub.output(result, TensorProto.FLOAT, None)
        return helper.make_graph(sub.nodes, name, [], sub.outputs, sub.initializers)

    def then_(sub):
        y = sub.op("Relu", [sub.conv(x, 8, 4, 3)])
        return sub.op("GlobalAveragePool", [y])

    def else_(sub):
        y = sub.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
        return sub.op("GlobalAveragePool", [sub.op("Sigmoid", [sub.conv(y, 8, 4, 1, pad=[0] * 4)])])

    head = g.op("If", [cond], then_branch=branch("then", then_), else_branch=branch("else", else_))
    g.op("Flatten", [head], axis=1, out="features")
    g.output("features", TensorProto.FLOAT, ["N", 4])


def loop_decoder(g: Graph):
    """Loops as `torch.jit.script` exports them: a hand-written RNN cell run by a
    counted `Loop` over the sequence (trip count `Shape(x)[0]`, the hidden states
    stacked as its scan output), then a `while` loop that shrinks the last state
    until its largest magnitude is at most 0.25, at most 20 times, counting the
    steps it took (the condition is computed in the body, so the number of
    iterations is known only at run time)."""
    features, hidden = 6, 8
    x = g.input("sequence", TensorProto.FLOAT, ["S", "N", features])
    shape = g.op("Shape", [x])
    steps = g.op("Gather", [shape, g.const(np.array(0, dtype=np.int64), "axis0")], axis=0)
    batch = g.op("Gather", [shape, g.ints([1])], axis=0)
    h0 = g.op("ConstantOfShape", [g.op("Concat", [batch, g.ints([hidden])], axis=0)])

    def cell(sub):
        row = sub.op("Gather", [x, "i"], axis=0)
        pre = sub.op("Add", [sub.op("MatMul", [row, sub.weight([features, hidden], features)]),
                             sub.op("MatMul", ["h_in", sub.weight([hidden, hidden], hidden)])])
        h = sub.op("Tanh", [sub.op("Add", [pre, sub.const((0.1 * sub.rng.standard_normal(hidden)).astype(np.float32), "b")])])
        sub.op("Identity", ["cond_in"], out="cond_out")
        sub.op("Identity", [h], out="h_out")
        sub.op("Identity", [h], out="h_seen")
        return [("cond_out", TensorProto.BOOL), ("h_out", TensorProto.FLOAT), ("h_seen", TensorProto.FLOAT)]

    def shrink(sub):
        h = sub.op("Sub", [sub.op("Mul", ["h_in", sub.const(np.array(0.8, np.float32), "rate")]),
                           sub.const(np.array(0.01, np.float32), "shift")])
        sub.op("Add", ["count_in", sub.const(np.array(1, np.int64), "one")], out="count_out")
        sub.op("Identity", [h], out="h_out")
        sub.op("Greater", [sub.op("ReduceMax", [sub.op("Abs", [h])], keepdims=0),
                           sub.const(np.array(0.25, np.float32), "limit")], out="cond_out")
        return [("cond_out", TensorProto.BOOL), ("h_out", TensorProto.FLOAT), ("count_out", TensorProto.INT64)]

    def body(name, build, carried):
        sub = Graph(name, 0, g.opset)
        sub.rng, sub.count = g.rng, g.count + 1000 * len(name)
        inputs = [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                  helper.make_tensor_value_info("cond_in", TensorProto.BOOL, [])]
        inputs += [helper.make_tensor_value_info(n, t, None) for n, t in carried]
        outputs = [helper.make_tensor_value_info(n, t, None) for n, t in build(sub)]
        return helper.make_graph(sub.nodes, name, inputs, outputs, sub.initializers)

    run = body("cell", cell, [("h_in", TensorProto.FLOAT)])
    last, states = g.op("Loop", [steps, "", h0], outputs=2, body=run)
    big = g.op("Greater", [g.op("ReduceMax", [g.op("Abs", [last])], keepdims=0),
                           g.const(np.array(0.25, np.float32), "limit")])
    refine = body("shrink", shrink, [("h_in", TensorProto.FLOAT), ("count_in", TensorProto.INT64)])
    g.op("Loop", [g.const(np.array(20, np.int64), "most"), big, last, g.const(np.array(0, np.int64), "zero")],
         outputs=2, body=refine)
    g.nodes[-1].output[:] = ["refined", "shrink_steps"]
    g.op("Identity", [states], out="states")
    g.output("states", TensorProto.FLOAT, ["S", "N", hidden])
    g.output("refined", TensorProto.FLOAT, ["N", hidden])
    g.output("shrink_steps", TensorProto.INT64, [])


# name: (builder, opset); the opsets span the range exporters produce.
ARCHITECTURES = {
    "resnet": (resnet, 9),
    "mobilenet_v2": (mobilenet, 11),
    "densenet": (densenet, 13),
    "inception": (inception, 12),
    "squeezenet": (squeezenet, 10),
    "shufflenet_v2": (shufflenet, 13),
    "bert": (bert, 12),
    "gpt2": (gpt2, 17),
    "recurrent_tagger": (recurrent_tagger, 14),
    "if_model": (if_model, 16),
    "loop_decoder": (loop_decoder, 16),
}


def data_sets(name: str, model: onnx.ModelProto, rng: np.random.Generator) -> list:
    """Two input sets with different batch (and sequence) sizes."""
    sets = []
    for n, s in [(1, 7), (2, 5)]:
        feeds = {}
        for value in model.graph.input:
            t = value.type.tensor_type
            dims = [{"N": n, "S": s}.get(d.dim_param, d.dim_value) for d in t.shape.dim]
            if value.name == "input_ids":
                feeds[value.name] = rng.integers(0, VOCAB, dims).astype(np.int64)
            elif value.name == "attention_mask":
                mask = np.ones(dims, np.int64)
                mask[-1, s - 2:] = 0  # the last sequence is padded
                feeds[value.name] = mask
            elif value.name == "lengths":
                feeds[value.name] = np.array([s] * (n - 1) + [s - 2], np.int32)  # the last sequence is padded
            elif value.name == "threshold":
                feeds[value.name] = np.array(-1.0 if n == 1 else 50.0, np.float32)  # one set per branch
            else:
                feeds[value.name] = rng.standard_normal(dims).astype(np.float32)
        sets.append(feeds)
    return sets


def reference(model: onnx.ModelProto, feeds: dict) -> list:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def write(name: str, architecture: tuple, output: Path) -> None:
    build, opset = architecture
    g = Graph(name, seed=sum(map(ord, name)), opset=opset)
    build(g)
    model = g.model()
    directory = output / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    onnx.save(model, directory / "model.onnx")
    for k, feeds in enumerate(data_sets(name, model, np.random.default_rng(1))):
        data = directory / f"test_data_set_{k}"
        data.mkdir()
        for i, value in enumerate(model.graph.input):
            (data / f"input_{i}.pb").write_bytes(numpy_helper.from_array(feeds[value.name], value.name).SerializeToString())
        for i, (value, result) in enumerate(zip(model.graph.output, reference(model, feeds))):
            (data / f"output_{i}.pb").write_bytes(numpy_helper.from_array(result, value.name).SerializeToString())
    size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
    print(f"{name}: {len(model.graph.node)} nodes, {size // 1024} KiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the models")
    parser.add_argument("names", nargs="*", help="architectures to write (default: all)")
    args = parser.parse_args()
    for name in args.names or ARCHITECTURES:
        write(name, ARCHITECTURES[name], args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
