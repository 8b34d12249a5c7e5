//! What the command's integration tests share: starting the binary, feeding it, and the
//! library's canonical form to compare its output with.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};

use bytes::BytesMut;
use streamline::http1;

/// The `streamline` binary this crate builds.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_streamline"))
}

/// Starts the binary with its three standard streams piped.
pub fn spawn(args: &[&str]) -> Child {
    bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Runs the binary with `stdin` as standard input.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = spawn(args);
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // Write from another thread: the child may fill its stdout pipe before reading all of it.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Runs the binary and expects success with nothing on standard error (no progress bar when
/// standard error is not a terminal).
pub fn ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = run(args, stdin);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    out.stdout
}

/// The canonical plain form of a plain stream, by the library.
pub fn canonical(plain: &[u8]) -> Vec<u8> {
    let mut src = BytesMut::from(plain);
    let mut parser = http1::Parser::new();
    let mut out = Vec::new();
    while let Some(req) = parser.decode_eof(&mut src).unwrap() {
        req.write_http1(&mut out);
    }
    out
}
