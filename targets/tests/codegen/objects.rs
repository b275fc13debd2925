//! Object files and archives for every target: the right format and machine,
//! the entry symbols exported, no dependency on libm, and an archive symbol
//! table that lists the entries.

use crate::common::math_module;
use crate::entries::scale_module;
use object::read::archive::ArchiveFile;
use object::{Architecture, BinaryFormat, Object, ObjectSymbol};
use relax_compiler::IRModule;
use relax_targets::{emit_llvm_ir, emit_object, write_archive, Target};

const TRIPLES: [(&str, &[&str], BinaryFormat, Architecture); 5] = [
    ("x86_64-unknown-linux-gnu", &[], BinaryFormat::Elf, Architecture::X86_64),
    ("x86_64-unknown-linux-gnu", &["avx2", "fma"], BinaryFormat::Elf, Architecture::X86_64),
    ("aarch64-unknown-linux-gnu", &["neon"], BinaryFormat::Elf, Architecture::Aarch64),
    ("wasm32-unknown-unknown", &[], BinaryFormat::Wasm, Architecture::Wasm32),
    ("wasm32-unknown-unknown", &["simd128"], BinaryFormat::Wasm, Architecture::Wasm32),
];

/// Symbols the generated code may import: the C library's memory routines
/// (LLVM's `memcpy`/`memset` intrinsics) and nothing else, in particular no libm.
const ALLOWED_IMPORTS: [&str; 3] = ["memcpy", "memset", "memmove"];

fn target(triple: &str, features: &[&str]) -> Target {
    let features: Vec<String> = features.iter().map(|f| f.to_string()).collect();
    Target::from_triple(triple, &features).unwrap()
}

fn combined_module() -> IRModule {
    let mut module = scale_module();
    let math = math_module();
    module.prim_funcs.extend(math.prim_funcs);
    module.entries.extend(math.entries);
    module
}

#[test]
fn objects_have_the_target_format_and_export_the_entries() {
    let module = combined_module();
    for (triple, features, format, arch) in TRIPLES {
        let bytes = emit_object(&module, &target(triple, features), "demo").unwrap_or_else(|e| panic!("{triple}: {e}"));
        match format {
            BinaryFormat::Elf => assert_eq!(&bytes[..4], b"\x7fELF", "{triple}"),
            _ => assert_eq!(&bytes[..4], b"\0asm", "{triple}"),
        }
        let (defined, imports) = match format {
            BinaryFormat::Wasm => nm_symbols(&bytes),
            _ => {
                let file = object::File::parse(&*bytes).unwrap();
                assert_eq!((file.format(), file.architecture()), (format, arch), "{triple}");
                let names = |undefined: bool| -> Vec<String> {
                    file.symbols()
                        .filter(|s| s.is_undefined() == undefined && (undefined || s.is_global()))
                        .filter_map(|s| s.name().ok().map(str::to_string))
                        .filter(|n| !n.is_empty())
                        .collect()
                };
                (names(false), names(true))
            }
        };
        for symbol in ["demo_forward", "demo_forward_prepare", "demo_copy", "demo_math_f32", "demo_math_f64_prepare"] {
            assert!(defined.iter().any(|d| d == symbol), "{triple}: {symbol} not exported; defined: {defined:?}");
        }
        for import in &imports {
            assert!(
                ALLOWED_IMPORTS.contains(&import.as_str()),
                "{triple} {features:?}: generated code imports `{import}`"
            );
        }
    }
}

/// `(defined global, undefined)` symbols of a wasm object, by `llvm-nm` (the
/// `object` crate does not read wasm relocatable objects).
fn nm_symbols(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let path = std::env::temp_dir().join(format!("relax-targets-nm-{}.o", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new(crate::common::llvm_tool("llvm-nm"))
        .arg(&path)
        .output()
        .expect("llvm-nm (from LLVM 19, which building this crate requires) runs");
    std::fs::remove_file(&path).ok();
    assert!(output.status.success(), "llvm-nm: {}", String::from_utf8_lossy(&output.stderr));
    let (mut defined, mut undefined) = (Vec::new(), Vec::new());
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["U", name] => undefined.push(name.to_string()),
            [_, kind, name] if kind.chars().all(|c| c.is_ascii_uppercase()) => defined.push(name.to_string()),
            _ => {}
        }
    }
    (defined, undefined)
}

#[test]
fn archives_list_the_entry_symbols() {
    let dir = std::env::temp_dir().join(format!("relax-targets-archive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (triple, features, _, _) in TRIPLES {
        let t = target(triple, features);
        let object = emit_object(&scale_module(), &t, "demo").unwrap();
        let path = dir.join("libdemo.a");
        write_archive(&path, &[("demo.o".to_string(), object)], &t).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let archive = ArchiveFile::parse(&*bytes).unwrap();
        let symbols: Vec<String> = archive
            .symbols()
            .unwrap()
            .unwrap_or_else(|| panic!("{triple}: archive has no symbol table"))
            .map(|s| String::from_utf8_lossy(s.unwrap().name()).into_owned())
            .collect();
        for expected in ["demo_forward", "demo_forward_prepare", "demo_copy", "demo_copy_prepare"] {
            assert!(symbols.iter().any(|s| s == expected), "{triple}: {expected} missing from {symbols:?}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn archive_member_names_must_be_plain_file_names() {
    let t = target("x86_64-unknown-linux-gnu", &[]);
    let err = write_archive(&std::env::temp_dir().join("never.a"), &[("a/b.o".into(), vec![])], &t).unwrap_err();
    assert!(err.message().contains("a/b.o"), "{err}");
}

/// The IR dump is the optimized module: kernels are inlined into the entry and
/// an element-wise loop is vectorized for the target's vector width.
#[test]
fn llvm_ir_shows_vectorized_inner_loops() {
    let ir = emit_llvm_ir(&scale_module(), &target("x86_64-unknown-linux-gnu", &["avx2"]), "demo").unwrap();
    assert!(ir.contains("@demo_forward("), "{ir}");
    assert!(ir.contains("<8 x float>") || ir.contains("<4 x float>"), "no vector code in:\n{ir}");
}

#[test]
fn bad_symbol_prefix_is_an_error() {
    let err = emit_object(&scale_module(), &target("x86_64-unknown-linux-gnu", &[]), "my-model").unwrap_err();
    assert!(err.message().contains("my-model"), "{err}");
}
