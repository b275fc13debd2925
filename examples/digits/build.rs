//! Compiles the model to native code for the crate's target at build time:
//! once with its weights embedded (the default), and once more, as module
//! `digits_separate`, with separate weights (a code-only archive plus a
//! safetensors file loaded at run time, as large models are built).
const MODEL: &str = "../../models/digits/digits.relax";

fn main() {
    let text = std::fs::read_to_string(MODEL).unwrap_or_default();
    let separate = relax_build::Model::from_source(
        "digits_separate.relax",
        &text.replace("mod digits", "mod digits_separate"),
        "../../models/digits",
    )
    .separate_weights(true);
    for model in [relax_build::Model::from_file(MODEL), separate] {
        if let Err(e) = model.build() {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
    println!("cargo:rerun-if-changed={MODEL}");
}
