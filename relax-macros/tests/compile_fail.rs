//! Errors in a `relax!` body are `compile_error!`s on the offending tokens.
//! Each case in tests/ui has the exact expected rustc output beside it.

#[test]
fn errors_point_at_the_offending_tokens() {
    // What `relax_build::configure()` would pass from a build script.
    let out = std::env::temp_dir().join("relax-macros-ui");
    std::fs::create_dir_all(&out).unwrap();
    std::env::set_var("RELAX_TARGET", host_triple());
    std::env::set_var("RELAX_OUT_DIR", &out);
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

fn host_triple() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => format!("{arch}-unknown-linux-gnu"),
        "macos" => format!("{arch}-apple-darwin"),
        os => panic!("add the host triple for {os}"),
    }
}
