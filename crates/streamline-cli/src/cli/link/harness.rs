//! What every peer of `bench --link` shares: the quotes and how the server finds a quote's send
//! time, the acknowledgement's date, the byte counter on each socket, the client's pacing loop
//! and CPU time.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Result};
use bytes::{Bytes, BytesMut};
use hdrhistogram::Histogram;
use streamline::{http1, Head, Request};
use streamline_traffic as traffic;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

use crate::cli::args::DEFAULT_SEED;
use crate::cli::source::OPRA_PAYLOAD;

/// Quotes generated once and sent in turn (each with its own sequence number).
pub const POOL: u64 = 1024;

/// Where the 10-digit sequence number of a quote record sits in its body (`Q|0000000042|…`).
const SEQ: std::ops::Range<usize> = 2..12;

/// Messages the client writes between two flushes at most.
pub const MAX_BATCH: u64 = 1024;

/// The OPRA-style quotes of `streamline_traffic` (seed 1, 66-byte bodies): a pool of
/// [`POOL`] read once, message `i` being quote `i % POOL` with its sequence field set to `i`,
/// which is how the server finds the time it was sent. Bodies are cut from one growing buffer,
/// so a message costs a 66-byte copy and no allocation of its own.
pub struct Quotes {
    pool: Vec<Request>,
    arena: BytesMut,
}

impl Quotes {
    pub fn new() -> Result<Quotes> {
        let mut feed = BytesMut::from(&traffic::opra(POOL, DEFAULT_SEED, OPRA_PAYLOAD)[..]);
        let mut parser = http1::Parser::new();
        let mut pool = Vec::with_capacity(POOL as usize);
        while let Some(quote) = parser.decode_eof(&mut feed)? {
            pool.push(quote);
        }
        if pool.len() as u64 != POOL || pool.iter().any(|q| seq_of(q.body()).is_none()) {
            bail!("the built-in feed's quotes do not carry their sequence number");
        }
        Ok(Quotes { pool, arena: BytesMut::new() })
    }

    /// The head every quote shares (`POST /receiver`, Host, Content-Type, Accept-Encoding,
    /// Content-Length: 66).
    pub fn head(&self) -> &Head {
        self.pool[0].head()
    }

    /// Message `seq`'s body.
    #[inline]
    pub fn body(&mut self, seq: u64) -> Bytes {
        let quote = self.pool[(seq % POOL) as usize].body();
        if self.arena.capacity() < quote.len() {
            self.arena.reserve(64 * 1024);
        }
        self.arena.extend_from_slice(quote);
        let mut n = seq;
        for digit in self.arena[SEQ].iter_mut().rev() {
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.arena.split().freeze()
    }

    /// Message `seq` as a request of the codec.
    #[inline]
    pub fn request(&mut self, seq: u64) -> Request {
        let head = self.pool[(seq % POOL) as usize].head().clone();
        let body = self.body(seq);
        Request::new(head, body).unwrap_or_else(|_| unreachable!("a quote's body matches its head"))
    }
}

/// The sequence number a quote's body carries.
#[inline]
pub fn seq_of(body: &[u8]) -> Option<u64> {
    let digits = body.get(SEQ)?;
    digits.iter().try_fold(0u64, |n, &d| d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0')))
}

/// The clock both ends read (nanoseconds since the run began), and the send time of every
/// message in flight, in a ring indexed by sequence number: the client holds at most a
/// window of messages unacknowledged, so a slot is not reused before its message is read.
pub struct Stamps {
    t0: Instant,
    /// The wall clock at `t0`, for the acknowledgements' Date.
    unix0: Duration,
    ring: Box<[AtomicU64]>,
    mask: usize,
    /// A paced run's rate, and when the client began sending: message `i` is due at
    /// `start + i / rate`.
    rate: Option<f64>,
    start: AtomicU64,
}

impl Stamps {
    /// For at most `in_flight` messages unacknowledged, paced at `rate` if given.
    pub fn new(in_flight: u64, rate: Option<f64>) -> Stamps {
        let size = (in_flight as usize).saturating_mul(2).next_power_of_two().max(1024);
        let ring = (0..size).map(|_| AtomicU64::new(0)).collect();
        let unix0 = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Stamps { t0: Instant::now(), unix0, ring, mask: size - 1, rate, start: AtomicU64::new(0) }
    }

    /// The client begins sending now; returns the time.
    fn begin(&self) -> u64 {
        let start = self.now();
        self.start.store(start, Ordering::Release);
        start
    }

    /// When message `seq` of a paced run was due.
    #[inline]
    fn due(&self, seq: u64) -> Option<u64> {
        self.rate.map(|rate| self.start.load(Ordering::Acquire) + (seq as f64 * 1e9 / rate) as u64)
    }

    /// Nanoseconds since the run began.
    #[inline]
    pub fn now(&self) -> u64 {
        self.t0.elapsed().as_nanos() as u64
    }

    /// Message `seq` is sent now.
    #[inline]
    pub fn stamp(&self, seq: u64) {
        self.ring[seq as usize & self.mask].store(self.now(), Ordering::Release);
    }

    /// When message `seq` was sent.
    #[inline]
    fn sent(&self, seq: u64) -> u64 {
        self.ring[seq as usize & self.mask].load(Ordering::Acquire)
    }

    /// The Unix time (whole seconds) at `now`.
    fn unix_seconds(&self, now: u64) -> u64 {
        (self.unix0 + Duration::from_nanos(now)).as_secs()
    }
}

/// What the server saw: each request's one-way latency, from its send time and, in a paced
/// run, from its due time (in ns, to the whole request read).
pub struct Received {
    pub latency: Histogram<u64>,
    /// Paced runs: from the time each request was due, so that a client behind its schedule
    /// shows (what the send time hides).
    pub from_due: Histogram<u64>,
    pub requests: u64,
    /// When the last request was read (ns since the run began).
    pub last: u64,
}

impl Received {
    pub fn new() -> Received {
        // 1 ns to a minute (a longer one counts as a minute), three significant digits.
        let histogram = || {
            Histogram::new_with_bounds(1, 60_000_000_000, 3)
                .unwrap_or_else(|_| unreachable!("the bounds and 3 significant digits are valid"))
        };
        Received { latency: histogram(), from_due: histogram(), requests: 0, last: 0 }
    }

    /// A request with this body has been read whole: records its latency; returns the time.
    #[inline]
    pub fn quote(&mut self, stamps: &Stamps, body: &[u8]) -> Result<u64> {
        let seq = seq_of(body).ok_or_else(|| anyhow!("the server read a request whose body is not a quote"))?;
        let now = stamps.now();
        self.latency.saturating_record(now.saturating_sub(stamps.sent(seq)));
        if let Some(due) = stamps.due(seq) {
            self.from_due.saturating_record(now.saturating_sub(due));
        }
        self.requests += 1;
        self.last = now;
        Ok(now)
    }
}

/// A server's acknowledgement, made once and cloned; made again when the second of its Date
/// changes.
pub struct Ack<T> {
    make: fn(&[u8]) -> T,
    second: u64,
    ack: T,
}

impl<T> Ack<T> {
    /// `make` builds the acknowledgement from a Date value.
    pub fn new(make: fn(&[u8]) -> T, stamps: &Stamps) -> Ack<T> {
        let second = stamps.unix_seconds(stamps.now());
        Ack { make, second, ack: make(&date(second)) }
    }

    /// The acknowledgement to send at `now`.
    #[inline]
    pub fn at(&mut self, stamps: &Stamps, now: u64) -> &T {
        let second = stamps.unix_seconds(now);
        if second != self.second {
            self.second = second;
            self.ack = (self.make)(&date(second));
        }
        &self.ack
    }
}

/// The IMF-fixdate of a Unix time.
fn date(seconds: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(29);
    traffic::http_date(seconds, &mut out);
    out
}

/// The acknowledgement's head lines after the status line and Date (as nginx writes them for
/// `return 200 "OK\n"`); `Connection` only in HTTP/1.1.
pub const SERVER: &str = "nginx/1.22.1";
pub const CONTENT_TYPE: &str = "text/plain";
pub const ACK_BODY: &[u8] = b"OK\n";

/// A connection that counts the bytes written to it (what goes on the wire one way, TCP
/// payload).
pub struct Counted<S> {
    io: S,
    written: Arc<AtomicU64>,
}

impl<S> Counted<S> {
    pub fn new(io: S, written: Arc<AtomicU64>) -> Counted<S> {
        Counted { io, written }
    }

    fn count(&self, n: &Poll<io::Result<usize>>) {
        if let Poll::Ready(Ok(n)) = n {
            self.written.fetch_add(*n as u64, Ordering::Relaxed);
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let n = Pin::new(&mut self.io).poll_write(cx, buf);
        self.count(&n);
        n
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let n = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.count(&n);
        n
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The client's side of the window: messages sent and acknowledged, and the first failure of
/// a task that reads acknowledgements.
pub struct Progress {
    pub sent: Cell<u64>,
    pub acked: Cell<u64>,
    /// When the last acknowledgement was read (ns since the run began).
    pub last_ack: Cell<u64>,
    wake: Notify,
    failed: RefCell<Option<anyhow::Error>>,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            sent: Cell::new(0),
            acked: Cell::new(0),
            last_ack: Cell::new(0),
            wake: Notify::new(),
            failed: RefCell::new(None),
        }
    }

    /// An acknowledgement has been read whole.
    #[inline]
    pub fn ack(&self, stamps: &Stamps) {
        self.acked.set(self.acked.get() + 1);
        self.last_ack.set(stamps.now());
        self.wake.notify_one();
    }

    /// A task reading acknowledgements failed: the run stops with its error.
    pub fn fail(&self, err: anyhow::Error) {
        self.failed.borrow_mut().get_or_insert(err);
        self.wake.notify_one();
    }

    fn check(&self) -> Result<()> {
        match self.failed.borrow_mut().take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Waits until every message sent is acknowledged.
    pub async fn settle(&self) -> Result<()> {
        while self.acked.get() < self.sent.get() {
            self.check()?;
            self.wake.notified().await;
        }
        self.check()
    }

    /// Fails when messages are in flight and none has been acknowledged for `limit`: a
    /// stalled link ends the run instead of hanging it. Never returns otherwise.
    pub async fn watchdog(&self, limit: Duration) -> anyhow::Error {
        let mut seen = self.acked.get();
        let mut quiet = Duration::ZERO;
        let tick = Duration::from_millis(250);
        loop {
            tokio::time::sleep(tick).await;
            let acked = self.acked.get();
            quiet = if acked != seen || acked >= self.sent.get() { Duration::ZERO } else { quiet + tick };
            seen = acked;
            if quiet >= limit {
                return anyhow!(
                    "no acknowledgement for {} s with {} requests in flight",
                    limit.as_secs(),
                    self.sent.get() - acked
                );
            }
        }
    }
}

/// How a client sends one message, and pushes out what it holds.
pub trait Sender {
    fn send(&mut self, seq: u64) -> impl Future<Output = Result<()>>;
    fn flush(&mut self) -> impl Future<Output = Result<()>>;
}

/// When the client sends.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Messages a second; `None`: as fast as the window lets it.
    pub rate: Option<f64>,
    /// Messages to send; `None`: send for `duration`.
    pub count: Option<u64>,
    pub duration: Duration,
    /// Most messages sent and not acknowledged.
    pub in_flight: u64,
}

impl Pace {
    /// The messages a run sends, if known up front: `count`, or for a paced run `duration`
    /// times the rate.
    pub fn total(&self) -> Option<u64> {
        self.count.or_else(|| self.rate.map(|r| (self.duration.as_secs_f64() * r).floor().max(1.0) as u64))
    }
}

/// What the client's sending loop did.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// When the first message was sent (ns since the run began).
    pub start: u64,
    /// Paced runs: the most messages due and not sent at a clock read.
    pub backlog: u64,
}

/// Sends messages 0, 1, … through `sender`: what is due (all, flat out) and within the window,
/// [`MAX_BATCH`] at most between flushes, each stamped as it is handed to the sender.
/// Between messages of a paced run it sleeps on the runtime's timer while the next is more than
/// 2 ms away (the timer's granularity is 1 ms), blocks the thread in a precise sleep while it
/// is more than 60 µs away, and otherwise yields to the runtime's other tasks (the reader of
/// acknowledgements), reading the clock each time: it spins, and keeps up at rates far above
/// the timer's.
pub async fn drive(sender: &mut impl Sender, pace: Pace, stamps: &Stamps, progress: &Progress) -> Result<Sent> {
    let total = pace.total().unwrap_or(u64::MAX);
    let start = stamps.begin();
    let limit = pace.duration.as_nanos() as u64;
    let mut seq = 0;
    let mut backlog = 0;
    let due_at = |seq: u64, rate: f64| (seq as f64 / rate * 1e9) as u64;
    loop {
        progress.check()?;
        let now = stamps.now() - start;
        if seq >= total || (pace.total().is_none() && now >= limit) {
            break;
        }
        let due = match pace.rate {
            None => u64::MAX,
            Some(rate) => ((now as f64 * 1e-9 * rate) as u64).saturating_add(1).min(total),
        };
        let open = progress.acked.get() + pace.in_flight;
        let end = due.min(open).min(total).min(seq + MAX_BATCH);
        if seq < end {
            if pace.rate.is_some() {
                backlog = backlog.max(due - seq);
            }
            while seq < end {
                stamps.stamp(seq);
                sender.send(seq).await?;
                seq += 1;
                progress.sent.set(seq);
            }
            sender.flush().await?;
            continue;
        }
        if seq >= open {
            progress.wake.notified().await;
            continue;
        }
        let Some(rate) = pace.rate else { continue };
        let wait = due_at(seq, rate).saturating_sub(now);
        if wait > 2_000_000 {
            tokio::time::sleep(Duration::from_nanos(wait - 1_500_000)).await;
        } else if wait > 60_000 {
            // Below the timer's granularity, but long enough to give the core away: a
            // thread sleep with the timer slack at 1 ns ([`precise_sleeps`]) ends within
            // about 20 µs. (Acknowledgements wait meanwhile; none is due.)
            std::thread::sleep(Duration::from_nanos(wait - 30_000));
        } else {
            // Spinning: let a thread waiting for this core (the server's, when the scheduler
            // has put both on one) run first, then the runtime's tasks.
            std::thread::yield_now();
            tokio::task::yield_now().await;
        }
    }
    sender.flush().await?;
    Ok(Sent { start, backlog })
}

/// Lowers the calling thread's timer slack to 1 ns (Linux; the default is 50 µs), so that a
/// short sleep ends when asked.
pub fn precise_sleeps() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes a number and reads or writes no memory of ours.
    unsafe {
        libc::prctl(
            libc::PR_SET_TIMERSLACK,
            1 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        );
    }
}

/// CPU time (user + system) of this process, or of the calling thread.
#[derive(Debug, Clone, Copy)]
pub enum Cpu {
    Process,
    Thread,
}

impl Cpu {
    /// Time used so far; `None` where the system does not tell.
    pub fn used(self) -> Option<Duration> {
        #[cfg(target_os = "linux")]
        let who = match self {
            Cpu::Process => libc::RUSAGE_SELF,
            Cpu::Thread => libc::RUSAGE_THREAD,
        };
        #[cfg(not(target_os = "linux"))]
        let who = match self {
            Cpu::Process => libc::RUSAGE_SELF,
            Cpu::Thread => return None,
        };
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
        // SAFETY: getrusage writes one whole `rusage` into the pointer it is given and
        // returns 0, or returns -1 having written nothing (then it is not read).
        let usage = unsafe {
            if libc::getrusage(who, usage.as_mut_ptr()) != 0 {
                return None;
            }
            usage.assume_init()
        };
        let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        Some(time(usage.ru_utime) + time(usage.ru_stime))
    }
}

/// How long the calling thread has been runnable but not running, waiting for a CPU (Linux's
/// `/proc/thread-self/schedstat`, second field); `None` where the system does not tell. Time
/// a thread waits here is latency no code of its own can remove.
pub fn waited_for_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_ascii_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_carry_their_sequence_number() {
        let mut quotes = Quotes::new().unwrap();
        for seq in [0, 1, 1023, 1024, 123_456_789, 9_999_999_999] {
            let request = quotes.request(seq);
            assert_eq!(request.body().len(), OPRA_PAYLOAD);
            assert_eq!(seq_of(request.body()), Some(seq));
        }
        // Message i is quote i % POOL, its sequence field aside.
        let plain = traffic::opra(3, DEFAULT_SEED, OPRA_PAYLOAD);
        let mut first = Vec::new();
        quotes.request(POOL).write_http1(&mut first);
        let mut again = Vec::new();
        quotes.request(0).write_http1(&mut again);
        assert_eq!(again, plain[..again.len()]);
        assert_eq!(first.len(), again.len());
        assert_eq!(seq_of(b"Q|12345678x9|"), None);
        assert_eq!(seq_of(b"Q|1"), None);
    }

    #[test]
    fn the_ack_date_moves_with_the_second() {
        let stamps = Stamps::new(10, None);
        let mut ack = Ack::new(|date| date.to_vec(), &stamps);
        let now = stamps.now();
        let first = ack.at(&stamps, now).clone();
        assert_eq!(first.len(), 29, "{}", String::from_utf8_lossy(&first));
        assert_ne!(ack.at(&stamps, now + 1_000_000_000), &first);
    }

    #[test]
    fn the_ring_holds_twice_the_window() {
        assert_eq!(Stamps::new(1, None).ring.len(), 1024);
        assert_eq!(Stamps::new(1000, None).ring.len(), 2048);
        let stamps = Stamps::new(4096, Some(1000.0));
        assert_eq!(stamps.ring.len(), 8192);
        stamps.stamp(5);
        assert!(stamps.sent(5) <= stamps.now());
        let start = stamps.begin();
        assert_eq!(stamps.due(3), Some(start + 3_000_000));
        assert_eq!(Stamps::new(1, None).due(3), None);
    }

    #[test]
    fn cpu_time_is_told() {
        let before = Cpu::Process.used().unwrap();
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(Cpu::Process.used().unwrap() >= before);
        #[cfg(target_os = "linux")]
        assert!(Cpu::Thread.used().is_some());
        #[cfg(target_os = "linux")]
        assert!(waited_for_cpu().is_some());
    }
}
