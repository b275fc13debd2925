//! The journal of a conformance run: one line per event, appended and flushed
//! as it happens. A crash in generated code kills the whole process and a
//! stuck case is stopped by exiting, so the journal is what survives: a
//! resumed run skips the cases it has, records the case that was running when
//! the process died as a crash, and the report is built from it.
//!
//! Lines are tab-separated: `begin CASE` when a case starts, and
//! `done CASE STATUS MAX_ABS MAX_REL SECONDS REASON` when it has an outcome
//! (the error fields are empty for cases that did not run, the time for a case
//! whose process died under it).

use super::outcome::{Outcome, Status};
use crate::error::{CliError, Result};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The reason recorded for a case whose process died under it.
pub const DIED: &str = "the process died while this case ran (a crash in generated code or in the compiler)";

pub struct Journal {
    path: PathBuf,
    file: File,
}

/// What a journal says so far.
#[derive(Debug, Default, PartialEq)]
pub struct Recorded {
    pub outcomes: BTreeMap<String, Outcome>,
    /// A case that began and never got an outcome.
    pub unfinished: Option<String>,
}

impl Journal {
    /// A new, empty journal (an old one at `path` is discarded).
    pub fn create(path: &Path) -> Result<Journal> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| CliError::io("create", dir, e))?;
        }
        let file = File::create(path).map_err(|e| CliError::io("create", path, e))?;
        Ok(Journal { path: path.to_path_buf(), file })
    }

    /// Continues the journal at `path` (an empty one if there is none). A case
    /// that began and did not finish killed the previous process: it is
    /// recorded as a crash before anything else runs.
    pub fn resume(path: &Path) -> Result<(Journal, BTreeMap<String, Outcome>)> {
        let mut recorded = if path.exists() { read(path)? } else { Recorded::default() };
        let file =
            OpenOptions::new().create(true).append(true).open(path).map_err(|e| CliError::io("open", path, e))?;
        let mut journal = Journal { path: path.to_path_buf(), file };
        if let Some(case) = recorded.unfinished.take() {
            let outcome = Outcome::new(&case, Status::Crash, None, DIED);
            journal.done(&outcome)?;
            recorded.outcomes.insert(case, outcome);
        }
        Ok((journal, recorded.outcomes))
    }

    pub fn begin(&mut self, case: &str) -> Result<()> {
        self.append(&format!("begin\t{case}\n"))
    }

    pub fn done(&mut self, outcome: &Outcome) -> Result<()> {
        let (abs, rel) = outcome.errors.map_or((String::new(), String::new()), |(a, r)| (a.to_string(), r.to_string()));
        let seconds = outcome.seconds.map_or(String::new(), |s| s.to_string());
        let Outcome { case, status, reason, .. } = outcome;
        self.append(&format!("done\t{case}\t{status}\t{abs}\t{rel}\t{seconds}\t{reason}\n"))
    }

    /// One unbuffered write per line: once it returns, the line is the
    /// kernel's and survives this process dying.
    fn append(&mut self, line: &str) -> Result<()> {
        self.file.write_all(line.as_bytes()).map_err(|e| CliError::io("write", &self.path, e))
    }
}

/// Reads a journal. Lines that do not parse are skipped, so a line cut short
/// by a dying process costs at most that case.
pub fn read(path: &Path) -> Result<Recorded> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, e))?;
    let mut recorded = Recorded::default();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["begin", case] => recorded.unfinished = Some(case.to_string()),
            ["done", case, status, abs, rel, seconds, reason] => {
                let Some(status) = Status::from_name(status) else { continue };
                let errors = abs.parse().ok().zip(rel.parse().ok());
                let outcome = Outcome { seconds: seconds.parse().ok(), ..Outcome::new(case, status, errors, reason) };
                recorded.outcomes.insert(case.to_string(), outcome);
                if recorded.unfinished.as_deref() == Some(*case) {
                    recorded.unfinished = None;
                }
            }
            _ => {}
        }
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn outcomes_round_trip_and_an_unfinished_case_becomes_a_crash_on_resume() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let pass = Outcome::new("test_abs", Status::Pass, Some((0.0, 1.5e-7)), "").timed(Duration::from_millis(1234));
        let unsupported = Outcome::new("test_foo", Status::Unsupported, None, "no Foo");
        let mut journal = Journal::create(&path).unwrap();
        for outcome in [&pass, &unsupported] {
            journal.begin(&outcome.case).unwrap();
            journal.done(outcome).unwrap();
        }
        journal.begin("test_bar").unwrap();
        drop(journal);

        let recorded = read(&path).unwrap();
        assert_eq!(recorded.unfinished.as_deref(), Some("test_bar"));
        assert_eq!(recorded.outcomes["test_abs"], pass);
        assert_eq!(recorded.outcomes["test_foo"], unsupported);

        let (_, outcomes) = Journal::resume(&path).unwrap();
        assert_eq!(outcomes["test_bar"], Outcome::new("test_bar", Status::Crash, None, DIED));
        assert_eq!(read(&path).unwrap().unfinished, None, "the crash is written back");
    }

    #[test]
    fn a_cut_off_last_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        std::fs::write(&path, "begin\ta\ndone\ta\tpass\t0\t0\t0.5\t\nbegin\tb\ndone\tb\tfa").unwrap();
        let recorded = read(&path).unwrap();
        assert_eq!(recorded.outcomes.len(), 1);
        assert_eq!(recorded.outcomes["a"].seconds, Some(0.5));
        assert_eq!(recorded.unfinished.as_deref(), Some("b"));
    }
}
