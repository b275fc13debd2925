//! What a panic becomes. A panic in relaxc is a bug in relax-rs, never the
//! user's fault, so it is reported as one paragraph that says so and where it
//! happened, instead of Rust's panic message and backtrace hint.

use std::panic::PanicHookInfo;
use std::sync::Mutex;

/// The last panic's description, for callers that catch panics.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Replaces the panic hook. With `quiet`, nothing is printed: the conformance
/// runner catches panics per case and records them itself.
pub fn install(quiet: bool) {
    std::panic::set_hook(Box::new(move |info| {
        let description = describe(info);
        if !quiet {
            eprintln!(
                "error: internal error in relaxc: {description}. This is a bug in relax-rs; please report it \
                 with the command and the model that caused it."
            );
        }
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(description);
    }));
}

/// The description of the most recent panic, if any, clearing it.
pub fn take_last() -> Option<String> {
    LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// `message (at file:line)`.
fn describe(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-text payload".to_string());
    match info.location() {
        Some(place) => format!("{message} (at {}:{})", place.file(), place.line()),
        None => message,
    }
}
