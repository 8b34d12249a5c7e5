//! The gateway: links in (compact by prior knowledge or upgrade, or plain HTTP/1.1), plain
//! HTTP/1.1 out to one upstream server.
//!
//! Each link gets its own upstream connection, kept alive and pipelined: requests are
//! written as they come off the link and responses read back in the same order (the
//! response reader told each request's method), then sent back on the link in order. One
//! connection per link is the whole pool: a link is already the multiplexed traffic of many
//! clients, and pipelining keeps that connection busy; a proxy that wants more parallelism
//! upstream opens more links (`--links N`).
//!
//! Faults: a connection the upstream refuses, resets or closes without answering gives a
//! 502 for every request it leaves unanswered, in order; the next request opens a fresh
//! connection, so service resumes once the upstream is back. Requests pipelined after a
//! response that said `Connection: close` were not processed (RFC 9112 §9.6) and are sent
//! again on the next connection; an idempotent request the upstream dropped without a byte
//! of answer is sent again once; nothing else is ever sent twice.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use streamline::{http1, Framing, Request, Response};
use streamline_tokio::link::{self, Upgrades};
use streamline_tokio::Syntax;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::counted::{Counted, Side};
use crate::stats::spawn_reporter;
use crate::{
    accept_loop, after, hop, message_bytes, AbortOnDrop, Answer, Budgets, Charge, Config, Holder, Shutdown, Stats,
};

/// Serves links on `listener`, forwarding their requests to `upstream`, until SIGTERM or
/// SIGINT; then stops accepting, lets every link's requests in flight be answered (up to
/// [`Config::drain_timeout`]) and returns `Ok`.
///
/// # Errors
///
/// Only the listener's own failures; a link's or the upstream's are logged and answered.
pub async fn run(listener: TcpListener, upstream: SocketAddr, config: Config) -> std::io::Result<()> {
    run_with(listener, upstream, config, Shutdown::on_signals(), Arc::new(Stats::default())).await
}

/// [`run`], stopped by `shutdown` instead of a signal, counting into `stats`. Dropping the
/// future closes every link and upstream connection at once.
///
/// # Errors
///
/// As [`run`].
pub async fn run_with(
    listener: TcpListener,
    upstream: SocketAddr,
    config: Config,
    shutdown: Shutdown,
    stats: Arc<Stats>,
) -> std::io::Result<()> {
    let config = Arc::new(config);
    let _reporter = config.stats_every.map(|every| AbortOnDrop(spawn_reporter(stats.clone(), every, "gateway")));
    let budgets = Budgets::new(&config, &stats);
    let origin = Arc::new(Origin::new(upstream));
    tracing::info!(listen = %listener.local_addr()?, %upstream, "gateway listening");
    let each = {
        let config = config.clone();
        move |socket, peer, stats: Arc<Stats>, shutdown| {
            let (config, budgets, origin) = (config.clone(), budgets.clone(), origin.clone());
            async move { serve_link(socket, peer, &origin, &config, &stats, &budgets, shutdown).await }
        }
    };
    accept_loop(listener, &config, shutdown, stats, "links", each).await
}

/// One link, from the negotiation to its close.
async fn serve_link(
    socket: TcpStream,
    peer: SocketAddr,
    origin: &Arc<Origin>,
    config: &Config,
    stats: &Arc<Stats>,
    budgets: &Budgets,
    mut shutdown: Shutdown,
) {
    let _ = socket.set_nodelay(true);
    // The address the peer reached: a Host for a request that came without one (`forwardable`).
    let local = socket.local_addr().map(hop::authority).unwrap_or_default();
    // A connection that has sent nothing yet is idle, as a client between requests is: the
    // header timeout counts from its first byte (a proxy opens a link with its first request).
    let mut peeked = [0u8];
    let first_byte = tokio::select! {
        _ = shutdown.wait() => return,
        // (`peek`, not `readable`: readiness may be reported before a byte is there.)
        r = tokio::time::timeout(config.idle_timeout, socket.peek(&mut peeked)) => r,
    };
    if first_byte.is_err() {
        tracing::info!(%peer, "link closed: nothing sent within the idle timeout");
        return;
    }
    let counted = Counted::new(socket, stats.clone(), Side::Link).stalling_after(config.idle_timeout).giving_way();
    let negotiated = tokio::select! {
        _ = shutdown.wait() => return,
        n = tokio::time::timeout(config.header_timeout, link::accept(counted, config.limits, Upgrades::Accept)) => n,
    };
    let mut link = match negotiated {
        Ok(Ok(link)) => link,
        Ok(Err(err)) => {
            stats.error();
            tracing::info!(%peer, %err, "link refused");
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "link closed: nothing whole within the header timeout");
            return;
        }
    };
    let syntax = link.codec().syntax();
    // A plain client's bytes are plain ones, counted so from its first; its connection is
    // logged at debug, as the proxy logs its clients' (one that sends one request would cost
    // lines a request); a link's at info.
    if syntax == Syntax::Plain {
        link.get_mut().set_side(Side::Plain);
        tracing::debug!(%peer, ?syntax, "link open");
    } else {
        tracing::info!(%peer, ?syntax, "link open");
    }
    if syntax == streamline_tokio::codec::Syntax::Compact {
        link.reserve_read(crate::LINK_READ);
        if config.pack {
            link.codec_mut().set_encoder(streamline::Encoder::with_limits(config.limits).responses().packing(true));
        }
    }
    let (mut sink, mut requests) = link.split();
    let depth = crate::bound(config.max_in_flight);
    // The order responses go back in, one receiver per request: bounded, so a link that
    // sends faster than the upstream answers is read no further (backpressure).
    // With each, how the answer is made fit for a plain client (`Fit`).
    let (order_tx, mut order_rx) = mpsc::channel::<(oneshot::Receiver<Answer>, Fit)>(depth);
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>(depth);
    // What this connection's answers hold of the response budget. A connection stuck reading
    // them is closed once the budget has been spent for `GATEWAY_EVICT_AFTER` and it holds
    // the most, a link as a plain client: anyone may open a link, and one that read none of
    // its answers would otherwise hold every other connection's back. A proxy that stops
    // reading its link because its own budget is spent closes its own greediest client first
    // (`EVICT_AFTER`, shorter), so a link of a working proxy is not closed for it.
    let holder = budgets.holders.join();
    // A link's answers go compact: lines and heads it could carry only (the encoder would
    // refuse one past them, and every answer after it).
    let reading = match syntax {
        Syntax::Compact => Reading {
            limits: config.limits.for_compact(),
            max_head: Some(config.limits.get_max_state_bytes()),
            timeout: config.upstream_timeout,
        },
        Syntax::Plain => Reading { limits: config.limits, max_head: None, timeout: config.upstream_timeout },
    };
    let task = upstream_task(origin.clone(), jobs_rx, reading, stats.clone(), budgets.clone(), holder.clone());
    let _upstream = AbortOnDrop(tokio::spawn(task));

    let read = async {
        let mut why = "closed by the peer";
        // One wait for the flag, made once: made anew for every request, it registered and
        // dropped a waiter each time.
        let stop = shutdown.wait();
        tokio::pin!(stop);
        loop {
            // A request already here is taken before the flag is looked at: the proxy counts
            // it in flight once it is sent, so draining answers it rather than dropping it.
            let next = tokio::select! {
                biased;
                // A plain client idle past the idle timeout is closed; a link is not.
                next = async {
                    if syntax == Syntax::Plain {
                        tokio::time::timeout(config.idle_timeout, requests.next()).await.ok()
                    } else {
                        Some(requests.next().await)
                    }
                } => next,
                () = &mut stop => { why = "draining"; break }
            };
            let request = match next {
                None => {
                    why = "idle timeout";
                    break;
                }
                Some(None) => break,
                Some(Some(Ok(request))) => request,
                Some(Some(Err(err))) => {
                    stats.error();
                    tracing::info!(%peer, %err, "link broken");
                    why = "broken";
                    // A plain client is told, after the answers it is owed (a link's peer
                    // is a proxy, which reads the close).
                    if syntax == Syntax::Plain {
                        let (reply, answer) = oneshot::channel();
                        // A body over --max-body is 413, as at the proxy; anything else 400
                        // (a first head that could not be read was answered so by
                        // `link::accept`).
                        let (status, reason) = err.status().unwrap_or((400, "Bad Request"));
                        let _ = reply.send(Answer::made(hop::answer(status, reason, true)));
                        stats.in_flight.fetch_add(1, Relaxed);
                        let _ = order_tx.send((answer, Fit::AsIs)).await;
                    }
                    break;
                }
            };
            Stats::add(&stats.requests, 1);
            // Held until answered (it may be sent again): read no further until the budget
            // has room for it.
            let charge = budgets.requests.charge(message_bytes(request.head(), request.body().len())).await;
            let fields = hop::Fields::of(request.head());
            let closing = syntax == Syntax::Plain && fields.closes(request.head());
            let http10 = syntax == Syntax::Plain && request.head().version() == streamline::Version::HTTP_10;
            let (reply, answer) = oneshot::channel();
            let fit = match (http10, closing) {
                (true, close) => Fit::Http10 { close },
                (false, true) => Fit::Closing,
                (false, false) => Fit::AsIs,
            };
            if order_tx.send((answer, fit)).await.is_err() {
                break;
            }
            stats.in_flight.fetch_add(1, Relaxed);
            match forwardable(request, &fields, config.max_head, local.as_bytes()) {
                Ok(request) => {
                    if jobs_tx.send(Job { request, reply, retried: false, _charge: charge }).await.is_err() {
                        break;
                    }
                }
                Err(response) => {
                    let _ = reply.send(Answer::made(response));
                }
            }
            if closing {
                why = "closed after the request that said so";
                break;
            }
        }
        drop(order_tx);
        why
    };
    let write = async {
        let mut writing = true;
        // What the answers fed since the last flush hold of the budget, given back once they
        // are written.
        let mut held: Vec<Charge> = Vec::new();
        let mut held_bytes = 0;
        loop {
            let answer = match order_rx.try_recv() {
                Ok(answer) => answer,
                Err(_) => {
                    if writing && sink.flush().await.is_err() {
                        writing = false;
                    }
                    held.clear();
                    held_bytes = 0;
                    match order_rx.recv().await {
                        Some(answer) => answer,
                        None => break,
                    }
                }
            };
            let (mut answer, fit) = answer;
            let answer = match answer.try_recv() {
                Ok(answer) => Some(answer),
                Err(oneshot::error::TryRecvError::Closed) => None,
                Err(oneshot::error::TryRecvError::Empty) => {
                    if writing && sink.flush().await.is_err() {
                        writing = false;
                    }
                    held.clear();
                    held_bytes = 0;
                    answer.await.ok()
                }
            };
            stats.in_flight.fetch_sub(1, Relaxed);
            let Answer { response, interim, charge } = answer.unwrap_or_else(|| {
                stats.error();
                Answer::made(hop::answer(502, "Bad Gateway", false))
            });
            Stats::add(&stats.responses, 1);
            // Interim answers go ahead of the final one, but never to an HTTP/1.0 client (RFC
            // 9110 §15.2).
            if !matches!(fit, Fit::Http10 { .. }) {
                for early in interim {
                    if writing {
                        writing = put(&mut sink, early, peer, stats).await;
                    }
                }
            }
            let response = match fit {
                Fit::Http10 { close } => hop::for_http10(response, close),
                // It says so (RFC 9112 §9.6).
                Fit::Closing => hop::with_close(response),
                Fit::AsIs => response,
            };
            // Past a failed write, answers are still taken, so the upstream side drains.
            if writing {
                writing = put(&mut sink, response, peer, stats).await;
            }
            held_bytes += charge.bytes();
            held.push(charge);
            // A link always busy is written as its buffer fills, but flushed here only when
            // no answer is ready: past this much, flush, so what was written is given back.
            if held_bytes > FLUSH_HELD {
                if writing && sink.flush().await.is_err() {
                    writing = false;
                }
                held.clear();
                held_bytes = 0;
            }
        }
        if writing {
            let _ = sink.close().await;
        }
    };
    let (why, ()) = tokio::select! {
        biased;
        both = async { tokio::join!(read, write) } => both,
        () = holder.evicted() => ("it held the most of the spent response budget", ()),
    };
    if syntax == Syntax::Plain {
        tracing::debug!(%peer, why, "link closed");
    } else {
        tracing::info!(%peer, why, "link closed");
    }
}

/// How an answer is made fit for the connection it goes back on.
#[derive(Debug, Clone, Copy)]
enum Fit {
    /// As it is: a link's, or a plain HTTP/1.1 client's that stays open.
    AsIs,
    /// A plain HTTP/1.1 client's that asked to close after it: `Connection: close` added.
    Closing,
    /// A plain HTTP/1.0 client's ([`hop::for_http10`]), closed after it or not.
    Http10 { close: bool },
}

/// Feeds an answer to a link's sink: `false` if it failed. Then the link is closed (after
/// the answers fed before it), so its peer knows: an answer the encoder refused leaves the
/// encoder refusing every one after it, and a link kept open with nothing more on it would
/// leave every request on it waiting for ever.
async fn put<S>(sink: &mut S, response: Response, peer: SocketAddr, stats: &Stats) -> bool
where
    S: futures_util::Sink<Response, Error = streamline_tokio::Error> + Unpin,
{
    match sink.feed(response).await {
        Ok(()) => true,
        Err(err) => {
            stats.error();
            tracing::warn!(%peer, %err, "link closed: an answer could not be written");
            let _ = sink.close().await;
            false
        }
    }
}

/// How long the gateway answers 502 at once after a connect to its upstream failed, before it
/// tries again.
const UPSTREAM_RETRY: Duration = Duration::from_millis(50);

/// The upstream, and its reachability as the whole gateway sees it, shared by every link's
/// and plain client's upstream side: a refused upstream costs a log line a second, however many
/// connections meet it (a line each cost tens of thousands a second with one-request
/// clients). Looked at only when a connection is to be opened.
#[derive(Debug)]
pub(crate) struct Origin {
    addr: SocketAddr,
    /// While unreachable: since when, the requests failed since the last line logged, when
    /// a connect may be tried again, and when the last line was logged.
    down: std::sync::Mutex<Option<Down>>,
}

#[derive(Debug)]
struct Down {
    since: Instant,
    failed: u64,
    retry: Instant,
    logged: Instant,
}

impl Origin {
    fn new(addr: SocketAddr) -> Origin {
        Origin { addr, down: std::sync::Mutex::new(None) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Down>> {
        self.down.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// May a connect be tried now? If not (it failed less than [`UPSTREAM_RETRY`] ago), the
    /// request is counted as failed, to be answered 502.
    fn may_try(&self) -> bool {
        match self.lock().as_mut() {
            Some(down) if Instant::now() < down.retry => {
                down.failed += 1;
                false
            }
            _ => true,
        }
    }

    /// A connect succeeded: said at info after a time unreachable, at debug otherwise (a
    /// plain client that sends one request opens one).
    fn reached(&self) {
        let addr = self.addr;
        match self.lock().take() {
            Some(down) => {
                let down_for = down.since.elapsed();
                tracing::info!(%addr, ?down_for, failed = down.failed, "upstream reachable again");
            }
            None => tracing::debug!(%addr, "upstream connection open"),
        }
    }

    /// A connect failed (its request counted): logged when the upstream was reachable before,
    /// and at most once a second after, with the requests failed since the last line.
    fn failed(&self, err: &std::io::Error) {
        let addr = self.addr;
        let now = Instant::now();
        let mut down = self.lock();
        let first = down.is_none();
        let down = down.get_or_insert(Down { since: now, failed: 0, retry: now, logged: now });
        down.failed += 1;
        down.retry = now + UPSTREAM_RETRY;
        if first || now.duration_since(down.logged) >= Duration::from_secs(1) {
            tracing::info!(%addr, %err, failed = down.failed, "upstream unreachable");
            down.logged = now;
            down.failed = 0;
        }
    }
}

/// How long an upstream reader waits for room in the response budget before the link holding
/// the most is closed: longer than the proxy's wait ([`EVICT_AFTER`](crate::EVICT_AFTER)), so
/// that when a proxy stops reading a link because its own budget is spent, the proxy closes
/// its greedy client before the gateway closes the link.
const GATEWAY_EVICT_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Budget held by answers fed to a link past which its writer flushes, to give it back.
const FLUSH_HELD: u64 = 1024 * 1024;

/// The request as the upstream gets it (hop-by-hop fields removed, in HTTP/1.1), or the answer
/// to give instead. An HTTP/1.0 request without Host (the one kind `hop::refused` lets
/// through) is sent with `Host: authority`, the address its client reached: HTTP/1.1 requires
/// a Host (RFC 9112 §3.2), and that address is the authority of such a request's target
/// when no other is configured (§3.3).
fn forwardable(request: Request, fields: &hop::Fields, max_head: usize, authority: &[u8]) -> Result<Request, Response> {
    // What the proxy refuses before it sends a request on a link, the gateway refuses too (its
    // plain clients, and a link's peer that is not a streamline proxy).
    if let Some((status, reason, _)) = hop::refused(request.head(), fields) {
        return Err(hop::answer(status, reason, false));
    }
    // A head past `max_head`, however few bytes it took on a link (`Config::max_head`), the
    // Host line it may be given counted.
    let host = fields.host_to_add(authority);
    let (host_bytes, host_lines) = hop::host_added(host);
    if message_bytes(request.head(), 0) + (host_bytes + 2 * host_lines) as u64 > max_head as u64 {
        return Err(hop::answer(431, "Request Header Fields Too Large", false));
    }
    let (head, body) = request.into_parts();
    // The body is here whole: the expectation was met at this hop (a plain client's link
    // answered it), so the upstream is not asked.
    let drop_expect: &[&[u8]] = if fields.expects_continue(&head) { &[b"expect"] } else { &[] };
    fields
        .forward(&head, drop_expect, host)
        .and_then(|head| Request::new(head, body))
        .map_err(|_| hop::answer(400, "Bad Request", false))
}

/// How a link's upstream connections are read: the limits on what comes, and how long the
/// upstream may send nothing while a request is unanswered ([`Config::upstream_timeout`]).
#[derive(Debug, Clone, Copy)]
struct Reading {
    limits: streamline::Limits,
    /// The most state bytes an answer's head may hold ([`streamline::Head::state_bytes`]),
    /// for a compact link; one with more is a broken answer (502).
    max_head: Option<usize>,
    timeout: Duration,
}

/// A request on its way upstream, and where its response goes.
struct Job {
    request: Request,
    reply: oneshot::Sender<Answer>,
    /// Sent once already, on a connection that dropped it unanswered.
    retried: bool,
    /// What the request holds of the budget, until it is answered.
    _charge: Charge,
}

impl Job {
    fn fail(self, stats: &Stats) {
        self.fail_with(stats, 502, "Bad Gateway");
    }

    fn fail_with(self, stats: &Stats, status: u16, reason: &'static str) {
        stats.error();
        let _ = self.reply.send(Answer::made(hop::answer(status, reason, false)));
    }
}

/// How an upstream connection ended, with the requests it leaves unanswered (in order).
struct Ended {
    left: Vec<Job>,
    /// The upstream said it would process none of them (`Connection: close`, or a clean
    /// close with nothing outstanding): send them all again.
    unprocessed: bool,
    /// The upstream dropped the connection without a byte of the next answer: its
    /// idempotent requests may be sent again once.
    dropped: bool,
}

/// One open upstream connection: its write half here, its read half in a task.
struct Upstream {
    write: OwnedWriteHalf,
    sent: mpsc::UnboundedSender<Job>,
    reader: tokio::task::JoinHandle<Ended>,
    abort: Option<oneshot::Sender<()>>,
    _up: UpCount,
}

/// The upstream side of one link: takes jobs in order, keeps one connection open (opening a
/// fresh one when it is gone) and writes each job's request on it; the reader task answers
/// the jobs in order.
async fn upstream_task(
    origin: Arc<Origin>,
    mut jobs: mpsc::Receiver<Job>,
    reading: Reading,
    stats: Arc<Stats>,
    budgets: Budgets,
    holder: Arc<Holder>,
) {
    let addr = origin.addr;
    let mut conn: Option<Upstream> = None;
    let mut again: VecDeque<Job> = VecDeque::new();
    let mut buf = BytesMut::with_capacity(16 * 1024);
    // A feed's requests share their head: written with one copy once it repeats.
    let mut writer = http1::Writer::new();
    loop {
        let job = match again.pop_front() {
            Some(job) => job,
            None => {
                let ended = async {
                    match conn.as_mut() {
                        Some(c) => (&mut c.reader).await.ok(),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    ended = ended => {
                        if let Some(c) = conn.take() {
                            drop(c.write);
                        }
                        settle(ended, &mut again, &stats);
                        continue;
                    }
                    job = jobs.recv() => match job {
                        Some(job) => job,
                        None => break,
                    },
                }
            }
        };
        if conn.is_none() {
            if !origin.may_try() {
                job.fail(&stats);
                continue;
            }
            // Bounded as nginx's `proxy_connect_timeout`: an upstream that neither accepts nor
            // refuses (its backlog full, its address dropped by a firewall) would otherwise
            // hold this request, and every one queued behind it, for the kernel's two minutes
            // of SYN retries. Past it, 504 as nginx answers, and the upstream counts as down.
            match tokio::time::timeout(reading.timeout, TcpStream::connect(addr)).await {
                Ok(Ok(socket)) => {
                    let _ = socket.set_nodelay(true);
                    origin.reached();
                    conn = Some(open(socket, reading, stats.clone(), budgets.clone(), holder.clone()));
                }
                Ok(Err(err)) => {
                    origin.failed(&err);
                    job.fail(&stats);
                    continue;
                }
                Err(_) => {
                    origin.failed(&std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"));
                    job.fail_with(&stats, 504, "Gateway Timeout");
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        // This job and whatever else is ready, in one write.
        buf.clear();
        let mut batch = vec![job];
        while batch.len() < 64 {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut refused = None;
        for (i, job) in batch.into_iter().enumerate() {
            if refused.is_some() {
                again.push_back(job);
                continue;
            }
            let at = buf.len();
            writer.write(job.request.head(), job.request.body(), &mut buf);
            // Queued for the reader before the bytes go: its answer can only come after.
            if let Err(mpsc::error::SendError(job)) = c.sent.send(job) {
                buf.truncate(at);
                refused = Some(i);
                again.push_back(job);
            }
        }
        let written = c.write.write_all(&buf).await;
        if written.is_ok() {
            // The plain bytes the link's requests became (the `--stats` line's "plain out").
            Stats::add(&stats.plain_out, buf.len() as u64);
        }
        if refused.is_some() || written.is_err() {
            // The connection is gone: collect what it leaves unanswered, before the jobs
            // held back here (they came later).
            let mut c = conn.take().unwrap_or_else(|| unreachable!());
            if written.is_err() {
                if let Some(abort) = c.abort.take() {
                    let _ = abort.send(());
                }
            }
            let ended = (&mut c.reader).await.ok();
            let held: Vec<Job> = again.drain(..).collect();
            settle(ended, &mut again, &stats);
            again.extend(held);
        }
    }
    if let Some(c) = conn {
        c.reader.abort();
    }
}

/// Puts what an ended connection left unanswered back in front of the queue, or answers it
/// with 502.
fn settle(ended: Option<Ended>, again: &mut VecDeque<Job>, stats: &Stats) {
    let Some(ended) = ended else { return };
    let mut front = Vec::new();
    for mut job in ended.left {
        // After a drop, an upstream may have processed any of the requests it had read
        // (it may work ahead of its answers): only idempotent ones go again, once.
        let resend = ended.unprocessed || (ended.dropped && !job.retried && hop::idempotent(&job.request));
        if resend {
            job.retried |= ended.dropped;
            front.push(job);
        } else {
            job.fail(stats);
        }
    }
    for job in front.into_iter().rev() {
        again.push_front(job);
    }
}

fn open(socket: TcpStream, reading: Reading, stats: Arc<Stats>, budgets: Budgets, holder: Arc<Holder>) -> Upstream {
    let (read, write) = socket.into_split();
    let (sent, queue) = mpsc::unbounded_channel();
    let (abort, aborted) = oneshot::channel();
    let up = UpCount::new(stats.clone());
    let reader = tokio::spawn(read_upstream(read, queue, aborted, reading, stats, budgets, holder));
    Upstream { write, sent, reader, abort: Some(abort), _up: up }
}

/// One upstream connection counted in `links_up` for as long as it is held: given back when
/// it is dropped, also when its link's task is aborted (an explicit count was skipped then,
/// and the figure only grew).
struct UpCount(Arc<Stats>);

impl UpCount {
    fn new(stats: Arc<Stats>) -> UpCount {
        stats.links_up.fetch_add(1, Relaxed);
        UpCount(stats)
    }
}

impl Drop for UpCount {
    fn drop(&mut self) {
        self.0.links_up.fetch_sub(1, Relaxed);
    }
}

/// Reads the upstream's responses in the order of the requests sent, answering each job.
async fn read_upstream(
    read: OwnedReadHalf,
    mut queue: mpsc::UnboundedReceiver<Job>,
    mut aborted: oneshot::Receiver<()>,
    reading: Reading,
    stats: Arc<Stats>,
    budgets: Budgets,
    holder: Arc<Holder>,
) -> Ended {
    let Reading { limits, max_head, timeout } = reading;
    // The upstream timeout: no byte for `timeout` while a request is unanswered. One timer,
    // moved only when it fires early (a byte came since it was set), not at every read.
    let mut heard = Instant::now();
    let timer = tokio::time::sleep_until(after(timeout));
    tokio::pin!(timer);
    let mut read = Counted::new(read, stats.clone(), Side::Plain);
    let mut parser = http1::ResponseParser::with_limits(limits);
    let mut responses = hop::Responses::default();
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let end = |mut queue: mpsc::UnboundedReceiver<Job>, current: Option<Job>, unprocessed, dropped| {
        queue.close();
        let mut left: Vec<Job> = current.into_iter().collect();
        while let Ok(job) = queue.try_recv() {
            left.push(job);
        }
        Ended { left, unprocessed, dropped }
    };
    loop {
        // Nothing outstanding: wait for the next request, noticing a close meanwhile. A job
        // is queued before its request is written, so bytes with no job queued answer no
        // request: an upstream that sends them (a second response after one, a body after a
        // HEAD's) would have them read as the next client's answer, and every answer after
        // it one client late. The connection is closed instead.
        let job = loop {
            if !buf.is_empty() {
                match queue.try_recv() {
                    Ok(job) => break job,
                    Err(_) => {
                        stats.error();
                        tracing::warn!(
                            bytes = buf.len(),
                            "upstream sent bytes that answer no request: connection closed"
                        );
                        return end(queue, None, false, true);
                    }
                }
            }
            tokio::select! {
                biased;
                _ = &mut aborted => return end(queue, None, false, false),
                job = queue.recv() => match job {
                    Some(job) => {
                        // Nothing was outstanding: the wait for an answer starts now.
                        heard = Instant::now();
                        break job;
                    }
                    None => return end(queue, None, false, false),
                },
                n = read.read_buf(&mut buf) => match n {
                    // Closed while idle (the upstream's keep-alive timeout): what was
                    // queued meanwhile was never read by it.
                    Ok(0) | Err(_) => {
                        tracing::info!("upstream connection closed while idle");
                        return end(queue, None, true, false);
                    }
                    Ok(_) => {} // looked at above: a job queued since, or none
                },
            }
        };
        parser.expect(job.request.head().method());
        let mut started = !buf.is_empty();
        let mut interim = hop::Interim::default();
        // When the first interim answer came: interim answers are no progress, so the final
        // answer's head must begin within the upstream timeout of it (an upstream sending a
        // 103 every few seconds would otherwise hold the request, and its link, for 64 times
        // the timeout).
        let mut interim_since = None;
        let mut timed_out = false;
        let response = loop {
            match parser.decode(&mut buf) {
                Ok(Some(response)) if max_head.is_some_and(|max| response.head().state_bytes() > max) => {
                    break Err(("an answer's head too large for the link's state".into(), true));
                }
                // A 1xx or 204 with a body's framing (RFC 9110 §8.6, RFC 9112 §6.1: a server
                // must send neither field with them) says two things of where the next answer
                // starts: the connection is not trusted for the answers pipelined behind it.
                Ok(Some(response)) if hop::framed_without_a_body(&response) => {
                    break Err((format!("a {} with a body's framing", response.status()), true));
                }
                // The pair forwards no `Upgrade`, so a 101 answers nothing it sent (RFC 9110
                // §15.2.2), and would end the link's response stream (SPEC.md §13.3): 502,
                // and the connection closed.
                // (One look at the status for a final answer: reading it is not free.)
                Ok(Some(response)) if response.status() < 200 => {
                    if response.status() == 101 {
                        break Err(("101 Switching Protocols to a request without Upgrade".into(), true));
                    }
                    // Its answer has begun: if the connection ends now, the request is not
                    // sent again.
                    started = true;
                    if let Err(why) = interim.keep(response) {
                        break Err((why, true));
                    }
                    if interim_since.is_none() && timeout != Duration::MAX {
                        interim_since = Some(Instant::now());
                    }
                    continue;
                }
                Ok(Some(response)) => break Ok(response),
                Ok(None) => {}
                Err(err) => break Err((err.to_string(), true)),
            }
            // A body that runs to the connection's close (RFC 9112 §6.3): nothing more can be
            // answered on it, so nothing more is sent on it (the writer opens another once
            // this one ends; until then, the answers behind it wait on the link in any case).
            if parser.pending_head().is_some_and(|head| head.framing() == Framing::Close) {
                queue.close();
            }
            tokio::select! {
                biased;
                _ = &mut aborted => return end(queue, Some(job), false, false),
                n = read.read_buf(&mut buf) => {
                    heard = Instant::now();
                    match n {
                    Ok(0) => match parser.decode_eof(&mut buf) {
                        Ok(Some(response)) => break Ok(response),
                        Ok(None) => break Err(("closed before answering".into(), started)),
                        Err(err) => break Err((err.to_string(), true)),
                    },
                    Ok(_) => {}
                    Err(err) => break Err((err.to_string(), started || !buf.is_empty())),
                    }
                },
                () = &mut timer, if timeout != Duration::MAX => match interim_since
                    .filter(|_| parser.pending_head().is_none())
                    .map_or(heard, |first| first.min(heard))
                    .checked_add(timeout)
                {
                    // A byte came since the timer was set (and not only interim answers): it
                    // waits for the rest of the time.
                    Some(due) if Instant::now() < due => timer.as_mut().reset(due),
                    _ => {
                        timed_out = true;
                        break Err(("no answer within the upstream timeout".into(), true));
                    }
                },
            }
        };
        match response {
            Ok(response) => {
                let ran_to_close = response.head().framing() == Framing::Close;
                let (response, closing) = responses.forward(response);
                // Read no further until the budget has room for it (unless nobody waits for
                // it any more: its link is gone).
                if !job.reply.is_closed() {
                    let bytes = message_bytes(response.head(), response.body().len()) + interim.bytes();
                    let holders = &budgets.holders;
                    let charge = tokio::select! {
                        biased;
                        _ = &mut aborted => return end(queue, Some(job), false, false),
                        charge = budgets.responses.charge_evicting(bytes, &holder, holders, GATEWAY_EVICT_AFTER) => charge,
                    };
                    let _ = job.reply.send(Answer { response, interim: interim.take(), charge });
                }
                if closing || parser.switched().is_some() {
                    tracing::info!("upstream connection closed after a response that said so");
                    return end(queue, None, true, false);
                }
                // The upstream may have read and run the requests pipelined behind it: they
                // are handled as after a drop (the idempotent ones go again, once).
                if ran_to_close {
                    tracing::info!("upstream connection closed after a body that ran to its close");
                    return end(queue, None, false, true);
                }
            }
            Err((why, _)) if timed_out => {
                // As nginx does: 504 for the request waited on, and the connection closed;
                // the ones pipelined behind it may have been read, so they are handled as
                // after a drop.
                tracing::info!(why, "upstream connection closed");
                stats.error();
                let _ = job.reply.send(Answer::made(hop::answer(504, "Gateway Timeout", false)));
                return end(queue, None, false, true);
            }
            Err((why, started)) => {
                tracing::info!(why, "upstream connection lost");
                // Part of this answer came: 502 for it. The requests behind it got no byte of
                // theirs: dropped, like all of them when none had begun (the idempotent ones
                // go again, once).
                if started {
                    job.fail(&stats);
                    return end(queue, None, false, true);
                }
                return end(queue, Some(job), false, true);
            }
        }
    }
}
