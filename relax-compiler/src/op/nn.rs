//! Neural-network operators: normalizations (`softmax`, `log_softmax`,
//! `layer_norm`), convolution (`conv2d`, `conv3d`) and pooling
//! (`max_pool2d`, `avg_pool2d`, `lp_pool2d`, their 3-D forms,
//! `global_avg_pool2d`). Each lives in its own file under `nn/`, with the
//! helpers its family shares: row-wise kernels for the normalizations,
//! sliding-window geometry for convolution and pooling.

mod conv2d;
mod layer_norm;
mod pool;
mod rows;
mod softmax;
pub(crate) mod window;

use super::OpDef;

pub const OPS: &[OpDef] = &[
    softmax::SOFTMAX,
    softmax::LOG_SOFTMAX,
    layer_norm::LAYER_NORM,
    conv2d::CONV2D,
    conv2d::CONV3D,
    pool::MAX_POOL2D,
    pool::AVG_POOL2D,
    pool::LP_POOL2D,
    pool::MAX_POOL3D,
    pool::AVG_POOL3D,
    pool::LP_POOL3D,
    pool::GLOBAL_AVG_POOL2D,
];
