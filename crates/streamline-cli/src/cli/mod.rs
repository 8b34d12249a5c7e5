//! The command-line tool: arguments to library calls, output, and exit codes.

pub mod amqp;
pub mod answers;
pub mod args;
pub mod bhttp;
pub mod capture;
pub mod cmd;
pub mod http2;
pub mod io;
pub mod link;
pub mod output;
pub mod plot;
pub mod progress;
pub mod signals;
pub mod source;
pub mod stats;

use std::fmt;
use std::io::Write;

use clap::Parser;

use self::args::{Cli, Command};

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: the input was rejected.
pub const EXIT_DATA: i32 = 1;
/// Exit status: usage or I/O error.
pub const EXIT_USAGE: i32 = 2;

/// Input the codec rejected: exit status 1. Everything before it has been written.
#[derive(Debug)]
pub struct DataError {
    /// The input's name.
    pub file: String,
    /// Where and what, e.g. `line 3 (byte 40): unknown opcode 'X' (...)`.
    pub what: String,
    /// Whole messages written before the fault, and what they are (`request`, `response`),
    /// for commands that write messages.
    pub written: Option<(u64, &'static str)>,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.what)?;
        match self.written {
            Some((n, noun)) => write!(f, " ({} written)", io::count(n, noun)),
            None => Ok(()),
        }
    }
}

impl std::error::Error for DataError {}

/// Runs the command line and returns the exit status.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version print to stdout and succeed; usage errors exit 2.
            let _ = err.print();
            return if err.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let result = match cli.command {
        Command::Encode(args) => cmd::encode::run(args),
        Command::Decode(args) => cmd::decode::run(args),
        Command::Report(args) => cmd::report::run(args),
        Command::Gen(args) => cmd::generate::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Gateway(args) => cmd::serve::gateway(args),
        Command::Proxy(args) => cmd::serve::proxy(args),
    };
    let status = match result {
        Ok(()) => EXIT_OK,
        Err(err) => exit_status(&err),
    };
    report_peak_memory();
    status
}

/// With `STREAMLINE_PEAK_RSS` set in the environment, prints the process's peak resident set
/// size (`VmHWM` of `/proc/self/status`, Linux) to standard error as the last line: how the
/// memory bounds in SECURITY.md are checked.
fn report_peak_memory() {
    if std::env::var_os("STREAMLINE_PEAK_RSS").is_none() {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status.lines().find_map(|line| line.strip_prefix("VmHWM:")).map(str::trim);
    let _ = writeln!(std::io::stderr(), "streamline: peak RSS {}", peak.unwrap_or("unknown"));
}

/// Prints an error (unless it is a closed pipe, which ends quietly) and picks the exit status.
fn exit_status(err: &anyhow::Error) -> i32 {
    let closed_pipe = err
        .chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe));
    if closed_pipe {
        return EXIT_OK;
    }
    if err.chain().any(|e| e.is::<signals::Interrupted>() || is_interrupted_io(e)) {
        return signals::EXIT_INTERRUPTED;
    }
    let _ = writeln!(std::io::stderr(), "streamline: error: {err:#}");
    if err.chain().any(|e| e.is::<DataError>()) {
        EXIT_DATA
    } else {
        EXIT_USAGE
    }
}

/// An I/O error that carries [`signals::Interrupted`].
fn is_interrupted_io(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>().and_then(|e| e.get_ref()).is_some_and(|inner| inner.is::<signals::Interrupted>())
}
