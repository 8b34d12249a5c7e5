//! Files and standard streams: inputs read in fixed pieces, outputs buffered, and the
//! event loop that feeds a reader from an input.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use anyhow::{bail, Context, Result};
use bytes::{Buf, BytesMut};
use indicatif::ProgressBar;
use streamline::{
    BorrowedMessage, Direction, Error, ErrorKind, Event, Grammar, Head, Message, Reader, Requests, Responses,
};

use crate::cli::output::group;
use crate::cli::{progress, signals};

/// The syntax of an input, as the library tells it ([`Syntax::detect`]).
pub use streamline::Syntax;
use streamline::SyntaxDetector;

/// Bytes read from an input at a time.
pub const CHUNK: usize = 64 * 1024;

/// Output bytes gathered before they are written.
pub const FLUSH_AT: usize = 64 * 1024;

/// Output bytes `decode` renders from the whole requests of one piece of input before it hands
/// them on: large enough that a fast file moves in large writes, small enough that a stream
/// whose short lines issue large heads never holds much.
pub const BATCH: usize = 4 * FLUSH_AT;

/// Where input bytes come from: a file, standard input, or a generator.
pub trait Source {
    /// Appends up to about [`CHUNK`] bytes to `buf`; 0 means the end of the input.
    fn fill(&mut self, buf: &mut BytesMut) -> io::Result<usize>;

    /// Whether [`Source::fill`] may wait for input to arrive (a pipe, a terminal, a socket),
    /// as opposed to a file or memory, which answer at once.
    fn may_wait(&self) -> bool {
        false
    }

    /// Whether a signal wakes a [`Source::fill`] that waits (it then fails with
    /// [`signals::Interrupted`]).
    fn wakes(&self) -> bool {
        false
    }
}

/// A named input file or standard input, read in [`CHUNK`] pieces.
pub struct Input {
    name: String,
    reader: Box<dyn Read>,
    bar: ProgressBar,
    /// Not a regular file: a read may wait for the writer at the other end.
    live: bool,
    /// A live input's descriptor, watched before each read so that a signal wakes a wait
    /// (see [`signals::wait_readable`]).
    wait_fd: Option<RawFd>,
}

impl Input {
    /// Opens `path`; `None` or `-` is standard input. Shows a progress bar (bytes) on a
    /// terminal unless `quiet`.
    pub fn open(path: Option<&Path>, quiet: bool) -> Result<Input> {
        match path {
            None => Ok(Input::stdin(quiet)),
            Some(p) if p == Path::new("-") => Ok(Input::stdin(quiet)),
            Some(p) => {
                let name = p.display().to_string();
                let file = File::open(p).with_context(|| format!("cannot open {name}"))?;
                let len = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                let wait_fd = len.is_none().then(|| raw_fd(&file)).flatten();
                let bar = progress::bytes(len, quiet);
                Ok(Input { name, reader: Box::new(file), bar, live: len.is_none(), wait_fd })
            }
        }
    }

    fn stdin(quiet: bool) -> Input {
        let live = !stdin_is_file();
        let name = "<stdin>".to_string();
        let bar = progress::bytes(None, quiet);
        // A live standard input is read through a descriptor of its own, unbuffered, so that
        // what its descriptor's readiness says is all there is to read.
        if let Some(file) = live.then(stdin_file).flatten() {
            let wait_fd = raw_fd(&file);
            return Input { name, reader: Box::new(file), bar, live, wait_fd };
        }
        Input { name, reader: Box::new(io::stdin().lock()), bar, live, wait_fd: None }
    }

    /// The name for messages: the path, or `<stdin>`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The bytes of the input as they come, for readers that take [`Read`] (a capture).
impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.reader.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

impl Source for Input {
    fn fill(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        if let Some(fd) = self.wait_fd {
            if !wait_readable(fd)? {
                return Err(io::Error::other(signals::Interrupted));
            }
        }
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let read = loop {
            match self.reader.read(&mut buf[start..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let n = *read.as_ref().unwrap_or(&0);
        buf.truncate(start + n);
        self.bar.inc(n as u64);
        read
    }

    fn may_wait(&self) -> bool {
        self.live
    }

    fn wakes(&self) -> bool {
        self.wait_fd.is_some()
    }
}

/// Whether standard input is a regular file (redirected from one), which never waits.
#[cfg(unix)]
fn stdin_is_file() -> bool {
    use std::os::fd::AsFd;
    io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .ok()
        .and_then(|fd| File::from(fd).metadata().ok())
        .is_some_and(|m| m.is_file())
}

#[cfg(not(unix))]
fn stdin_is_file() -> bool {
    false
}

/// Standard input as a file of its own descriptor (a duplicate), read without a buffer.
#[cfg(unix)]
fn stdin_file() -> Option<File> {
    use std::os::fd::AsFd;
    io::stdin().as_fd().try_clone_to_owned().ok().map(File::from)
}

#[cfg(not(unix))]
fn stdin_file() -> Option<File> {
    None
}

#[cfg(unix)]
type RawFd = std::os::fd::RawFd;
#[cfg(not(unix))]
type RawFd = i32;

#[cfg(unix)]
fn raw_fd(file: &File) -> Option<RawFd> {
    use std::os::fd::AsRawFd;
    Some(file.as_raw_fd())
}

#[cfg(not(unix))]
fn raw_fd(_: &File) -> Option<RawFd> {
    None
}

#[cfg(unix)]
fn wait_readable(fd: RawFd) -> io::Result<bool> {
    signals::wait_readable(fd)
}

#[cfg(not(unix))]
fn wait_readable(_: RawFd) -> io::Result<bool> {
    Ok(true)
}

/// A buffered output (file or standard output) that knows where the last whole request ends,
/// so that on an error it can write everything up to there and nothing of a request cut short.
///
/// A request is held back until it is whole or [`HOLD`] bytes of it have been produced; only
/// then do its bytes go out before its end (bodies of any size stream in bounded memory). So
/// what an error leaves depends on the bytes alone, never on how the reads split: a request
/// cut short before [`HOLD`] bytes leaves nothing; one cut short after leaves every byte it
/// produced, and the output then ends inside it, where a reader reports it unfinished.
///
/// Full buffers go to a writer thread, so the kernel's copying overlaps the codec's work on the
/// second core; at most [`IN_FLIGHT`] buffers are in flight, so memory stays bounded.
///
/// A regular file (or a new one) is written through a temporary file beside it, which
/// [`Output::finish`] renames over it: see [`Output::create`].
pub struct Output {
    name: String,
    sink: Option<Sink>,
    /// Bytes not written yet.
    pub buf: Vec<u8>,
    /// `buf[..mark]` ends with a whole request.
    mark: usize,
    /// Bytes of the request in progress handed to the writer already.
    current_sent: u64,
    /// The temporary file and the file it will replace, until it is renamed or removed.
    pending: Option<Pending>,
}

/// Bytes of a request produced before they may go out ahead of its end.
pub const HOLD: usize = FLUSH_AT;

/// Buffers on their way to the writer thread at most.
pub const IN_FLIGHT: usize = 2;

/// The writer thread: full buffers in, emptied buffers back.
struct Sink {
    full: mpsc::SyncSender<Vec<u8>>,
    empty: mpsc::Receiver<Vec<u8>>,
    thread: thread::JoinHandle<io::Result<()>>,
}

impl Sink {
    fn spawn(mut writer: Box<dyn Write + Send>) -> Sink {
        let (full, full_rx) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (empty_tx, empty) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let thread = thread::spawn(move || {
            for mut buf in full_rx {
                let written = writer.write_all(&buf);
                signals::buffer_written();
                written?;
                buf.clear();
                let _ = empty_tx.try_send(buf);
            }
            writer.flush()
        });
        Sink { full, empty, thread }
    }

    /// Ends the thread and returns how its writing went.
    fn join(self) -> io::Result<()> {
        drop(self.full);
        self.thread.join().unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")))
    }
}

impl Output {
    /// Creates `path`; `None` or `-` is standard output.
    ///
    /// A regular file, or a path where nothing is yet, is not touched until the output is
    /// whole: the bytes go to a temporary file in the same folder (`.NAME.streamline-PID.tmp`)
    /// that [`Output::finish`] (or [`Output::finish_at_mark`], after a data error) renames
    /// over it. On a write error, an early return, a panic or an interrupt (Ctrl-C, SIGTERM,
    /// SIGHUP) the temporary file is removed and `path` stays as it was. A symbolic link is
    /// followed (the file it names is replaced, the link stays); the new file gets the old
    /// one's permission bits. Anything else (a device such as `/dev/null`, a FIFO) is written
    /// in place, as standard output is.
    pub fn create(path: Option<&Path>) -> Result<Output> {
        let (name, writer, pending): (String, Box<dyn Write + Send>, _) = match path {
            Some(p) if p != Path::new("-") => {
                let name = p.display().to_string();
                let (file, pending) = open_output(p).with_context(|| format!("cannot create {name}"))?;
                (name, Box::new(file), pending)
            }
            _ => ("<stdout>".into(), stdout(), None),
        };
        let sink = Some(Sink::spawn(writer));
        Ok(Output { name, sink, buf: Vec::with_capacity(FLUSH_AT + CHUNK), mark: 0, current_sent: 0, pending })
    }

    /// Notes that the buffer now ends with a whole request.
    pub fn mark(&mut self) {
        self.mark_at(self.buf.len());
    }

    /// Marks `buf[..at]` as ending with a whole request, the bytes after it as the start of
    /// the next.
    pub fn mark_at(&mut self, at: usize) {
        self.mark = at;
        self.current_sent = 0;
    }

    /// Bytes of the request in progress produced so far.
    fn in_progress(&self) -> u64 {
        self.current_sent + (self.buf.len() - self.mark) as u64
    }

    /// Writes the buffer out once it holds [`FLUSH_AT`] bytes or more: the whole requests, and
    /// the request in progress once [`HOLD`] bytes of it are here.
    #[inline]
    pub fn write_if_full(&mut self) -> Result<()> {
        if self.buf.len() >= FLUSH_AT {
            let upto = if self.in_progress() >= HOLD as u64 { self.buf.len() } else { self.mark };
            self.send(upto)?;
        }
        Ok(())
    }

    /// Appends body bytes, writing the buffer out as it fills.
    #[inline]
    pub fn put(&mut self, data: &[u8]) -> Result<()> {
        self.buf.extend_from_slice(data);
        self.write_if_full()
    }

    /// Hands `buf[..upto]` to the writer thread (`upto` is the mark or the whole buffer) and
    /// keeps the rest.
    fn send(&mut self, upto: usize) -> Result<()> {
        if upto == 0 {
            return Ok(());
        }
        let Some(sink) = &self.sink else { return Ok(()) };
        let mut next = sink.empty.try_recv().unwrap_or_else(|_| Vec::with_capacity(FLUSH_AT + CHUNK));
        next.extend_from_slice(&self.buf[upto..]);
        self.buf.truncate(upto);
        self.current_sent += (upto - self.mark.min(upto)) as u64;
        self.mark = self.mark.saturating_sub(upto);
        let full = std::mem::replace(&mut self.buf, next);
        signals::buffer_sent();
        if sink.full.send(full).is_err() {
            signals::buffer_written();
            // The thread stopped at a write error: report it.
            return self.close();
        }
        Ok(())
    }

    /// Hands every whole request in the buffer to the writer thread now, keeping the request
    /// in progress: for a live input that has nothing more to read yet.
    pub fn write_marked(&mut self) -> Result<()> {
        self.send(self.mark)
    }

    /// Waits for the writer thread and reports how its writing went.
    fn close(&mut self) -> Result<()> {
        match self.sink.take() {
            Some(sink) => sink.join().with_context(|| format!("cannot write {}", self.name)),
            None => Ok(()),
        }
    }

    /// Writes and flushes everything; a file then replaces the one at its path. If writing
    /// fails, the path is left as it was.
    pub fn finish(&mut self) -> Result<()> {
        if let Err(err) = self.send(self.buf.len()).and_then(|()| self.close()) {
            self.discard();
            return Err(err);
        }
        let Some(pending) = self.pending.take() else { return Ok(()) };
        pending.rename().with_context(|| format!("cannot write {}", self.name))
    }

    /// Ends the output after a data error: drops the request in progress if fewer than
    /// [`HOLD`] bytes of it were produced (none of them went out), writes the rest and
    /// flushes (see [`Output::finish`]).
    pub fn finish_at_mark(&mut self) -> Result<()> {
        if self.in_progress() < HOLD as u64 {
            self.buf.truncate(self.mark);
        }
        self.finish()
    }

    /// Ends the output after an I/O error: a file is left as it was (its temporary file
    /// removed); standard output, which cannot be taken back, gets everything up to the last
    /// whole request, as after a data error.
    pub fn finish_after_io_error(&mut self) {
        if self.pending.is_some() {
            self.discard();
        } else {
            let _ = self.finish_at_mark();
        }
    }

    /// Stops the writer thread and removes the temporary file, if there is one.
    fn discard(&mut self) {
        if let Some(pending) = self.pending.take() {
            let _ = self.close();
            pending.remove();
        }
    }
}

/// An output that ends without [`Output::finish`] (an error returned early, a panic) leaves
/// the file at its path as it was.
impl Drop for Output {
    fn drop(&mut self) {
        self.discard();
    }
}

/// A file being written through a temporary file beside it.
struct Pending {
    /// The temporary file.
    temporary: PathBuf,
    /// The file it replaces once whole.
    path: PathBuf,
}

impl Pending {
    /// Puts the temporary file in its place.
    fn rename(self) -> io::Result<()> {
        let mut temporaries = signals::temporaries();
        temporaries.retain(|t| *t != self.temporary);
        fs::rename(&self.temporary, &self.path).inspect_err(|_| {
            let _ = fs::remove_file(&self.temporary);
        })
    }

    /// Removes the temporary file.
    fn remove(self) {
        let mut temporaries = signals::temporaries();
        temporaries.retain(|t| *t != self.temporary);
        let _ = fs::remove_file(&self.temporary);
    }
}

/// Opens the output file at `path`: a temporary file beside it when it is a regular file or
/// nothing is there yet, else `path` itself (see [`Output::create`]).
fn open_output(path: &Path) -> Result<(File, Option<Pending>)> {
    let existing = fs::metadata(path);
    if existing.as_ref().is_ok_and(|meta| !meta.is_file()) {
        return Ok((File::create(path)?, None));
    }
    // The file a symbolic link names is the one replaced; the link stays.
    let path = match existing {
        Ok(_) => fs::canonicalize(path)?,
        Err(_) => path.to_path_buf(),
    };
    let Some(file_name) = path.file_name() else { return Ok((File::create(&path)?, None)) };
    if existing.is_ok() {
        // It must be writable, as when it was written in place; opening it changes nothing.
        OpenOptions::new().write(true).open(&path)?;
    }
    signals::install();
    let mut temporaries = signals::temporaries();
    let mut attempt = 0;
    let (file, temporary) = loop {
        let mut name = OsString::from(".");
        name.push(file_name);
        name.push(format!(".streamline-{}", std::process::id()));
        if attempt > 0 {
            name.push(format!("-{attempt}"));
        }
        name.push(".tmp");
        let temporary = path.with_file_name(name);
        // A new file, never one that is there (nor what a link there points to).
        match OpenOptions::new().write(true).create_new(true).open(&temporary) {
            Ok(file) => break (file, temporary),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(err) => return Err(err).with_context(|| format!("temporary file {}", temporary.display())),
        }
    };
    temporaries.push(temporary.clone());
    drop(temporaries);
    let pending = Pending { temporary, path };
    if let Ok(meta) = &existing {
        if let Err(err) = file.set_permissions(meta.permissions()) {
            pending.remove();
            return Err(err.into());
        }
    }
    Ok((file, Some(pending)))
}

/// Refuses to write `output` when it is the file `input` names (or standard input, for
/// `None` or `-`): creating it would destroy the input before it is read.
pub fn refuse_input_as_output(input: Option<&Path>, output: Option<&Path>) -> Result<()> {
    let Some(output) = output.filter(|p| *p != Path::new("-")) else { return Ok(()) };
    let Ok(out) = fs::metadata(output) else { return Ok(()) };
    let (name, meta) = match input.filter(|p| *p != Path::new("-")) {
        Some(p) => (p.display().to_string(), fs::metadata(p)),
        None => ("<stdin>".to_string(), stdin_metadata()),
    };
    match meta {
        Ok(meta) if out.is_file() && same_file(&meta, &out) => bail!(
            "the output {} is the input {name} (the same file): writing it would destroy the input; \
write to another file",
            output.display()
        ),
        _ => Ok(()),
    }
}

/// Refuses `--requests -` when the input is standard input too: one stream cannot be both.
pub fn refuse_both_stdin(input: Option<&Path>, requests: &Path) -> Result<()> {
    let stdin = |p: Option<&Path>| p.is_none_or(|p| p == Path::new("-"));
    if stdin(input) && stdin(Some(requests)) {
        bail!("--requests - and the response stream cannot both be standard input: give one of them as a file");
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn stdin_metadata() -> io::Result<fs::Metadata> {
    use std::os::fd::AsFd;
    File::from(io::stdin().as_fd().try_clone_to_owned()?).metadata()
}

#[cfg(not(unix))]
fn stdin_metadata() -> io::Result<fs::Metadata> {
    Err(io::Error::other("not supported"))
}

/// Standard output without the line buffering of `std::io::Stdout`: the output is written in
/// large pieces already.
#[cfg(unix)]
fn stdout() -> Box<dyn Write + Send> {
    use std::os::fd::AsFd;
    match io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(File::from(fd)),
        Err(_) => Box::new(io::stdout()),
    }
}

#[cfg(not(unix))]
fn stdout() -> Box<dyn Write + Send> {
    Box::new(io::stdout())
}

/// Reads the first bytes of `input` into `buf` until they tell its syntax and direction
/// ([`SyntaxDetector`]); an empty input is a plain request stream.
///
/// The syntax shows within the first line, and a line is at most `max_line` bytes: once more
/// than that are read without a verdict, the input is refused, so memory stays bounded
/// whatever the input. The detector looks at each byte once, however the reads split.
/// `Ok(Err(why))`: the start is neither syntax (`why` is empty), or `max_line` bytes hold no
/// verdict (`why` says so, for a message that goes on after the start shown).
pub fn sniff(input: &mut Input, buf: &mut BytesMut, max_line: usize) -> Result<Result<Syntax, String>> {
    let mut detector = SyntaxDetector::new();
    loop {
        match detector.detect(buf) {
            Ok(Some(syntax)) => return Ok(Ok(syntax)),
            Err(_) => return Ok(Err(String::new())),
            Ok(None) if buf.len() > max_line => {
                return Ok(Err(format!(
                    ": the first {} bytes hold no space or colon, and the first line may hold at most {} \
(--max-line)",
                    group(buf.len() as u64),
                    group(max_line as u64)
                )))
            }
            Ok(None) => {
                let n = input.fill(buf).with_context(|| format!("cannot read {}", input.name()))?;
                if n == 0 && buf.is_empty() {
                    return Ok(Ok(Syntax::Plain));
                }
                if n == 0 {
                    return Ok(Err(String::new()));
                }
            }
        }
    }
}

/// Why reading events stopped early.
#[derive(Debug)]
pub enum ReadError {
    /// The input could not be read.
    Io(io::Error),
    /// The input was rejected.
    Data(Error),
    /// The request stream a response stream answers (`--requests FILE`) could not be read,
    /// was rejected, or ran out of requests: the error names that file.
    Requests(anyhow::Error),
}

/// What the command needs of a direction beyond the library's [`Direction`]: the name of
/// its messages (the library's `Message` and `BorrowedMessage` give heads, bodies and the
/// plain form).
pub trait Messages: Direction {
    /// One message, in words: `request` or `response`.
    const NOUN: &'static str;
}

impl Messages for Requests {
    const NOUN: &'static str = "request";
}

impl Messages for Responses {
    const NOUN: &'static str = "response";
}

/// `n` messages in words: `1 request`, `2 responses`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// What a reader is told before it reads on. A plain response stream needs the method of
/// the request each response answers ([`Answers`](crate::cli::answers::Answers)); every other stream needs nothing (`()`).
pub trait Prompt<G: Grammar> {
    /// Called before the reader looks for the next message.
    fn before(&mut self, reader: &mut Reader<G>) -> Result<(), ReadError>;

    /// Called with the head of each message read.
    fn head(&mut self, head: &Head) -> Result<(), ReadError>;
}

impl<G: Grammar> Prompt<G> for () {
    #[inline]
    fn before(&mut self, _: &mut Reader<G>) -> Result<(), ReadError> {
        Ok(())
    }

    #[inline]
    fn head(&mut self, _: &Head) -> Result<(), ReadError> {
        Ok(())
    }
}

/// A whole message, or one event of a message read piece by piece.
pub enum Item<M> {
    /// A message that was whole in the buffer.
    Message(M),
    /// An event of a message streamed in pieces.
    Event(Event),
    /// Everything read so far has been handed out and the next read may wait for the input:
    /// write out what is ready now (as `cat` does), so a live feed is not held back.
    Idle,
}

/// The owned message a reader of `G` gives.
pub type MessageOf<G> = <<G as Grammar>::Direction as Direction>::Message;

/// The borrowed message a reader of `G` gives.
pub type MessageRefOf<'h, 's, G> = <<G as Grammar>::Direction as Direction>::MessageRef<'h, 's>;

/// Events from a reader fed by a source, in bounded memory: the buffer holds at most the
/// unfinished line or head plus one piece of input. `P` tells the reader what it must know
/// before each message (see [`Prompt`]).
pub struct Events<G, S, P = ()> {
    /// The reader.
    pub reader: Reader<G>,
    /// The input.
    pub source: S,
    prompt: P,
    buf: BytesMut,
    eof: bool,
    /// Inside a message read as events (after its head, before its end).
    streaming: bool,
    /// [`Item::Idle`] was handed out since the last read.
    idle: bool,
}

impl<G: Grammar, S: Source> Events<G, S>
where
    G::Direction: Messages,
{
    /// Reads `source` with `reader`; `buf` may already hold the first bytes.
    pub fn new(reader: Reader<G>, source: S, buf: BytesMut) -> Self {
        Events::with_prompt(reader, source, buf, ())
    }
}

impl<G: Grammar, S: Source, P: Prompt<G>> Events<G, S, P>
where
    G::Direction: Messages,
{
    /// Reads `source` with `reader`, told by `prompt` what it must know before each message.
    pub fn with_prompt(reader: Reader<G>, source: S, buf: BytesMut, prompt: P) -> Self {
        Events { reader, source, prompt, buf, eof: false, streaming: false, idle: false }
    }

    /// Input read but not consumed yet.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// The prompt, once reading is over.
    pub fn into_prompt(self) -> P {
        self.prompt
    }

    /// Hands whole messages already in the buffer to `f`, borrowed (no copies, no reference
    /// counts), until `f` returns `false` (its output is full) or none is left, and returns
    /// how many there were. 0: none is whole; call [`Events::next_item`]. At the end of the
    /// input a close-delimited response is whole too.
    #[inline]
    pub fn each_whole(&mut self, mut f: impl FnMut(MessageRefOf<'_, '_, G>) -> bool) -> Result<usize, ReadError> {
        if self.streaming {
            return Ok(0);
        }
        let (mut used, mut count) = (0, 0);
        let result = loop {
            if let Err(err) = self.prompt.before(&mut self.reader) {
                break Err(err);
            }
            let rest = &self.buf[used..];
            let found = if self.eof { self.reader.decode_slice_eof(rest) } else { self.reader.decode_slice(rest) };
            let (n, message) = match found {
                Ok(found) => found,
                Err(err) => break Err(ReadError::Data(err)),
            };
            used += n;
            let Some(message) = message else { break Ok(count) };
            count += 1;
            if let Err(err) = self.prompt.head(message.head()) {
                break Err(err);
            }
            if !f(message) {
                break Ok(count);
            }
        };
        self.buf.advance(used);
        result
    }

    /// The next whole message if the buffer holds one (taken without events or copies), else
    /// the next event (reading more input, or streaming a message bigger than the buffer);
    /// [`Item::Idle`] before a read that may wait; `Ok(None)` at the end of the input.
    ///
    /// Once SIGINT or SIGTERM came (see [`signals`]), the next read fails with
    /// [`signals::Interrupted`].
    #[inline]
    pub fn next_item(&mut self) -> Result<Option<Item<MessageOf<G>>>, ReadError> {
        if !self.streaming {
            self.prompt.before(&mut self.reader)?;
            if let Some(message) = self.reader.try_decode(&mut self.buf).map_err(ReadError::Data)? {
                self.prompt.head(message.head())?;
                return Ok(Some(Item::Message(message)));
            }
        }
        self.advance(true)
    }

    /// The next event; `Ok(None)` at the end of the input.
    #[inline]
    pub fn next(&mut self) -> Result<Option<Event>, ReadError> {
        match self.advance(false)? {
            Some(Item::Event(event)) => Ok(Some(event)),
            _ => Ok(None),
        }
    }

    /// The next event, reading as needed; with `idle`, [`Item::Idle`] before a read that may
    /// wait. Never returns [`Item::Message`].
    #[inline]
    fn advance(&mut self, idle: bool) -> Result<Option<Item<MessageOf<G>>>, ReadError> {
        loop {
            if !self.streaming {
                self.prompt.before(&mut self.reader)?;
            }
            let event = if self.eof {
                self.reader.next_event_eof(&mut self.buf)
            } else {
                self.reader.next_event(&mut self.buf)
            };
            match event.map_err(ReadError::Data)? {
                Some(event) => {
                    if let Event::Head(head) = &event {
                        self.prompt.head(head)?;
                    }
                    self.streaming = !matches!(event, Event::End);
                    return Ok(Some(Item::Event(event)));
                }
                None if self.eof => return Ok(None),
                None if idle && !self.idle && self.source.may_wait() => {
                    self.idle = true;
                    return Ok(Some(Item::Idle));
                }
                None if !self.streaming && self.reader.switched().is_some() => self.after_switch()?,
                None => self.eof = self.fill()? == 0,
            }
        }
    }

    /// The stream has switched protocols (a 101, a 2xx to CONNECT): what follows is not
    /// HTTP/1.1. Reads the rest of the input only to count it, holding none of it: nothing
    /// follows, and the stream has ended; else the library's error for that many bytes, at
    /// the first of them.
    fn after_switch(&mut self) -> Result<(), ReadError> {
        let mut bytes = self.buf.len() as u64;
        self.buf.clear();
        while self.fill()? > 0 {
            bytes += self.buf.len() as u64;
            self.buf.clear();
        }
        self.eof = true;
        match (bytes, self.reader.switched()) {
            (0, _) | (_, None) => Ok(()),
            (bytes, Some(status)) => {
                let kind = ErrorKind::AfterSwitch { bytes, status };
                Err(ReadError::Data(Error::new(kind, self.reader.offset(), self.reader.line())))
            }
        }
    }

    /// Reads more input, unless a signal came.
    fn fill(&mut self) -> Result<usize, ReadError> {
        if signals::interrupted() {
            return Err(ReadError::Io(io::Error::other(signals::Interrupted)));
        }
        // After Idle everything the window let out has been handed to the writer: a signal
        // during a read that cannot be woken may end the process at once. (One that can is
        // woken, and what the window holds is written out too.)
        signals::set_waiting(self.idle && !self.source.wakes());
        let read = self.source.fill(&mut self.buf);
        signals::set_waiting(false);
        self.idle = false;
        read.map_err(ReadError::Io)
    }
}
