//! What the command's integration tests share: starting the binary, feeding it, and the
//! library's canonical form to compare its output with.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use bytes::BytesMut;
use serde_json::Value;
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

/// Runs the binary and expects `code` with one error line on standard error.
pub fn fails(args: &[&str], stdin: &[u8], code: i32) -> (Vec<u8>, String) {
    let out = run(args, stdin);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    (out.stdout, stderr)
}

/// A file of the repository's `samples`.
pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples").join(name)
}

/// [`sample`] as a string, for arguments.
pub fn sample_str(name: &str) -> String {
    sample(name).to_str().unwrap().to_string()
}

/// The bytes of a file.
pub fn read(path: impl AsRef<Path>) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// A fresh directory for one test, removed with what is in it when the test ends (passed or
/// failed): a run leaves nothing behind in the temporary directory.
pub fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("streamline-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// The directory [`scratch`] made; it reads as its path.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `report --format json` with `args`, parsed.
pub fn report_json(args: &[&str]) -> Value {
    let out = ok(&[&["report", "--format", "json"][..], args].concat(), b"");
    serde_json::from_slice(&out).expect("report --format json prints JSON")
}

/// The object of encoding `id` in a report of one direction.
pub fn encoding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["encodings"].as_array().unwrap().iter().find(|e| e["id"] == id).unwrap()
}

/// A JSON number.
pub fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
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

/// The canonical plain form of a plain response stream, by the library: each response read
/// as the answer to the request of `requests` (a plain request stream) at its place, or to
/// neither HEAD nor CONNECT without it.
pub fn canonical_responses(plain: &[u8], requests: Option<&[u8]>) -> Vec<u8> {
    let mut parser = http1::ResponseParser::new();
    if let Some(requests) = requests {
        let mut src = BytesMut::from(requests);
        let mut reader = http1::Parser::new();
        while let Some(req) = reader.decode_eof(&mut src).unwrap() {
            parser.expect(req.head().method());
        }
    }
    let mut src = BytesMut::from(plain);
    let mut out = Vec::new();
    while let Some(resp) = parser.decode_eof(&mut src).unwrap() {
        resp.write_http1(&mut out);
    }
    out
}
