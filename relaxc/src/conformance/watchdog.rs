//! The per-case time limit (each case brings its own: a real model takes far
//! longer than a node case). A case stuck in the compiler or in generated code
//! cannot be interrupted from inside the process, so when the running case
//! passes its limit the watchdog records it in the journal as timed out and
//! ends the process; a resumed run (`--resume`, which `cargo xtask
//! conformance` does by itself) carries on with the next case.
//!
//! The journal lives behind the watchdog's lock, so a case finishing just as
//! its time runs out is recorded once, by whichever side gets the lock first.

use super::journal::Journal;
use super::outcome::{Outcome, Status};
use crate::error::Result;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// The exit code of a run stopped by a timeout: resume it to continue.
pub const TIMED_OUT_EXIT: u8 = 3;

/// The running case: its name, its progress label (`[  7/1884]`), its start
/// and its time limit.
#[derive(Clone)]
struct Running {
    case: String,
    label: String,
    started: Instant,
    limit: Duration,
}

struct State {
    journal: Journal,
    running: Option<Running>,
}

pub struct Watchdog {
    state: Arc<Mutex<State>>,
}

impl Watchdog {
    /// Starts watching; cases are announced with [`Watchdog::begin`].
    pub fn start(journal: Journal) -> Watchdog {
        let state = Arc::new(Mutex::new(State { journal, running: None }));
        let watched = Arc::clone(&state);
        thread::spawn(move || watch(&watched));
        Watchdog { state }
    }

    /// Records that `case` starts and may run for `limit`; `label` prefixes
    /// its line if it times out.
    pub fn begin(&self, case: &str, label: &str, limit: Duration) -> Result<()> {
        let mut state = lock(&self.state);
        state.journal.begin(case)?;
        let running = Running { case: case.to_string(), label: label.to_string(), started: Instant::now(), limit };
        state.running = Some(running);
        Ok(())
    }

    pub fn finish(&self, outcome: &Outcome) -> Result<()> {
        let mut state = lock(&self.state);
        state.running = None;
        state.journal.done(outcome)
    }
}

fn watch(state: &Mutex<State>) {
    loop {
        thread::sleep(Duration::from_millis(200));
        let mut state = lock(state);
        let Some(Running { case, label, started, limit }) = state.running.clone() else { continue };
        if started.elapsed() < limit {
            continue;
        }
        let reason = format!("timed out after {} s", limit.as_secs());
        let recorded = state.journal.done(&Outcome::new(&case, Status::Crash, None, &reason).timed(limit));
        println!("{label} {:<11}  {case}: {reason}", Status::Crash);
        match recorded {
            Ok(()) => eprintln!("stopped: {case} timed out; run again with --resume to continue with the next case"),
            Err(e) => eprintln!("stopped: {case} timed out, and recording it failed: {e}"),
        }
        // Exits with the lock held: no other journal line can follow.
        std::process::exit(i32::from(TIMED_OUT_EXIT));
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}
