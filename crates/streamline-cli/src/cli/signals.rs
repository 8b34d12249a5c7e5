//! SIGINT, SIGTERM and SIGHUP: the process exits with status 130, leaving no temporary file
//! of `-o FILE` behind (FILE stays as it was), and the streaming commands first write every
//! whole request read to standard output.
//!
//! The handler runs on a thread of its own (the `ctrlc` crate), not in signal context. In a
//! command that reads through `io::Events` ([`cooperate`]) it only raises a flag: the command
//! notices it before its next read, writes out what is whole and exits. A command blocked
//! reading a quiet input has written out every whole request already (see `Item::Idle` in
//! `io`): once the writer thread has nothing in hand the handler ends the process itself. If
//! the output is stuck (a reader that never reads), the handler gives up waiting after
//! [`GRACE`]. In any other command the handler removes the temporary files and exits at once.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::time::Duration;

/// Exit status after SIGINT or SIGTERM (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// How long the handler waits for the command to write out what is whole.
pub const GRACE: Duration = Duration::from_secs(5);

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// The command is blocked reading, with every whole request handed to the writer.
static WAITING: AtomicBool = AtomicBool::new(false);
/// Buffers handed to the writer thread and not written yet.
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// The command checks [`interrupted`] before every read.
static COOPERATIVE: AtomicBool = AtomicBool::new(false);
/// Temporary files neither renamed nor removed yet: what an interrupt removes.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The error a command stops with once a signal came.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted by a signal")
    }
}

impl std::error::Error for Interrupted {}

/// Installs the handler (once per process; later calls change nothing).
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Should installing fail, an interrupt kills the process as by default: a temporary
        // file may stay behind, never a half-written FILE.
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            let step = Duration::from_millis(5);
            let mut waited = Duration::ZERO;
            while COOPERATIVE.load(Ordering::SeqCst) && waited < GRACE {
                if WAITING.load(Ordering::SeqCst) && PENDING.load(Ordering::SeqCst) == 0 {
                    break;
                }
                std::thread::sleep(step);
                waited += step;
            }
            for temporary in temporaries().drain(..) {
                let _ = std::fs::remove_file(temporary);
            }
            std::process::exit(EXIT_INTERRUPTED);
        });
    });
}

/// Installs the handler for a command that checks [`interrupted`] before every read.
pub fn cooperate() {
    COOPERATIVE.store(true, Ordering::SeqCst);
    install();
}

/// The temporary files an interrupt removes.
pub fn temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether a signal came.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Says the command is (or is no longer) blocked reading with everything whole written out.
pub fn set_waiting(waiting: bool) {
    WAITING.store(waiting, Ordering::SeqCst);
}

/// A buffer was handed to the writer thread.
pub fn buffer_sent() {
    PENDING.fetch_add(1, Ordering::SeqCst);
}

/// The writer thread wrote a buffer (or gave up on it).
pub fn buffer_written() {
    PENDING.fetch_sub(1, Ordering::SeqCst);
}
