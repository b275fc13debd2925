#!/usr/bin/env python3
"""Train the bundled `digits` demo model and write its committed artifacts.

This script is NOT run at build time: its outputs are committed. Run it again
only to regenerate them:

    pip install numpy scikit-learn safetensors
    python3 models/digits/train.py

Outputs (paths relative to this file's directory):

    weights/digits.safetensors  f32 tensors w1 [64,32], b1 [32], w2 [32,10], b2 [10]
                                so that probs = softmax(relu(x @ w1 + b1) @ w2 + b2)
    data/digits_test.bin        the test split (format: see data/README.md)
    expected.txt                reference results of the float32 numpy forward pass
                                over data/digits_test.bin (format: see README.md)

Everything is deterministic: fixed split seed, fixed MLP seed, no shuffling
that depends on anything but those seeds.
"""

import os
import struct
import sys

import numpy as np
from safetensors.numpy import save_file
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = os.path.join(HERE, "weights", "digits.safetensors")
TEST_BIN = os.path.join(HERE, "data", "digits_test.bin")
EXPECTED = os.path.join(HERE, "expected.txt")

SEED = 0
HIDDEN = 32


def forward(x, w1, b1, w2, b2):
    """The model exactly as digits.relax states it, in float32."""
    h = np.maximum(x @ w1 + b1, np.float32(0))
    z = h @ w2 + b2
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def write_test_bin(path, x, y):
    """u32 LE count, then per sample 64 f32 LE pixels followed by one u8 label."""
    assert x.dtype == np.float32 and x.shape[1] == 64
    assert y.min() >= 0 and y.max() <= 9
    with open(path, "wb") as f:
        f.write(struct.pack("<I", x.shape[0]))
        for pixels, label in zip(x, y):
            f.write(pixels.astype("<f4").tobytes())
            f.write(struct.pack("<B", int(label)))


def read_test_bin(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack_from("<I", data, 0)
    assert len(data) == 4 + n * (64 * 4 + 1), "bad file size"
    rec = np.dtype([("x", "<f4", (64,)), ("y", "u1")])
    arr = np.frombuffer(data, dtype=rec, count=n, offset=4)
    return arr["x"].astype(np.float32), arr["y"].astype(np.int64)


def main():
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixels 0..16 -> [0, 1]
    y = digits.target.astype(np.int64)
    assert x.shape == (1797, 64), x.shape

    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=SEED, stratify=y
    )

    # scikit-learn's defaults (adam, lr 1e-3, alpha 1e-4, batch 200, tol 1e-4 over
    # 10 epochs); max_iter is only a cap: training stops on its own (~400 epochs).
    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        max_iter=1000,
        random_state=SEED,
    )
    clf.fit(x_train, y_train)
    if clf.n_iter_ >= clf.max_iter:
        sys.exit(f"training did not converge in {clf.max_iter} epochs")
    assert list(clf.classes_) == list(range(10))
    assert clf.out_activation_ == "softmax"

    w1 = np.ascontiguousarray(clf.coefs_[0], dtype=np.float32)
    b1 = np.ascontiguousarray(clf.intercepts_[0], dtype=np.float32)
    w2 = np.ascontiguousarray(clf.coefs_[1], dtype=np.float32)
    b2 = np.ascontiguousarray(clf.intercepts_[1], dtype=np.float32)
    assert w1.shape == (64, HIDDEN) and b1.shape == (HIDDEN,)
    assert w2.shape == (HIDDEN, 10) and b2.shape == (10,)

    os.makedirs(os.path.dirname(WEIGHTS), exist_ok=True)
    os.makedirs(os.path.dirname(TEST_BIN), exist_ok=True)
    # No __metadata__: safetensors writes it from a hash map, in a random key
    # order, which would make the file differ from run to run.
    save_file({"w1": w1, "b1": b1, "w2": w2, "b2": b2}, WEIGHTS)
    os.chmod(WEIGHTS, 0o644)  # safetensors creates it 0600
    write_test_bin(TEST_BIN, x_test, y_test)

    # Reference: float32 numpy forward pass over exactly what was written.
    xt, yt = read_test_bin(TEST_BIN)
    assert np.array_equal(xt, x_test) and np.array_equal(yt, y_test)
    probs = forward(xt, w1, b1, w2, b2)
    pred = probs.argmax(axis=-1)
    acc = float((pred == yt).mean())

    sk_acc = float((clf.predict(x_test) == y_test).mean())
    if abs(sk_acc - acc) > 1.0 / len(yt) + 1e-9:
        sys.exit(f"numpy forward ({acc}) disagrees with sklearn ({sk_acc})")

    lines = [
        f"accuracy={acc:.4f}",
        f"n_test={len(yt)}",
        "first5_pred=" + " ".join(str(int(p)) for p in pred[:5]),
        "first5_label=" + " ".join(str(int(t)) for t in yt[:5]),
        "probs0=" + " ".join(f"{p:.6f}" for p in probs[0]),
    ]
    with open(EXPECTED, "w") as f:
        f.write("\n".join(lines) + "\n")

    print(f"train samples: {len(y_train)}, test samples: {len(yt)}, "
          f"epochs: {clf.n_iter_}, final loss: {clf.loss_:.5f}")
    print(f"numpy f32 reference test accuracy: {acc:.4f} (sklearn: {sk_acc:.4f})")
    for line in lines:
        print("  " + line)
    print(f"wrote {os.path.relpath(WEIGHTS)}, {os.path.relpath(TEST_BIN)}, "
          f"{os.path.relpath(EXPECTED)}")


if __name__ == "__main__":
    main()
