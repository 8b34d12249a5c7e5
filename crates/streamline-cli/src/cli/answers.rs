//! A plain response stream read beside the request stream it answers (`--requests FILE`).
//!
//! Responses come in the order of their requests, and how one is framed depends on the
//! method it answers (RFC 9112 §6.3): the response to a HEAD has no body whatever its
//! Content-Length says, and a 2xx to a CONNECT turns the connection into a tunnel. So before
//! the response reader reads each response, it is told the method of the request that response
//! answers ([`http1::ResponseParser::expect`]). The requests are read one at a time, as the
//! responses need them (their bodies streamed past), so memory stays bounded whatever the size
//! of either file. Without `--requests`, every response is read as the answer to a method
//! that is neither HEAD nor CONNECT. Every event of the request stream passes through a
//! [`Tap`] as it is read (`report` measures the requests there, in the same pass).

use std::path::Path;

use anyhow::{bail, Context, Result};
use bytes::{Bytes, BytesMut};
use streamline::http1::{self, Plain};
use streamline::{Decoder, Event, Grammar, Head, Limits, Reader, Requests, Responses};

use crate::cli::capture;
use crate::cli::io::{self, Events, Input, Prompt, ReadError, Syntax};
use crate::cli::output::group;
use crate::cli::DataError;

/// Said after a fault in a plain response stream read without `--requests`: it may come from
/// a response framed as the answer to the wrong method.
pub const ASSUMED: &str = "; the responses were read as answers to methods other than HEAD and CONNECT \
(--requests gives the requests they answer)";

/// What sees each event of the request stream as it is read.
pub trait Tap {
    /// The next event; `Err` (in words) stops the reading.
    fn event(&mut self, event: Event) -> Result<(), String>;
}

/// Nothing sees them.
impl Tap for () {
    fn event(&mut self, _: Event) -> Result<(), String> {
        Ok(())
    }
}

/// Tells a plain response reader the method of each request answered, read from a request
/// stream of either syntax through `T`.
pub struct Answers<T = ()> {
    requests: Box<dyn Methods<T>>,
    /// The request stream's name, for messages.
    file: String,
    /// Methods told the reader.
    told: u64,
    /// Final responses read (an interim 1xx other than 101 answers no request yet).
    answered: u64,
    /// The request stream has no more requests.
    ended: bool,
}

impl<T: Tap + 'static> Answers<T> {
    /// Opens the request stream at `path` (`-`: standard input), plain or compact, read with
    /// `limits`, its events passed to `tap`.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or read; it is a capture, or a response stream (usage errors:
    /// it must be the requests of one connection).
    pub fn open(path: &Path, limits: Limits, tap: T) -> Result<Answers<T>> {
        let mut input = Input::open(Some(path), true)?;
        let file = input.name().to_string();
        let mut buf = BytesMut::new();
        if capture::is_capture(&mut input, &mut buf)? {
            bail!(
                "--requests {file} is a capture: --requests takes the request stream of the one connection \
the responses were sent on"
            );
        }
        let requests: Box<dyn Methods<T>> = match io::sniff(&mut input, &mut buf, limits.get_max_line())? {
            Ok(Syntax::Compact) => Box::new(RequestStream {
                events: Events::new(Decoder::with_limits(limits), input, buf),
                file: file.clone(),
                tap,
            }),
            Ok(Syntax::PlainResponses | Syntax::CompactResponses) => {
                bail!("--requests {file} holds responses: --requests takes the request stream the responses answer")
            }
            // The plain reader says what is wrong with a start that is neither syntax.
            Ok(Syntax::Plain) | Err(_) => Box::new(RequestStream {
                events: Events::new(http1::Parser::with_limits(limits), input, buf),
                file: file.clone(),
                tap,
            }),
        };
        Ok(Answers { requests, file, told: 0, answered: 0, ended: false })
    }

    /// The request stream's name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Reads the rest of the request stream (the requests no response answered) through the
    /// tap, and gives the tap back.
    ///
    /// # Errors
    ///
    /// As reading the stream, or the tap, stops.
    pub fn finish(mut self) -> Result<T> {
        while !self.ended {
            self.ended = self.requests.next_method()?.is_none();
        }
        Ok(self.requests.into_tap())
    }
}

impl<T> Prompt<Plain<Responses>> for Answers<T> {
    /// Keeps the reader told one request ahead of the responses read.
    #[inline]
    fn before(&mut self, reader: &mut Reader<Plain<Responses>>) -> Result<(), ReadError> {
        if self.told > self.answered || self.ended {
            return Ok(());
        }
        match self.requests.next_method().map_err(ReadError::Requests)? {
            Some(method) => {
                reader.expect(&method);
                self.told += 1;
            }
            None => self.ended = true,
        }
        Ok(())
    }

    fn head(&mut self, head: &Head) -> Result<(), ReadError> {
        let status = head.status().unwrap_or_default();
        if status >= 200 || status == 101 {
            self.answered += 1;
        }
        if self.answered > self.told {
            let what = format!(
                "holds {} request{}, and response {} of the response stream answers none of them",
                group(self.told),
                if self.told == 1 { "" } else { "s" },
                group(self.answered)
            );
            return Err(ReadError::Requests(DataError { file: self.file.clone(), what, written: None }.into()));
        }
        Ok(())
    }
}

/// The methods of a request stream, in order.
trait Methods<T> {
    /// The next request's method; `None` at the end of the stream.
    fn next_method(&mut self) -> Result<Option<Bytes>>;

    /// The tap the events went through.
    fn into_tap(self: Box<Self>) -> T;
}

/// A request stream of either syntax, read event by event.
struct RequestStream<G, T> {
    events: Events<G, Input>,
    file: String,
    tap: T,
}

impl<G: Grammar<Direction = Requests>, T: Tap> Methods<T> for RequestStream<G, T> {
    fn next_method(&mut self) -> Result<Option<Bytes>> {
        let stopped = |file: &str, what: String| DataError { file: file.to_string(), what, written: None };
        loop {
            let event = match self.events.next() {
                Ok(Some(event)) => event,
                Ok(None) => return Ok(None),
                Err(ReadError::Io(err)) => return Err(err).with_context(|| format!("cannot read {}", self.file)),
                Err(ReadError::Data(err)) => return Err(stopped(&self.file, err.to_string()).into()),
                Err(ReadError::Requests(err)) => return Err(err),
            };
            let method = match &event {
                Event::Head(head) => Some(head.method().clone()),
                _ => None,
            };
            if let Err(why) = self.tap.event(event) {
                return Err(stopped(&self.file, why).into());
            }
            if method.is_some() {
                return Ok(method);
            }
        }
    }

    fn into_tap(self: Box<Self>) -> T {
        self.tap
    }
}
