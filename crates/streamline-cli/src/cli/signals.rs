//! SIGINT, SIGTERM and SIGHUP: the process exits with status 130, leaving no temporary file
//! of `-o FILE` behind (FILE stays as it was), and the streaming commands first write every
//! whole request read to standard output.
//!
//! The handler runs on a thread of its own (the `ctrlc` crate), not in signal context. In a
//! command that reads through `io::Events` ([`cooperate`]) it only raises a flag and wakes a
//! read that waits (a byte on a pipe that a live input's wait watches, see [`wait_readable`]):
//! the command notices the flag before its next read, or is woken from the one it waits in,
//! writes out what is whole (the requests `encode`'s window holds among them) and exits. A
//! source that cannot be woken (not Unix) has written out what the window let out before it
//! waits (see `Item::Idle` in `io`): once the writer thread has nothing in hand the handler
//! ends the process itself. If the output is stuck (a reader that never reads), the handler
//! gives up waiting after [`GRACE`]. In any other command the handler removes the temporary
//! files and exits at once.

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
        wake::open();
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, Ordering::SeqCst);
            wake::raise();
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

/// Waits until `fd` (a live input) is readable, or until a signal came: `Ok(false)` then. A
/// read after `Ok(true)` does not block (it may find the end of the input or an error).
#[cfg(unix)]
pub fn wait_readable(fd: std::os::fd::RawFd) -> std::io::Result<bool> {
    wake::wait(fd)
}

/// The pipe a signal writes a byte to, so that a wait for input sees it (the self-pipe).
#[cfg(unix)]
mod wake {
    use std::io;
    use std::os::fd::RawFd;
    use std::sync::atomic::{AtomicI32, Ordering};

    /// The pipe's ends; -1 until [`open`] made it (or if it could not).
    static READ: AtomicI32 = AtomicI32::new(-1);
    static WRITE: AtomicI32 = AtomicI32::new(-1);

    /// Makes the pipe (once, before the handler is set). Should that fail, a wait is not
    /// woken and the handler falls back on its grace period.
    pub fn open() {
        let mut fds = [-1; 2];
        // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } == 0 {
            READ.store(fds[0], Ordering::SeqCst);
            WRITE.store(fds[1], Ordering::SeqCst);
        }
    }

    /// Makes the pipe readable for good: the byte is never read, so every later wait ends too.
    pub fn raise() {
        let fd = WRITE.load(Ordering::SeqCst);
        if fd >= 0 {
            // SAFETY: one byte from a live buffer to a descriptor this module owns.
            let _ = unsafe { libc::write(fd, b"!".as_ptr().cast(), 1) };
        }
    }

    pub fn wait(fd: RawFd) -> io::Result<bool> {
        let wake = READ.load(Ordering::SeqCst);
        let mut fds = [
            libc::pollfd { fd, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: wake, events: libc::POLLIN, revents: 0 },
        ];
        // A negative descriptor is ignored by poll: without the pipe this waits for `fd` alone.
        loop {
            // SAFETY: `fds` is a live array of the two entries the count says.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
            if ready < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            if fds[1].revents != 0 {
                return Ok(false);
            }
            // Readable, closed (POLLHUP) or failed: the read says which.
            if fds[0].revents != 0 {
                return Ok(true);
            }
        }
    }
}

#[cfg(not(unix))]
mod wake {
    pub fn open() {}
    pub fn raise() {}
}
