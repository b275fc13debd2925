"""Writes weights/cnn.safetensors: deterministic random weights for the example
CNN (the example shows the macro and the ops, not a trained model).
Run: pip install numpy safetensors && python3 make_weights.py"""
import numpy as np
from safetensors.numpy import save_file

rng = np.random.default_rng(7)
save_file(
    {
        "conv_w": (rng.standard_normal((4, 1, 3, 3)) * 0.5).astype(np.float32),
        "conv_b": (rng.standard_normal(4) * 0.1).astype(np.float32),
        "fc_w": (rng.standard_normal((64, 10)) * 0.2).astype(np.float32),
        "fc_b": (rng.standard_normal(10) * 0.1).astype(np.float32),
    },
    "weights/cnn.safetensors",
)
