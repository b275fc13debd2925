//! Running sub-processes: printing them, streaming their output, and turning
//! failures into one readable line that names the command.

use std::fmt;
use std::io::{self, Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;

/// An error for the user: one line, no backtrace.
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// `bail!("...", args)`: return an [`Error`] with a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::cmd::Error(format!($($arg)*))) };
}
pub(crate) use bail;

/// The command as a shell-like line, for messages: `apt-get install -y foo`.
/// Environment variables set on the command are shown first (`K=V cmd ...`).
pub fn display(cmd: &Command) -> String {
    let mut parts = Vec::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            parts.push(format!("{}={}", k.to_string_lossy(), quote(&v.to_string_lossy())));
        }
    }
    // `$CARGO` is a long toolchain path; `cargo` says the same.
    let program = std::path::Path::new(cmd.get_program());
    if program.file_name().is_some_and(|f| f == "cargo") {
        parts.push("cargo".to_string());
    } else {
        parts.push(quote(&cmd.get_program().to_string_lossy()));
    }
    parts.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    parts.join(" ")
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                if let Some(sig) = status.signal() {
                    return format!("signal {sig}");
                }
            }
            "an unknown status".to_string()
        }
    }
}

fn spawn_error(cmd: &Command, e: io::Error) -> Error {
    let program = cmd.get_program().to_string_lossy().into_owned();
    if e.kind() == io::ErrorKind::NotFound {
        Error(format!("`{program}` not found (needed to run `{}`)", display(cmd)))
    } else {
        Error(format!("could not start `{}`: {e}", display(cmd)))
    }
}

/// Print `$ cmd` and run it with inherited stdio; error if it does not succeed.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = run_status(cmd)?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(cmd, status))
    }
}

/// Print `$ cmd` and run it with inherited stdio; return its exit status.
/// Errors only if it could not be started.
pub fn run_status(cmd: &mut Command) -> Result<ExitStatus> {
    println!("$ {}", display(cmd));
    flush();
    cmd.status().map_err(|e| spawn_error(cmd, e))
}

/// The error for a command that ran and failed.
pub fn failed(cmd: &Command, status: ExitStatus) -> Error {
    Error(format!("`{}` failed with {}", display(cmd), describe_status(status)))
}

/// Run quietly and capture stdout (stderr is captured too and returned on failure).
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| spawn_error(cmd, e))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
        let mut msg = format!("`{}` failed with {}", display(cmd), describe_status(out.status));
        if !last.is_empty() {
            msg.push_str(": ");
            msg.push_str(last.trim());
        }
        return Err(Error(msg));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Which of a child's output streams to copy through while also keeping it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tee {
    Stdout,
    Stderr,
}

/// Print `$ cmd` and run it, streaming its output as it comes (byte by byte
/// chunks, so partial lines such as `test foo ... ` show at once) while also
/// collecting the chosen stream. The other stream is inherited untouched.
pub fn run_tee(cmd: &mut Command, which: Tee) -> Result<(ExitStatus, String)> {
    println!("$ {}", display(cmd));
    flush();
    match which {
        Tee::Stdout => cmd.stdout(Stdio::piped()),
        Tee::Stderr => cmd.stderr(Stdio::piped()),
    };
    let mut child = cmd.spawn().map_err(|e| spawn_error(cmd, e))?;
    let pipe: Box<dyn Read + Send> = match which {
        Tee::Stdout => Box::new(child.stdout.take().expect("stdout was piped")),
        Tee::Stderr => Box::new(child.stderr.take().expect("stderr was piped")),
    };
    let copier = thread::spawn(move || copy_and_keep(pipe, which));
    let status = child.wait().map_err(|e| Error(format!("waiting for `{}`: {e}", display(cmd))))?;
    let kept = copier.join().unwrap_or_default();
    Ok((status, kept))
}

fn copy_and_keep(mut from: Box<dyn Read + Send>, to: Tee) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        kept.extend_from_slice(&buf[..n]);
        // A closed terminal is no reason to stop draining the child's pipe.
        let _ = match to {
            Tee::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(&buf[..n]).and_then(|_| out.flush())
            }
            Tee::Stderr => {
                let mut err = io::stderr().lock();
                err.write_all(&buf[..n]).and_then(|_| err.flush())
            }
        };
    }
    String::from_utf8_lossy(&kept).into_owned()
}

pub fn flush() {
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
}
