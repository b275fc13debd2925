//! Two ONNX models with run-time control flow, compiled ahead of time by
//! `build.rs` and called as ordinary Rust functions:
//!
//! - `loop_decoder`: an RNN cell run by a counted `Loop` over the sequence
//!   (its hidden states stacked), then a `while` loop that stops when the body
//!   says so, through the typed API: `loop_decoder::forward(&sequence)`.
//! - `if_model`: a CNN whose head is chosen by a run-time `If`, through the
//!   dynamic API (`forward_dyn`), which takes any inputs and checks them.
//!
//! Each runs on both data sets of its test case (different batch and sequence
//! sizes) and prints every output, flattened, as `MODEL_SET_OUTPUT[0]: v ..`.

use relax_rt::{DType, DynTensor, Tensor};

include!(concat!(env!("OUT_DIR"), "/loop_decoder.rs"));
include!(concat!(env!("OUT_DIR"), "/if_model.rs"));

/// One embedded input (in the model's input order): its shape and
/// little-endian bytes.
struct Input {
    shape: &'static [usize],
    bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/inputs.rs"));

fn dyn_tensor(input: &Input, dtype: DType) -> DynTensor {
    let mut t = DynTensor::zeros(dtype, input.shape);
    t.bytes_mut().copy_from_slice(input.bytes);
    t
}

fn print_values(label: &str, values: impl Iterator<Item = f64>) {
    let text: Vec<String> = values.map(|v| format!("{v:.9e}")).collect();
    println!("{label}[0]: {}", text.join(" "));
}

fn print_f32(label: &str, t: &Tensor<f32>) {
    print_values(label, t.data().iter().map(|&v| v as f64));
}

fn main() -> Result<(), relax_rt::Error> {
    for (set, inputs) in LOOP_DECODER.iter().enumerate() {
        let sequence = dyn_tensor(&inputs[0], DType::F32).to_tensor::<f32>()?;
        let (states, refined, steps) = loop_decoder::forward(&sequence)?;
        println!("loop_decoder set {set}: sequence {:?}, {} shrink steps", sequence.shape(), steps.data()[0]);
        print_f32(&format!("loop_decoder_{set}_states"), &states);
        print_f32(&format!("loop_decoder_{set}_refined"), &refined);
        print_values(&format!("loop_decoder_{set}_shrink_steps"), steps.data().iter().map(|&v| v as f64));
    }
    for (set, inputs) in IF_MODEL.iter().enumerate() {
        let tensors: Vec<DynTensor> = inputs.iter().map(|i| dyn_tensor(i, DType::F32)).collect();
        let outputs = if_model::forward_dyn(&tensors.iter().collect::<Vec<_>>())?;
        let features = outputs[0].to_tensor::<f32>()?;
        println!("if_model set {set}: image {:?}", tensors[0].shape());
        print_f32(&format!("if_model_{set}_features"), &features);
    }
    let wrong = Tensor::<f32>::zeros(&[3, 1, 5]);
    match loop_decoder::forward(&wrong) {
        Err(e) => println!("wrong input shape is rejected: {e}"),
        Ok(_) => println!("ERROR: a [3, 1, 5] sequence was accepted"),
    }
    Ok(())
}
