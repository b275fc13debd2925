//! `cargo xtask setup`: install the system prerequisites listed in
//! [`crate::prereqs`] when they are missing. Idempotent: what is present is
//! reported and skipped, so running it again costs a few `dpkg -s` calls.

use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::cmd::{self, bail, Error, Result, Tee};
use crate::prereqs::{self, APT_PACKAGES, RUST_TARGETS};

/// While another process holds the dpkg/apt lock, apt-get is retried every
/// `LOCK_RETRY_PAUSE` until `LOCK_GIVE_UP` has passed. apt itself also waits up to
/// `LOCK_WAIT_SECS` for the dpkg lock (`DPkg::Lock::Timeout`; it does not wait
/// for the lists lock that `apt-get update` takes).
const LOCK_GIVE_UP: Duration = Duration::from_secs(300);
const LOCK_WAIT_SECS: u32 = 60;
const LOCK_RETRY_PAUSE: Duration = Duration::from_secs(10);

/// Messages apt-get prints when another apt/dpkg holds a lock it needs.
const LOCK_MESSAGES: &[&str] = &[
    "Could not get lock",
    "Unable to acquire the dpkg frontend lock",
    "Unable to lock directory",
    "Unable to lock the administration directory",
];

pub fn setup() -> Result<()> {
    println!("== setup: system prerequisites ==");
    if !cfg!(target_os = "linux") {
        bail!(
            "`cargo xtask setup` supports Debian/Ubuntu only; install by hand: {} and the rust targets {}",
            names(APT_PACKAGES.iter().map(|p| p.name)),
            names(RUST_TARGETS.iter().map(|t| t.triple)),
        );
    }

    let apt_added = apt_packages()?;
    let targets_added = rust_targets()?;
    let llvm = check_llvm()?;

    println!(
        "setup: ok: {} apt packages ({}), {} rust targets ({}), LLVM {llvm} at {}",
        APT_PACKAGES.len(),
        added(&apt_added, "installed"),
        RUST_TARGETS.len(),
        added(&targets_added, "added"),
        prereqs::LLVM_PREFIX,
    );
    Ok(())
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(" ")
}

fn added(list: &[&str], verb: &str) -> String {
    if list.is_empty() {
        "all present".to_string()
    } else {
        format!("{verb} now: {}", list.join(" "))
    }
}

// ---------------------------------------------------------------------------
// apt

/// Returns the packages it installed.
fn apt_packages() -> Result<Vec<&'static str>> {
    let mut missing = Vec::new();
    for p in APT_PACKAGES {
        let ok = dpkg_installed(p.name)?;
        println!("  apt    {:<8} {:<26} {}", if ok { "ok" } else { "missing" }, p.name, p.why);
        if !ok {
            missing.push(p.name);
        }
    }
    install_missing(&missing)?;
    Ok(missing)
}

/// Installs `packages` (needed by one command only, so not in
/// [`APT_PACKAGES`]) unless they are installed already.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    let mut missing = Vec::new();
    for p in packages {
        if !dpkg_installed(p)? {
            missing.push(*p);
        }
    }
    install_missing(&missing)
}

/// `apt-get install` of `missing`, then a check that each is now installed.
fn install_missing(missing: &[&str]) -> Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    println!("installing apt packages: {}", missing.join(" "));
    apt_get(&["update"])?;
    apt_get(&[&["install", "-y"][..], missing].concat())?;
    let still: Vec<&str> = missing.iter().copied().filter(|p| !matches!(dpkg_installed(p), Ok(true))).collect();
    if !still.is_empty() {
        bail!("apt-get install finished but these packages are still not installed: {}", still.join(" "));
    }
    Ok(())
}

/// `dpkg -s NAME` reports `Status: install ok installed` for an installed
/// package (a removed one can still be known, with another status).
fn dpkg_installed(name: &str) -> Result<bool> {
    let out = Command::new("dpkg").args(["-s", name]).output();
    match out {
        Ok(out) => Ok(String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == "Status: install ok installed")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "`dpkg` not found: `cargo xtask setup` supports Debian/Ubuntu only; install by hand the equivalents of: {}",
            names(APT_PACKAGES.iter().map(|p| p.name))
        ),
        Err(e) => bail!("could not run `dpkg -s {name}`: {e}"),
    }
}

/// Run `apt-get ARGS` non-interactively (through sudo when not root), waiting
/// and retrying while another process holds the dpkg/apt lock.
fn apt_get(args: &[&str]) -> Result<()> {
    let root = is_root();
    let start = Instant::now();
    loop {
        let mut c = if root {
            let mut c = Command::new("apt-get");
            c.env("DEBIAN_FRONTEND", "noninteractive");
            c
        } else {
            // sudo resets the environment; it accepts VAR=value arguments.
            let mut c = Command::new("sudo");
            c.args(["DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            c
        };
        c.args(["-o", &format!("DPkg::Lock::Timeout={LOCK_WAIT_SECS}")]).args(args);

        let (status, stderr) = match cmd::run_tee(&mut c, Tee::Stderr) {
            Err(Error(msg)) if !root && msg.starts_with("`sudo` not found") => bail!(
                "not running as root and `sudo` not found: run `cargo xtask setup` as root, or install: {}",
                names(APT_PACKAGES.iter().map(|p| p.name))
            ),
            r => r?,
        };
        if status.success() {
            return Ok(());
        }
        let locked = LOCK_MESSAGES.iter().any(|m| stderr.contains(m));
        if locked && start.elapsed() < LOCK_GIVE_UP {
            println!(
                "apt/dpkg is locked by another process (another apt-get or unattended-upgrades running?); \
                 retrying in {}s (waited {}s of at most {}s)",
                LOCK_RETRY_PAUSE.as_secs(),
                start.elapsed().as_secs(),
                LOCK_GIVE_UP.as_secs(),
            );
            thread::sleep(LOCK_RETRY_PAUSE);
            continue;
        }
        let mut err = cmd::failed(&c, status);
        if locked {
            err.0.push_str(&format!(" (apt/dpkg stayed locked by another process for {}s)", start.elapsed().as_secs()));
        }
        return Err(err);
    }
}

/// Effective uid 0, read from /proc (std has no geteuid).
fn is_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
            // Uid: real effective saved fs
            return line.split_whitespace().nth(2) == Some("0");
        }
    }
    matches!(cmd::output(Command::new("id").arg("-u")), Ok(s) if s.trim() == "0")
}

// ---------------------------------------------------------------------------
// rustup targets

/// Returns the targets it added.
fn rust_targets() -> Result<Vec<&'static str>> {
    let installed = match cmd::output(Command::new("rustup").args(["target", "list", "--installed"])) {
        Ok(s) => s,
        Err(Error(msg)) if msg.starts_with("`rustup` not found") => return rust_targets_without_rustup(),
        Err(e) => return Err(e),
    };
    let installed: Vec<&str> = installed.lines().map(str::trim).collect();

    let missing = report_targets("rustup", |triple| installed.contains(&triple));
    if !missing.is_empty() {
        println!("adding rust targets: {}", missing.join(" "));
        cmd::run(Command::new("rustup").args(["target", "add"]).args(&missing))?;
    }
    Ok(missing)
}

/// Prints one status line per Rust target and returns the missing ones.
fn report_targets(tool: &str, present: impl Fn(&str) -> bool) -> Vec<&'static str> {
    let mut missing = Vec::new();
    for t in RUST_TARGETS {
        let ok = present(t.triple);
        println!("  {tool:<6} {:<8} {:<26} {}", if ok { "ok" } else { "missing" }, t.triple, t.why);
        if !ok {
            missing.push(t.triple);
        }
    }
    missing
}

/// A toolchain not managed by rustup: the targets' standard libraries must
/// already be in the sysroot; we can only check.
fn rust_targets_without_rustup() -> Result<Vec<&'static str>> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = cmd::output(Command::new(&rustc).args(["--print", "sysroot"]))?;
    let rustlib = Path::new(sysroot.trim()).join("lib/rustlib");
    let missing = report_targets("rustc", |triple| rustlib.join(triple).is_dir());
    if !missing.is_empty() {
        bail!(
            "`rustup` not found and the toolchain at {} lacks the targets {}: install them (rustup is the easy way)",
            sysroot.trim(),
            missing.join(" ")
        );
    }
    Ok(Vec::new())
}

// ---------------------------------------------------------------------------
// LLVM

/// Verifies llvm-config is where llvm-sys will look; returns its version.
fn check_llvm() -> Result<String> {
    let llvm_config = prereqs::llvm_config();
    if !llvm_config.is_file() {
        bail!(
            "{} not found after installing llvm-19-dev: is {} the right prefix for this system?",
            llvm_config.display(),
            prereqs::LLVM_PREFIX
        );
    }
    let version = cmd::output(Command::new(&llvm_config).arg("--version"))?;
    let version = version.trim().to_string();
    if !version.starts_with("19.") {
        bail!("{} reports LLVM {version}, but llvm-sys 191 needs LLVM 19", llvm_config.display());
    }
    println!("  llvm   {:<8} {:<26} {}", "ok", version, llvm_config.display());
    Ok(version)
}
