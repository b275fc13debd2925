//! A model declared inline with `relax!`: a small CNN (conv2d, relu, max
//! pooling, flatten, matmul, log_softmax) over batches of 8x8 images, with a
//! symbolic batch size `n`. It prints its outputs for a fixed input so tests can
//! compare every target against the reference interpreter.

use relax::{relax, Tensor};

relax! {
    #[weights = "weights/cnn.safetensors"]
    mod cnn {
        fn forward(x: Tensor<[n, 1, 8, 8], f32>) -> Tensor<[n, 10], f32> {
            dataflow {
                let c = relu(conv2d(x, conv_w, conv_b, padding = [1, 1, 1, 1]));
                let p = max_pool2d(c, kernel = [2, 2], strides = [2, 2]);
                let f = flatten(p, axis = 1);
                let y = log_softmax(matmul(f, fc_w) + fc_b, axis = -1);
                output y;
            }
            y
        }
    }
}

/// The fixed input: a smooth pattern, different per image.
fn input(batch: usize) -> Tensor<f32> {
    Tensor::from_fn(&[batch, 1, 8, 8], |i| ((i as f32) * 0.37).sin())
}

fn main() -> Result<(), relax::Error> {
    let y = cnn::forward(&input(3))?;
    for (i, row) in y.data().chunks_exact(10).enumerate() {
        let values: Vec<String> = row.iter().map(|v| format!("{v:.9e}")).collect();
        println!("y[{i}]: {}", values.join(" "));
    }
    match cnn::forward(&Tensor::zeros(&[3, 1, 8, 7])) {
        Err(e) => println!("rejected: {e}"),
        Ok(_) => println!("ERROR: a [3, 1, 8, 7] input was accepted"),
    }
    Ok(())
}
