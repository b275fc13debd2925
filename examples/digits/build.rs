//! Compiles the model to native code for the crate's target at build time.
fn main() {
    if let Err(e) = relax_build::Model::from_file("../../models/digits/digits.relax").build() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
