//! Progress for slow steps, so a long compile does not look hung: once a step
//! has run for a moment, a status line on stderr with the elapsed time —
//! redrawn in place every second on a terminal, repeated now and then when
//! stderr is a file or a pipe. Quick steps print nothing.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Steps quicker than this print nothing.
const QUIET_FOR: Duration = Duration::from_secs(2);
/// How often a non-terminal gets a new line.
const LOG_EVERY: Duration = Duration::from_secs(15);

/// Runs `step`, showing `what` (`compiling model.onnx`) while it is slow.
pub fn while_running<T>(what: &str, step: impl FnOnce() -> T) -> T {
    let _status = Status::start(what.to_string());
    step()
}

/// The status line of one running step; dropping it (even while unwinding)
/// stops the display.
struct Status {
    done: Arc<(Mutex<bool>, Condvar)>,
    ticker: Option<JoinHandle<()>>,
}

impl Status {
    fn start(what: String) -> Status {
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = Arc::clone(&done);
        let ticker = thread::spawn(move || show_until_done(&what, &flag));
        Status { done, ticker: Some(ticker) }
    }
}

impl Drop for Status {
    fn drop(&mut self) {
        let (lock, wake) = &*self.done;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

fn show_until_done(what: &str, done: &(Mutex<bool>, Condvar)) {
    let start = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut last_logged: Option<Duration> = None;
    let (lock, wake) = done;
    let mut finished = lock.lock().unwrap_or_else(|e| e.into_inner());
    while !*finished {
        finished = wake.wait_timeout(finished, Duration::from_secs(1)).unwrap_or_else(|e| e.into_inner()).0;
        let elapsed = start.elapsed();
        if *finished || elapsed < QUIET_FOR {
            continue;
        }
        if terminal {
            eprint!("\r\x1b[K{what}... {}s", elapsed.as_secs());
            let _ = std::io::stderr().flush();
            last_logged = Some(elapsed);
        } else if last_logged.is_none_or(|t| elapsed - t >= LOG_EVERY) {
            eprintln!("{what}... ({}s so far)", elapsed.as_secs());
            last_logged = Some(elapsed);
        }
    }
    if terminal && last_logged.is_some() {
        eprint!("\r\x1b[K");
        let _ = std::io::stderr().flush();
    }
}
