//! Tells the `relax!` macro the target and where to put the compiled archive.
fn main() {
    relax_build::configure();
}
