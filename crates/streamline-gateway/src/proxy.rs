//! The proxy: plain HTTP/1.1 clients in, one persistent compact link (or a few) out to the
//! gateway.
//!
//! Each client connection has a reader and a writer. The reader takes whole requests
//! (keep-alive, pipelined), answers for itself what this hop owns (400 for a malformed
//! request or one without exactly one Host (HTTP/1.0 may have none), 408 for a head too slow to come, 413 for a body
//! past `max_body`, 431 for more field lines than `max_headers`, a head over `max_head` or
//! one the link could not hold, 501 for CONNECT, 505 for a version other than HTTP/1.x, 503
//! for a request the byte budget has no room for; the connection closes after each of them, no other
//! client is touched),
//! drops the hop-by-hop fields, and hands each request to a link with a channel for its
//! answer; the writer gives the answers back in the order of the requests. A link writes
//! requests as they come and reads responses in the same order, so a FIFO of reply channels
//! routes each response to its own client.
//!
//! Bounds: `max_connections` clients (then the proxy stops accepting), `max_pipeline`
//! requests read ahead per client, `max_in_flight` requests per link (a semaphore: a client
//! whose request finds it full waits, and reads no further), and `max_buffered` bytes of
//! messages held each way over all clients (a request is charged from its head until it is
//! written to the link, a response from when the link reads it until it is written to its
//! client; a request whose bytes find no room gets 503). Each client keeps to one link (the
//! links taken in turn by new clients). A lost link fails what it had
//! in flight with 502 (a request is never sent twice: the proxy cannot know what the
//! upstream did with it), answers 502 while it is down, and is reopened with backoff.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use streamline::{http1, Event, Framing, Head, Request, Response};
use streamline_tokio::link::{self, Offer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::counted::{Counted, Side};
use crate::stats::spawn_reporter;
use crate::{
    accept_loop, after, hop, message_bytes, AbortOnDrop, Answer, Budget, Budgets, Charge, Config, Holder, Shutdown,
    Stats, EVICT_AFTER,
};

/// The head the proxy sends on its link for a request head its client sent: hop-by-hop
/// fields and those `Connection` names removed (RFC 9110 §7.6.1), an `Expect: 100-continue`
/// removed (the proxy answers it), HTTP/1.1, and for an HTTP/1.0 request without Host,
/// `Host: local` added (`local`: the address the client reached). `streamline report
/// --one-link` measures requests as this makes them.
///
/// # Errors
///
/// A head whose lines cannot be made into a head again (none the proxy's reader gives).
pub fn link_head(head: &Head, local: &[u8]) -> Result<Head, streamline::Error> {
    hop::Fields::of(head).proxied(head, local)
}

/// Serves clients on `listener` over links to the gateway at `link_addr` until SIGTERM or
/// SIGINT; then stops accepting, lets the requests in flight be answered (up to
/// [`Config::drain_timeout`]) and returns `Ok`.
///
/// # Errors
///
/// Only the listener's own failures; a client's, a link's or the gateway's are logged and
/// answered.
pub async fn run(listener: TcpListener, link_addr: SocketAddr, config: Config) -> std::io::Result<()> {
    run_with(listener, link_addr, config, Shutdown::on_signals(), Arc::new(Stats::default())).await
}

/// [`run`], stopped by `shutdown` instead of a signal, counting into `stats`. Dropping the
/// future closes every client connection and link at once.
///
/// # Errors
///
/// As [`run`].
pub async fn run_with(
    listener: TcpListener,
    link_addr: SocketAddr,
    config: Config,
    shutdown: Shutdown,
    stats: Arc<Stats>,
) -> std::io::Result<()> {
    let config = Arc::new(config);
    let _reporter = config.stats_every.map(|every| AbortOnDrop(spawn_reporter(stats.clone(), every, "proxy")));
    let budgets = Budgets::new(&config, &stats);
    let mut tasks = Vec::new();
    let mut handles = Vec::new();
    for n in 0..config.links.clamp(1, crate::MAX_LINKS) {
        // A few requests queued to each link's writer; the semaphore is the real bound.
        let (jobs, queue) = mpsc::channel(64);
        let task = link_task(n, link_addr, config.clone(), queue, stats.clone(), budgets.clone());
        tasks.push(AbortOnDrop(tokio::spawn(task)));
        handles.push(LinkHandle { jobs, slots: Arc::new(Semaphore::new(crate::bound(config.max_in_flight))) });
    }
    let links = Arc::new(Links { handles, turn: AtomicUsize::new(0) });
    tracing::info!(listen = %listener.local_addr()?, link = %link_addr, links = links.handles.len(), "proxy listening");
    let each = {
        let config = config.clone();
        move |socket, peer, stats: Arc<Stats>, shutdown| {
            let (links, config, budgets) = (links.clone(), config.clone(), budgets.clone());
            async move { serve_client(socket, peer, &links, &config, &stats, &budgets, shutdown).await }
        }
    };
    let served = accept_loop(listener, &config, shutdown, stats, "clients", each).await;
    drop(tasks);
    served
}

/// The links, taken in turn by each new client: a client's requests all go on one link, so
/// its answers come back in the order it waits for them (with the budget spent, a link waits
/// to read an answer until a client's writer has passed one on; a client waiting on one link
/// for an answer that another link could not read would wait for ever).
struct Links {
    handles: Vec<LinkHandle>,
    turn: AtomicUsize,
}

impl Links {
    fn next(&self) -> &LinkHandle {
        &self.handles[self.turn.fetch_add(1, Relaxed) % self.handles.len()]
    }
}

/// Where a client hands a request to a link.
struct LinkHandle {
    jobs: mpsc::Sender<Job>,
    /// Requests in flight on the link: a permit each, held until its response is read.
    slots: Arc<Semaphore>,
}

/// A request for the link, and where its response goes.
struct Job {
    request: Request,
    reply: oneshot::Sender<Answer>,
    permit: OwnedSemaphorePermit,
    /// What the request holds of the budget: given back once it is written to the link.
    _charge: Charge,
    /// The client, whose answers count against it.
    holder: Arc<Holder>,
}

/// A request on the link, waiting for its response.
struct Waiting {
    reply: oneshot::Sender<Answer>,
    _permit: OwnedSemaphorePermit,
    holder: Arc<Holder>,
    /// When it was written to the link, if a link timeout is set (it counts from here at the
    /// latest); no clock is read per request otherwise.
    sent: Option<Instant>,
}

impl Waiting {
    /// A request that has gone, or goes, on the link, waiting for its answer; `timed`: a link
    /// timeout is set.
    fn of(reply: oneshot::Sender<Answer>, permit: OwnedSemaphorePermit, holder: Arc<Holder>, timed: bool) -> Waiting {
        Waiting { reply, _permit: permit, holder, sent: timed.then(Instant::now) }
    }

    fn fail(self, stats: &Stats) {
        stats.error();
        stats.in_flight.fetch_sub(1, Relaxed);
        let _ = self.reply.send(Answer::made(hop::answer(502, "Bad Gateway", false)));
    }
}

/// One link: opened, used until it breaks, reopened with backoff; forever (until dropped).
async fn link_task(
    n: usize,
    addr: SocketAddr,
    config: Arc<Config>,
    mut jobs: mpsc::Receiver<Job>,
    stats: Arc<Stats>,
    budgets: Budgets,
) {
    // A backoff of zero would retry in a tight loop: a millisecond at least.
    let link_timeout = config.link_timeout;
    let timed = link_timeout != Duration::MAX;
    let first_backoff = config.backoff.0.max(Duration::from_millis(1));
    let mut backoff = first_backoff;
    loop {
        // A link opens with its first request, as a connection pool opens its connections,
        // never ahead of it: a link that sent nothing would be closed by the gateway at its
        // header timeout (it cannot tell a silent link from a slow client), and a request
        // written just as that happened would be lost with it. With the upgrade, the first
        // request carries the offer (SPEC.md §14.2); by prior knowledge it is the first
        // thing written (its bytes tell the gateway the syntax, §14.3).
        let Some(job) = jobs.recv().await else { return };
        let offer = if config.upgrade { Offer::Upgrade(job.request.clone()) } else { Offer::PriorKnowledge };
        let mut first = Some(job);
        let opened = async {
            let socket = TcpStream::connect(addr).await?;
            let _ = socket.set_nodelay(true);
            let counted =
                Counted::new(socket, stats.clone(), Side::Link).stalling_after(config.idle_timeout).giving_way();
            link::connect(counted, config.limits, offer).await.map_err(std::io::Error::from)
        };
        let link = match tokio::time::timeout(config.header_timeout, opened).await {
            Ok(Ok(link)) => link,
            failed => {
                let err = match failed {
                    Ok(Err(err)) => err.to_string(),
                    _ => "timed out".into(),
                };
                tracing::warn!(link = n, %addr, err, retry_in = ?backoff, "link down");
                if let Some(job) = first {
                    stats.in_flight.fetch_add(1, Relaxed);
                    Waiting::of(job.reply, job.permit, job.holder, timed).fail(&stats);
                }
                // While it is down, requests are answered 502 at once rather than held.
                let pause = tokio::time::sleep(backoff);
                tokio::pin!(pause);
                loop {
                    tokio::select! {
                        _ = &mut pause => break,
                        job = jobs.recv() => match job {
                            Some(job) => {
                                stats.in_flight.fetch_add(1, Relaxed);
                                Waiting::of(job.reply, job.permit, job.holder, timed).fail(&stats);
                            }
                            None => return,
                        },
                    }
                }
                backoff = backoff.saturating_mul(2).min(config.backoff.1);
                continue;
            }
        };
        backoff = first_backoff;
        stats.links_up.fetch_add(1, Relaxed);
        tracing::info!(link = n, %addr, syntax = ?link.codec().syntax(), "link up");
        let mut link = link;
        link.reserve_read(crate::LINK_READ);
        if config.pack {
            // Before the first compact request (an upgrade's first request went plain).
            link.codec_mut().set_encoder(streamline::Encoder::with_limits(config.limits).packing(true));
        }
        let (mut sink, mut responses) = link.split();
        let (waiting_tx, mut waiting) = mpsc::unbounded_channel::<Waiting>();
        // The request at the head of the line, taken from `waiting` to see when it was sent.
        let mut front: Option<Waiting> = None;
        if config.upgrade {
            // Sent already, as the offer.
            if let Some(job) = first.take() {
                Stats::add(&stats.requests, 1);
                stats.in_flight.fetch_add(1, Relaxed);
                let _ = waiting_tx.send(Waiting::of(job.reply, job.permit, job.holder, timed));
            }
        }
        let (why, closed) = {
            let write = async {
                loop {
                    let job = match first.take().map_or_else(|| jobs.try_recv(), Ok) {
                        Ok(job) => job,
                        Err(mpsc::error::TryRecvError::Disconnected) => return (String::from("proxy stopped"), true),
                        Err(mpsc::error::TryRecvError::Empty) => {
                            if let Err(err) = sink.flush().await {
                                return (err.to_string(), false);
                            }
                            match jobs.recv().await {
                                Some(job) => job,
                                None => return (String::from("proxy stopped"), true),
                            }
                        }
                    };
                    Stats::add(&stats.requests, 1);
                    stats.in_flight.fetch_add(1, Relaxed);
                    // Waiting before it is written: its response can only come after.
                    let _ = waiting_tx.send(Waiting::of(job.reply, job.permit, job.holder, timed));
                    if let Err(err) = sink.feed(job.request).await {
                        return (err.to_string(), false);
                    }
                }
            };
            let read = async {
                // Interim answers read for the request at the head of the line.
                let mut interim = hop::Interim::default();
                // The link timeout: nothing read for `link_timeout` while a request waits
                // (counted from its sending, or from the last thing read, whichever is later).
                // One timer, moved only when it fires early.
                let mut heard = Instant::now();
                let timer = tokio::time::sleep_until(after(link_timeout));
                tokio::pin!(timer);
                loop {
                    let next = tokio::select! {
                        biased;
                        next = responses.next() => next,
                        () = &mut timer, if timed => {
                            if front.is_none() {
                                front = waiting.try_recv().ok();
                            }
                            let since = front.as_ref().map_or(Instant::now(), |w| w.sent.map_or(heard, |sent| sent.max(heard)));
                            match since.checked_add(link_timeout) {
                                Some(due) if front.is_none() || Instant::now() < due => timer.as_mut().reset(due),
                                _ => return (format!("nothing came back on the link for {link_timeout:?}"), false),
                            }
                            continue;
                        }
                    };
                    if timed {
                        heard = Instant::now();
                    }
                    match next {
                        None => return (String::from("closed by the gateway"), false),
                        Some(Err(err)) => return (err.to_string(), false),
                        // A 101 ends the link's response stream (SPEC.md §13.3): nothing more
                        // could be read from it. The pair never asks for one, so the link is
                        // lost: 502 for what is in flight (this request among them), and a
                        // new link.
                        // (One look at the status for a final answer: reading it is not free.)
                        Some(Ok(response)) if response.status() < 200 => {
                            if response.status() == 101 {
                                return (String::from("a 101 on the link, which ends its responses"), false);
                            }
                            if let Err(why) = interim.keep(response) {
                                return (why, false);
                            }
                        }
                        Some(Ok(response)) => match front.take().map_or_else(|| waiting.try_recv(), Ok) {
                            Ok(w) if w.reply.is_closed() => {
                                interim.take();
                                // Its client is gone: nothing to hold it for.
                                Stats::add(&stats.responses, 1);
                                stats.in_flight.fetch_sub(1, Relaxed);
                            }
                            Ok(w) => {
                                Stats::add(&stats.responses, 1);
                                stats.in_flight.fetch_sub(1, Relaxed);
                                // Read no further until the budget has room for it.
                                let bytes = message_bytes(response.head(), response.body().len()) + interim.bytes();
                                let charge = budgets
                                    .responses
                                    .charge_evicting(bytes, &w.holder, &budgets.holders, EVICT_AFTER)
                                    .await;
                                let _ = w.reply.send(Answer { response, interim: interim.take(), charge });
                            }
                            Err(_) => return (String::from("a response to no request"), false),
                        },
                    }
                }
            };
            tokio::select! {
                biased;
                w = write => w,
                r = read => r,
            }
        };
        stats.links_up.fetch_sub(1, Relaxed);
        waiting.close();
        let mut failed = 0;
        if let Some(w) = front.take() {
            w.fail(&stats);
            failed += 1;
        }
        while let Ok(w) = waiting.try_recv() {
            w.fail(&stats);
            failed += 1;
        }
        if closed {
            return;
        }
        stats.error();
        tracing::warn!(link = n, %addr, why, failed, "link lost");
    }
}

/// What a client's writer sends next, in the order of the requests.
enum Slot {
    /// The answer to a request on a link.
    Wait {
        answer: oneshot::Receiver<Answer>,
        /// Close the connection after it.
        close: bool,
        /// The request was HTTP/1.0: the answer must not be chunked (RFC 9112 §6.1), and a
        /// connection kept open says so (`Connection: keep-alive`).
        http10: bool,
    },
    /// An answer the proxy made; close after it?
    Now(Response, bool),
    /// `100 Continue` for the request being read (its body is awaited).
    Continue,
}

async fn serve_client(
    socket: TcpStream,
    peer: SocketAddr,
    links: &Links,
    config: &Config,
    stats: &Arc<Stats>,
    budgets: &Budgets,
    shutdown: Shutdown,
) {
    let _ = socket.set_nodelay(true);
    tracing::debug!(%peer, "client connected");
    // The address the client reached: a Host for a request that came without one.
    let local = socket.local_addr().map(hop::authority).unwrap_or_default();
    let (read, write) = socket.into_split();
    let read = Counted::new(read, stats.clone(), Side::Plain);
    let write = Counted::new(write, stats.clone(), Side::Plain).stalling_after(config.idle_timeout);
    let (slots, queue) = mpsc::channel(crate::bound(config.max_pipeline));
    let holder = budgets.holders.join();
    let owed = Owed::new();
    let ends = (peer, local.as_str());
    let reader = read_client(read, slots, ends, links.next(), config, stats, budgets, &holder, &owed, shutdown);
    let writer = write_client(write, queue, stats, &holder, &owed);
    tokio::pin!(reader, writer);
    // The writer ends the connection (after an answer that closes it, or a client gone);
    // the reader ending leaves the writer to give the answers still owed.
    let why = tokio::select! {
        biased;
        () = &mut writer => "closed",
        why = &mut reader => {
            writer.await;
            why
        }
    };
    tracing::debug!(%peer, why, "client closed");
}

/// The answers a client is owed, and when it was last owed none: its idle time between
/// requests counts from the last answer written, and not at all while one is owed (a request
/// slower than the idle timeout keeps its connection, and the timer starts when its answer
/// goes).
struct Owed {
    count: AtomicUsize,
    /// Milliseconds from `start` to the last answer written.
    since: AtomicU64,
    start: Instant,
}

impl Owed {
    fn new() -> Owed {
        Owed { count: AtomicUsize::new(0), since: AtomicU64::new(0), start: Instant::now() }
    }

    /// A request went to a link: its answer is owed.
    fn asked(&self) {
        self.count.fetch_add(1, Relaxed);
    }

    /// An answer to a request on a link was written.
    fn answered(&self) {
        self.since.store(self.start.elapsed().as_millis() as u64, Relaxed);
        self.count.fetch_sub(1, Relaxed);
    }

    /// When a client idle for `timeout` is closed, as things stand.
    fn idle_until(&self, timeout: Duration) -> Instant {
        if self.count.load(Relaxed) > 0 {
            return crate::after(timeout);
        }
        let since = self.start + Duration::from_millis(self.since.load(Relaxed));
        since.checked_add(timeout).unwrap_or_else(|| crate::after(timeout))
    }
}

/// Bytes of a head being read (with whatever came after it) that a client holds without
/// charging the budget: a usual head, or a burst of pipelined ones, costs no budget work; a
/// longer one is charged past this.
const HEAD_FREE: u64 = 16 * 1024;

/// Room a client's read buffer starts with.
const READ_BUFFER: usize = 8 * 1024;

/// What reading a client gave.
enum Got {
    Event(Event),
    /// The client closed between requests.
    End,
    /// The client closed in the middle of a request.
    Cut,
    Timeout,
    Bad(streamline::Error),
    Shutdown,
    /// The bytes of a head being read found the budget spent.
    NoRoom,
}

/// The next event from a client: waiting at most the idle timeout for a request's first
/// byte, then the header timeout for the rest of its head; in a body, the idle timeout
/// between reads, and with `body` (when the body's first wait began, set here, and its bytes
/// so far) at most until the body is late ([`Config::min_body_rate`]). A raised shutdown
/// flag ends the wait between requests.
///
/// `timer` is the connection's one timer, armed lazily: it is moved only when a deadline
/// comes sooner than it is set for, and when it fires early (the deadline moved on since)
/// it is set again; an event already in the buffer costs no clock reading and no timer work.
/// `stop` is the connection's one wait for the shutdown flag, made once (a wait made anew
/// for every request registered and dropped a waiter each time).
///
/// `owed`, between requests: what the client is owed, from which its idle time counts.
///
/// `reading`, while a head is read: the budget and the charge that the bytes waiting in
/// `buf` past the first [`HEAD_FREE`] are added to as they come, so long heads half read are
/// bounded by the budget too. They never wait for room (every client could be left waiting on
/// the others): a read that finds none gives `NoRoom`.
#[allow(clippy::too_many_arguments)]
async fn next_event(
    parser: &mut http1::Parser,
    read: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
    in_head: bool,
    config: &Config,
    mut stop: Pin<&mut impl Future<Output = ()>>,
    timer: &mut Pin<Box<Sleep>>,
    owed: Option<&Owed>,
    mut reading: Option<(&Arc<Budget>, &mut Charge)>,
    body: Option<(&mut Option<Instant>, u64)>,
) -> Got {
    let wait = |empty: bool| if in_head && !empty { config.header_timeout } else { config.idle_timeout };
    let empty_at_start = buf.is_empty();
    let mut deadline = None;
    let mut body = body.filter(|_| config.min_body_rate > 0);
    // When the body is late: the header timeout after its first wait, and a second more for
    // every `min_body_rate` bytes that came; worked out only once the body has to be waited
    // for (an event already in the buffer costs no clock reading).
    let mut late_body: Option<Instant> = None;
    let capped = |at: Instant, late: Option<Instant>| late.map_or(at, |late| at.min(late));
    // A head still unfinished when a read past its deadline came.
    let mut late = false;
    loop {
        match parser.next_event(buf) {
            Ok(Some(event)) => return Got::Event(event),
            Ok(None) => {}
            Err(err) => return Got::Bad(err),
        }
        if late {
            return Got::Timeout;
        }
        if let Some((started, received)) = body.take() {
            let started = *started.get_or_insert_with(Instant::now);
            let for_bytes = Duration::try_from_secs_f64(received as f64 / config.min_body_rate as f64);
            let allowed = config.header_timeout.saturating_add(for_bytes.unwrap_or(Duration::MAX));
            late_body = Some(started.checked_add(allowed).unwrap_or_else(|| crate::after(allowed)));
        }
        let deadline = deadline.get_or_insert_with(|| capped(crate::after(wait(empty_at_start)), late_body));
        if timer.deadline() > *deadline {
            timer.as_mut().reset(*deadline);
        }
        let between = in_head && buf.is_empty();
        let was_empty = buf.is_empty();
        // In this order, without the random start `select!` draws by default: bytes already
        // here first, so the timer and the flag are looked at only when there are none (each
        // look at the flag takes a lock; looked at first, it cost the proxy about 800
        // instructions a request). A request already here is taken before the flag, as the
        // gateway does; a head whose bytes keep coming is still held to its deadline (`late`).
        tokio::select! {
            biased;
            n = read.read_buf(buf) => match n {
                Ok(0) => {
                    return match parser.next_event_eof(buf) {
                        Ok(Some(event)) => Got::Event(event),
                        Ok(None) if between => Got::End,
                        Ok(None) => Got::Cut,
                        Err(_) if between => Got::End,
                        Err(_) => Got::Cut,
                    };
                }
                Ok(_) => {
                    if let Some((budget, charge)) = reading.as_mut() {
                        let over = (buf.len() as u64).saturating_sub(HEAD_FREE);
                        if over > charge.bytes() {
                            match budget.try_charge(over - charge.bytes()) {
                                Some(more) => charge.absorb(more),
                                None => return Got::NoRoom,
                            }
                        }
                    }
                    if !in_head || was_empty {
                        *deadline = capped(crate::after(wait(false)), late_body);
                    } else if Instant::now() >= *deadline {
                        late = true;
                    }
                }
                Err(_) => return Got::Cut,
            },
            () = timer.as_mut() => {
                let now = Instant::now();
                if now >= *deadline {
                    match owed.filter(|_| between).map(|owed| owed.idle_until(config.idle_timeout)) {
                        Some(until) if until > now => *deadline = until,
                        _ => return Got::Timeout,
                    }
                }
                timer.as_mut().reset(*deadline);
            }
            () = stop.as_mut(), if between => return Got::Shutdown,
        }
    }
}

/// Reads a client's requests and hands each to a link (or answers it here), until the
/// client is done or something closes the connection. Says why it stopped.
#[allow(clippy::too_many_arguments)]
async fn read_client(
    mut read: impl AsyncRead + Unpin,
    slots: mpsc::Sender<Slot>,
    (peer, local): (SocketAddr, &str),
    link: &LinkHandle,
    config: &Config,
    stats: &Stats,
    budgets: &Budgets,
    holder: &Arc<Holder>,
    owed: &Owed,
    mut shutdown: Shutdown,
) -> &'static str {
    // Lines short enough for their opcode lines: a line the link could not carry is this
    // client's 400, where the encoder would refuse it and every request after it (the link's
    // loss, and 502 for every client on it).
    let mut parser = http1::Parser::with_limits(config.limits.for_compact());
    let mut buf = BytesMut::with_capacity(READ_BUFFER);
    let mut timer = Box::pin(tokio::time::sleep(config.idle_timeout));
    // The flag looked at between requests (a client that keeps sending never has its
    // reader wait, where `stop` is looked at).
    let flag = shutdown.clone();
    let stop = shutdown.wait();
    tokio::pin!(stop);
    let refuse = |status, reason: &'static str, why: &'static str| {
        stats.error();
        tracing::info!(%peer, status, why, "client refused");
        Slot::Now(hop::answer(status, reason, true), true)
    };
    // What the bytes of the head being read hold of the budget, until the head is whole.
    let mut reading = Charge::default();
    // Makes a request's charge cover its first `bytes`, if the budget has room for the rest.
    let cover = |charge: &mut Charge, bytes: u64| {
        let more = bytes.saturating_sub(charge.bytes());
        more == 0 || budgets.requests.try_charge(more).map(|more| charge.absorb(more)).is_some()
    };
    loop {
        if buf.is_empty() && flag.is_set() {
            return "draining";
        }
        // A buffer grown for a long head is not kept for the short ones after it (what it
        // held past the first 16 KiB was charged only while the head was read).
        if buf.capacity() > 4 * HEAD_FREE as usize && buf.len() <= HEAD_FREE as usize {
            let mut fresh = BytesMut::with_capacity(READ_BUFFER.max(buf.len()));
            fresh.extend_from_slice(&buf);
            buf = fresh;
        }
        let room = Some((&budgets.requests, &mut reading));
        let got = next_event(
            &mut parser,
            &mut read,
            &mut buf,
            true,
            config,
            stop.as_mut(),
            &mut timer,
            Some(owed),
            room,
            None,
        )
        .await;
        // A whole head of the usual size (its bytes held uncharged) waits for the least a
        // message is charged: with the budget spent, the client is read no further
        // (backpressure). A longer one starts from what its bytes were charged. Past that, a
        // request never waits: what more its head and body take is charged as it comes, and
        // one that finds no room gets 503 (requests half read, each waiting for the room the
        // others hold, could wait for ever; a request that reserved its declared length
        // would hold it for as long as its client took to send it).
        let mut charge = match (&got, reading.bytes()) {
            (Got::Event(Event::Head(_)), 0) => budgets.requests.charge(0).await,
            _ => std::mem::take(&mut reading),
        };
        let head = match got {
            Got::Event(Event::Head(head)) => head,
            Got::Event(_) => return "out of step",
            Got::End => return "done",
            Got::Shutdown => return "draining",
            Got::Cut => return "cut in a head",
            Got::Timeout if buf.is_empty() => return "idle",
            Got::Timeout => {
                let _ = slots.send(refuse(408, "Request Timeout", "head too slow")).await;
                return "head too slow";
            }
            Got::Bad(err) => {
                tracing::debug!(%peer, %err, "malformed request");
                // The one mapping of a read error to its status: 400, or 431 for too many
                // field lines (RFC 6585 §5).
                let (status, reason) = streamline_tokio::Error::from(err).status().unwrap_or((400, "Bad Request"));
                let _ = slots.send(refuse(status, reason, "malformed request")).await;
                return "malformed request";
            }
            Got::NoRoom => {
                let _ = slots.send(refuse(503, "Service Unavailable", "no room for a head")).await;
                return "no room for a head";
            }
        };
        let fields = hop::Fields::of(&head);
        // An HTTP/1.0 request without Host goes on as HTTP/1.1, with the address its client
        // reached as its Host (as the gateway does for its plain clients: `forwardable`); the
        // checks below count that line.
        let (host_bytes, host_lines) = hop::host_added(fields.host_to_add(local.as_bytes()));
        // A head larger than the link's state could hold, or with more lines than it takes,
        // would be refused by its encoder, with every request after it: this client's 431
        // instead (RFC 6585 §5).
        if head.state_bytes() + host_bytes > config.limits.get_max_state_bytes() {
            let _ = slots.send(refuse(431, "Request Header Fields Too Large", "head too large for the link")).await;
            return "head too large for the link";
        }
        if head.headers().len() + host_lines > config.limits.get_max_headers() {
            let _ = slots.send(refuse(431, "Request Header Fields Too Large", "too many lines for the link")).await;
            return "too many lines for the link";
        }
        if message_bytes(&head, 0) + (host_bytes + 2 * host_lines) as u64 > config.max_head as u64 {
            let _ = slots.send(refuse(431, "Request Header Fields Too Large", "head over --max-head")).await;
            return "head over --max-head";
        }
        if let Some((status, reason, why)) = hop::refused(&head, &fields) {
            let _ = slots.send(refuse(status, reason, why)).await;
            return why;
        }
        let close = fields.closes(&head);
        let http10 = head.version() == streamline::Version::HTTP_10;
        // An HTTP/1.0 request's expectation is ignored (RFC 9110 §10.1.1): no 100 for it.
        let expects = fields.expects_continue(&head);
        let continues = expects && !http10;
        if matches!(head.framing(), Framing::Length(n) if n > config.limits.get_max_body()) {
            let _ = slots.send(refuse(413, "Content Too Large", "body too large")).await;
            return "body too large";
        }
        let head_bytes = message_bytes(&head, 0);
        if !cover(&mut charge, head_bytes) {
            let _ = slots.send(refuse(503, "Service Unavailable", "no room for a head")).await;
            return "no room for a head";
        }
        if continues && slots.send(Slot::Continue).await.is_err() {
            return "writer gone";
        }
        // A body that came in one piece is that piece (shared with the read buffer); one in
        // several is gathered.
        let mut body = Bytes::new();
        let mut gathered: Option<BytesMut> = None;
        let mut body_started = None;
        loop {
            let received = gathered.as_ref().map_or(body.len(), BytesMut::len) as u64;
            let waits = Some((&mut body_started, received));
            match next_event(
                &mut parser,
                &mut read,
                &mut buf,
                false,
                config,
                stop.as_mut(),
                &mut timer,
                None,
                None,
                waits,
            )
            .await
            {
                Got::Event(Event::Data(piece)) => {
                    let held = gathered.as_ref().map_or(body.len(), BytesMut::len);
                    if (held + piece.len()) as u64 > config.limits.get_max_body() {
                        let _ = slots.send(refuse(413, "Content Too Large", "body too large")).await;
                        return "body too large";
                    }
                    if !cover(&mut charge, head_bytes + (held + piece.len()) as u64) {
                        let _ = slots.send(refuse(503, "Service Unavailable", "no room for a body")).await;
                        return "no room for a body";
                    }
                    match &mut gathered {
                        None if body.is_empty() => body = piece,
                        None => {
                            let mut all = BytesMut::with_capacity(body.len() + piece.len());
                            all.extend_from_slice(&body);
                            all.extend_from_slice(&piece);
                            gathered = Some(all);
                        }
                        Some(all) => all.extend_from_slice(&piece),
                    }
                }
                Got::Event(Event::End) => break,
                Got::Event(Event::Head(_)) => return "out of step",
                Got::Bad(err) => {
                    tracing::debug!(%peer, %err, "malformed body");
                    let _ = slots.send(refuse(400, "Bad Request", "malformed body")).await;
                    return "malformed body";
                }
                Got::Timeout => {
                    let _ = slots.send(refuse(408, "Request Timeout", "body too slow")).await;
                    return "body too slow";
                }
                Got::End | Got::Cut | Got::Shutdown | Got::NoRoom => return "cut in a body",
            }
        }
        let body = gathered.map_or(body, BytesMut::freeze);
        let request = match fields.proxied(&head, local.as_bytes()).and_then(|h| Request::new(h, body)) {
            Ok(request) => request,
            Err(_) => {
                let _ = slots.send(refuse(400, "Bad Request", "cannot forward")).await;
                return "cannot forward";
            }
        };
        let Ok(permit) = link.slots.clone().acquire_owned().await else { return "stopped" };
        let (reply, answer) = oneshot::channel();
        owed.asked();
        if slots.send(Slot::Wait { answer, close, http10 }).await.is_err() {
            return "writer gone";
        }
        let job = Job { request, reply, permit, _charge: charge, holder: holder.clone() };
        if link.jobs.send(job).await.is_err() {
            return "stopped";
        }
        if close {
            return "closed after the request that said so";
        }
    }
}

/// Gives a client its answers in the order of its requests, writing when nothing more is
/// ready; ends after an answer that closes the connection, or when the client is gone.
async fn write_client(
    mut write: impl AsyncWrite + Unpin,
    mut queue: mpsc::Receiver<Slot>,
    stats: &Stats,
    holder: &Holder,
    owed: &Owed,
) {
    // Writes `out`, unless the client is told to close first (it holds the most of a
    // response budget spent for a while): `false` then, or when the client is gone.
    async fn put(write: &mut (impl AsyncWrite + Unpin), out: &[u8], holder: &Holder) -> bool {
        tokio::select! {
            biased;
            written = write.write_all(out) => written.is_ok(),
            () = holder.evicted() => {
                tracing::info!("client closed: it holds the most of the spent response budget");
                false
            }
        }
    }
    let mut out = BytesMut::with_capacity(16 * 1024);
    // What the answers in `out` hold of the budget, given back once they are written.
    let mut held: Vec<Charge> = Vec::new();
    // A feed's responses share their head: written with one copy once it repeats.
    let mut writer = http1::Writer::new();
    loop {
        let slot = match queue.try_recv() {
            Ok(slot) => slot,
            Err(mpsc::error::TryRecvError::Disconnected) => break,
            Err(mpsc::error::TryRecvError::Empty) => {
                if !put(&mut write, &out, holder).await {
                    return;
                }
                out.clear();
                held.clear();
                match queue.recv().await {
                    Some(slot) => slot,
                    None => break,
                }
            }
        };
        let (response, close) = match slot {
            Slot::Continue => {
                out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                if !put(&mut write, &out, holder).await {
                    return;
                }
                out.clear();
                held.clear();
                continue;
            }
            Slot::Now(response, close) => (response, close),
            Slot::Wait { mut answer, close, http10 } => {
                let answer = match answer.try_recv() {
                    Ok(answer) => Some(answer),
                    Err(oneshot::error::TryRecvError::Closed) => None,
                    Err(oneshot::error::TryRecvError::Empty) => {
                        if !put(&mut write, &out, holder).await {
                            return;
                        }
                        out.clear();
                        held.clear();
                        answer.await.ok()
                    }
                };
                let Answer { response, interim, charge } = answer.unwrap_or_else(|| {
                    stats.error();
                    Answer::made(hop::answer(502, "Bad Gateway", false))
                });
                held.push(charge);
                // Interim answers go ahead of the final one, never to an HTTP/1.0 client (RFC
                // 9110 §15.2).
                if !http10 {
                    for early in &interim {
                        writer.write(early.head(), early.body(), &mut out);
                    }
                }
                // In hand and going out: the client's idle time counts from here.
                owed.answered();
                let response = hop::delimited(response);
                (if http10 { hop::for_http10(response, close) } else { response }, close)
            }
        };
        let response = if close { hop::with_close(response) } else { response };
        writer.write(response.head(), response.body(), &mut out);
        if close {
            break;
        }
    }
    put(&mut write, &out, holder).await;
    let _ = write.shutdown().await;
}
