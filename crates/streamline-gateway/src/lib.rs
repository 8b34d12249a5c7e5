//! # streamline-gateway
//!
//! A pair of small services that let unmodified HTTP/1.1 clients and servers talk over one
//! persistent compact link (SPEC.md §13, §14), the way a feed would adopt the encoding
//! without changing either end's code:
//!
//! ```text
//! clients ──plain──► proxy ══compact link══► gateway ──plain──► upstream server
//!         ◄─────────        ◄═════════════          ◄─────────
//! ```
//!
//! - [`proxy::run`] accepts plain HTTP/1.1 clients (many connections, keep-alive,
//!   pipelining), carries their requests over one persistent compact link (or a few) to the
//!   gateway, and hands each response to its own client, in order.
//! - [`gateway::run`] accepts links (compact by prior knowledge or by upgrade; plain
//!   HTTP/1.1 is served too), forwards each request as plain HTTP/1.1 to the upstream over a
//!   keep-alive connection (pipelined, in order), and sends each response back on its link.
//!
//! Both remove the hop-by-hop fields of RFC 9110 §7.6.1 from what they forward, answer for
//! the hop they own (400 for a request without exactly one Host at the proxy, 502 when the
//! next hop is gone), bound everything a peer can drive ([`Config`]), log one line per
//! connection event with `tracing`, and drain what is in flight on SIGTERM.
//!
//! ```no_run
//! use streamline_gateway::{gateway, proxy, Config};
//! # async fn demo() -> std::io::Result<()> {
//! let link = tokio::net::TcpListener::bind("127.0.0.1:7000").await?;
//! let upstream = "127.0.0.1:8080".parse().unwrap();
//! tokio::spawn(gateway::run(link, upstream, Config::default()));
//! let clients = tokio::net::TcpListener::bind("127.0.0.1:3128").await?;
//! proxy::run(clients, "127.0.0.1:7000".parse().unwrap(), Config::default()).await
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod counted;
pub mod gateway;
mod hop;
pub mod proxy;
mod shutdown;
pub mod stats;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

pub use shutdown::{Shutdown, Trigger};
pub use stats::Stats;
use streamline::Limits;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What bounds a service, and what it reports. One type for both services: the fields a
/// service does not use are ignored (see each field). A count of 0 counts as 1, and one
/// beyond what tokio's semaphores hold (about 2.3 × 10^18) as that many: no limit is reached
/// that way, and none makes a service panic.
#[derive(Debug, Clone)]
pub struct Config {
    /// Limits of the codec on every connection (line length, header count, state bytes,
    /// `max_body`: the largest body either service holds).
    pub limits: Limits,
    /// Connections served at once: clients at the proxy, links at the gateway. Past it the
    /// service stops accepting until one closes (the kernel's backlog holds the rest).
    pub max_connections: usize,
    /// Requests in flight on one link (proxy: waiting for their response on a link;
    /// gateway: read from a link and not answered yet). Past it a client's requests wait
    /// (backpressure); nothing is queued without bound.
    pub max_in_flight: usize,
    /// Requests one client may have pipelined ahead of its responses (proxy).
    pub max_pipeline: usize,
    /// Links the proxy keeps to the gateway (`--links N`; each new client takes the next one
    /// in turn and keeps to it). At most [`MAX_LINKS`].
    pub links: usize,
    /// How long a client may take to send a whole head once its first byte came (proxy),
    /// and a plain client at the gateway: past it, a 408 and the connection closes.
    pub header_timeout: Duration,
    /// How long a client connection may stay idle between requests (proxy, plain clients of
    /// the gateway); also how long any peer, a client or a link's other end, may take none of
    /// the bytes written to it before its connection is closed (and what was queued for it
    /// freed).
    pub idle_timeout: Duration,
    /// Offer the upgrade on the link (SPEC.md §14.2) instead of speaking compact from the
    /// first byte (proxy; the first request carries the offer).
    pub upgrade: bool,
    /// Backoff between attempts to reopen a lost link: from the first value, doubling up to
    /// the second (proxy).
    pub backoff: (Duration, Duration),
    /// How long SIGTERM waits for what is in flight before the service stops anyway.
    pub drain_timeout: Duration,
    /// Log a line of figures this often (`--stats SECS`; at least every millisecond, at most
    /// every day); `None`: never.
    pub stats_every: Option<Duration>,
    /// Pack the lines this service writes on a link, and write common ones as static lines
    /// (SPEC.md §4.11, §4.12): the proxy's requests, the gateway's responses. A decoder always
    /// reads packed and static lines, so each end decides for what it writes.
    pub pack: bool,
    /// Bytes of whole messages the service holds at once in each direction, over all its
    /// connections: requests read and not yet passed on (proxy: until written to a link;
    /// gateway: until answered, as one may be sent again), and responses read and not yet
    /// passed on (until written to their client or link). A message counts its head and body,
    /// at least 1 KiB. Past it, the service reads no further message in that direction until
    /// others are passed on (backpressure; when the response budget stays spent, 1 s at the
    /// proxy and 5 s at the gateway, the plain client holding the most of it is closed if it
    /// is stuck writing, one each interval); a response bigger than the whole budget waits
    /// until it has the budget to itself. At the proxy a request is charged as its bytes
    /// come and, once begun, never waits: one that finds the budget spent gets 503 (requests
    /// half read, each waiting for the room the others hold, could wait for ever), so a
    /// budget below `limits.max_body` refuses the largest requests (the command refuses such
    /// a budget).
    pub max_buffered: u64,
}

impl Default for Config {
    /// 1,024 connections, 1,024 requests in flight per link, 64 pipelined per client, one
    /// link, 10 s for a head, 60 s idle, prior knowledge, backoff 50 ms to 5 s, 30 s to
    /// drain, no stats line, no packed lines, 256 MiB of messages held each way; the codec's
    /// default limits.
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            max_connections: 1024,
            max_in_flight: 1024,
            max_pipeline: 64,
            links: 1,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            upgrade: false,
            backoff: (Duration::from_millis(50), Duration::from_secs(5)),
            drain_timeout: Duration::from_secs(30),
            stats_every: None,
            pack: false,
            max_buffered: 256 * 1024 * 1024,
        }
    }
}

/// A count limit as a semaphore's permits or a channel's bound: at least 1, and at most what
/// tokio's semaphores take (`Semaphore::MAX_PERMITS`, about 2.3 × 10^18), a bound no service
/// reaches, so a larger value means the same and a `usize::MAX` given for "no limit" does not
/// panic.
pub(crate) fn bound(limit: usize) -> usize {
    limit.clamp(1, Semaphore::MAX_PERMITS)
}

/// Most links a proxy keeps ([`Config::links`]; a larger number counts as this).
pub const MAX_LINKS: usize = 64;

/// The instant `wait` from now, or one so far ahead it never comes (for a wait too long to
/// add to the clock, such as `Duration::MAX` for "no timeout").
pub(crate) fn after(wait: Duration) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    now.checked_add(wait).unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

/// Room a link's read buffer is given: a link carries every client's requests (or
/// responses), so it reads many messages per call.
pub(crate) const LINK_READ: usize = 64 * 1024;

/// The unit a [`Budget`] counts in: a message is charged its bytes rounded up to whole KiB,
/// and at least one (what a message costs besides its bytes: its parts, its channel slots).
const UNIT: u64 = 1024;

/// The bytes of messages a service may hold in one direction ([`Config::max_buffered`]),
/// shared by all its connections. Charging waits while the budget is spent.
pub(crate) struct Budget {
    permits: Semaphore,
    /// Units the budget has: a message charged more is charged this much.
    total: u32,
    stats: Arc<Stats>,
}

/// What one message holds of a [`Budget`]: given back when dropped.
#[derive(Default)]
pub(crate) struct Charge {
    budget: Option<Arc<Budget>>,
    units: u32,
    /// The connection that holds it, if it counts against one (an answer on its way out).
    holder: Option<Arc<Holder>>,
}

/// What one connection holds of a budget, counted so that the connection holding the most
/// can be found and closed ([`Holders::evict_largest`]).
#[derive(Default)]
pub(crate) struct Holder {
    held: AtomicU64,
    evict: tokio::sync::Notify,
}

impl Holder {
    /// Completes if this connection is told to close while it waits here: only a connection
    /// stuck writing waits here, so one that has caught up by then is never closed for it.
    pub(crate) async fn evicted(&self) {
        self.evict.notified().await;
    }
}

/// The connections holding a budget's answers. When a budget has been spent for a while,
/// the connection holding the most of it is closed: a link carries every client's answers in
/// order, so without this a client that reads slowly, yet not so slowly that its idle timeout
/// closes it, would hold every other client's answers back for as long as it kept it up.
#[derive(Default)]
pub(crate) struct Holders {
    /// Every connection's holder, and how many there were after connections gone were last
    /// let go of (they are, once the list has doubled since: a constant time a connection).
    all: std::sync::Mutex<(Vec<std::sync::Weak<Holder>>, usize)>,
    /// When a connection was last told to close: however many wait for room, one is closed
    /// each interval at most.
    last: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Holders {
    /// A new connection's holder, listed until it is dropped.
    pub(crate) fn join(&self) -> Arc<Holder> {
        let holder = Arc::new(Holder::default());
        let mut guard = self.all.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (all, swept) = &mut *guard;
        if all.len() >= 2 * (*swept).max(32) {
            all.retain(|h| h.strong_count() > 0);
            *swept = all.len();
        }
        all.push(Arc::downgrade(&holder));
        holder
    }

    /// Tells the connection holding the most to close, unless one was told less than
    /// `every` ago; `false` if none was told.
    pub(crate) fn evict_largest(&self, every: Duration) -> bool {
        let now = tokio::time::Instant::now();
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|at| now.saturating_duration_since(at) < every) {
            return false;
        }
        let guard = self.all.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let largest = guard.0.iter().filter_map(std::sync::Weak::upgrade).max_by_key(|h| h.held.load(Relaxed));
        match largest {
            Some(holder) if holder.held.load(Relaxed) > 0 => {
                // Wakes it only if it is stuck writing (no permit is stored for later).
                holder.evict.notify_waiters();
                *last = Some(now);
                true
            }
            _ => false,
        }
    }
}

impl Budget {
    /// A budget of `bytes` (at least one unit; at most 4 TiB, or what tokio's semaphores
    /// hold if less: 512 GiB on a 32-bit target), counted into `stats`.
    pub(crate) fn new(bytes: u64, stats: Arc<Stats>) -> Arc<Budget> {
        let most = u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX);
        let total = u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX).clamp(1, most);
        Arc::new(Budget { permits: Semaphore::new(total as usize), total, stats })
    }

    /// Units a message of `bytes` is charged.
    fn units(&self, bytes: u64) -> u32 {
        u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX).clamp(1, self.total)
    }

    /// Charges a message of `bytes`, waiting until the budget has room for it.
    pub(crate) async fn charge(self: &Arc<Self>, bytes: u64) -> Charge {
        // With room, as nearly always, without the waiting future's set-up (at the proxy,
        // about 260 instructions a request fewer: callgrind, the lab's `cgproxy.sh`).
        if let Some(charge) = self.try_charge(bytes) {
            return charge;
        }
        let units = self.units(bytes);
        match self.permits.acquire_many(units).await {
            Ok(permit) => {
                permit.forget();
                self.took(units)
            }
            // Never closed: a budget that could not be had charges nothing.
            Err(_) => Charge::default(),
        }
    }

    /// Charges a message of `bytes` if the budget has room for it now.
    pub(crate) fn try_charge(self: &Arc<Self>, bytes: u64) -> Option<Charge> {
        let units = self.units(bytes);
        let permit = self.permits.try_acquire_many(units).ok()?;
        permit.forget();
        Some(self.took(units))
    }

    fn took(self: &Arc<Self>, units: u32) -> Charge {
        let held = u64::from(units) * UNIT;
        let now = self.stats.held.fetch_add(held, Relaxed) + held;
        self.stats.held_peak.fetch_max(now, Relaxed);
        Charge { budget: Some(self.clone()), units, holder: None }
    }
}

impl Charge {
    /// Bytes this charge holds of its budget (whole units).
    pub(crate) fn bytes(&self) -> u64 {
        u64::from(self.units) * UNIT
    }

    /// Adds `other` to this charge (one message's pieces).
    pub(crate) fn absorb(&mut self, mut other: Charge) {
        debug_assert!(self.holder.is_none() && other.holder.is_none(), "only a request's pieces are absorbed");
        if self.budget.is_none() {
            self.budget = other.budget.take();
        } else {
            other.budget = None;
        }
        self.units += std::mem::take(&mut other.units);
    }
}

impl Charge {
    /// This charge, counted against `holder` until it is dropped.
    pub(crate) fn held_by(mut self, holder: &Arc<Holder>) -> Charge {
        holder.held.fetch_add(self.bytes(), Relaxed);
        self.holder = Some(holder.clone());
        self
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        if let Some(budget) = &self.budget {
            budget.permits.add_permits(self.units as usize);
            budget.stats.held.fetch_sub(u64::from(self.units) * UNIT, Relaxed);
        }
        if let Some(holder) = &self.holder {
            holder.held.fetch_sub(self.bytes(), Relaxed);
        }
    }
}

/// How long the proxy's link waits for room in the response budget before the client holding
/// the most of it is closed (and again after each such close).
pub(crate) const EVICT_AFTER: Duration = Duration::from_secs(1);

impl Budget {
    /// Charges an answer of `bytes` to `holder`, waiting until the budget has room for it;
    /// each `after` it waits, the connection holding the most of it is closed.
    pub(crate) async fn charge_evicting(
        self: &Arc<Self>,
        bytes: u64,
        holder: &Arc<Holder>,
        holders: &Holders,
        after: Duration,
    ) -> Charge {
        if let Some(charge) = self.try_charge(bytes) {
            return charge.held_by(holder);
        }
        // One wait, kept in its place in the queue, however many intervals pass.
        let wait = self.charge(bytes);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                biased;
                charge = &mut wait => return charge.held_by(holder),
                () = tokio::time::sleep(after) => {
                    if holders.evict_largest(after) {
                        tracing::info!("response budget spent for {after:?}: closing the connection holding the most");
                    }
                }
            }
        }
    }
}

/// What a message is charged: its head as plain text (near enough: start line and header
/// lines) and its body.
pub(crate) fn message_bytes(head: &streamline::Head, body: usize) -> u64 {
    (head.method().len() + head.target().len() + head.headers().as_block().len() + 16 + body) as u64
}

/// A response on its way to its client or link, with what it holds of the budget.
pub(crate) struct Answer {
    pub(crate) response: streamline::Response,
    pub(crate) charge: Charge,
}

impl Answer {
    /// An answer the service made itself (a 502 and the like): charged nothing.
    pub(crate) fn made(response: streamline::Response) -> Answer {
        Answer { response, charge: Charge::default() }
    }
}

/// A service's two budgets ([`Config::max_buffered`] each), and the connections holding
/// its answers.
#[derive(Clone)]
pub(crate) struct Budgets {
    pub(crate) requests: Arc<Budget>,
    pub(crate) responses: Arc<Budget>,
    pub(crate) holders: Arc<Holders>,
}

impl Budgets {
    pub(crate) fn new(config: &Config, stats: &Arc<Stats>) -> Budgets {
        Budgets {
            requests: Budget::new(config.max_buffered, stats.clone()),
            responses: Budget::new(config.max_buffered, stats.clone()),
            holders: Arc::new(Holders::default()),
        }
    }
}

/// A task aborted when this is dropped.
pub(crate) struct AbortOnDrop(pub(crate) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Accepts connections (at most `max_connections` open: past it, none is accepted until one
/// closes) and serves each in a task of its own, until the shutdown flag is raised; then
/// waits for the connections to finish, up to the drain timeout.
pub(crate) async fn accept_loop<F, Fut>(
    listener: TcpListener,
    config: &Config,
    mut shutdown: Shutdown,
    stats: Arc<Stats>,
    what: &'static str,
    serve: F,
) -> std::io::Result<()>
where
    F: Fn(TcpStream, SocketAddr, Arc<Stats>, Shutdown) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(bound(config.max_connections)));
    let mut open = JoinSet::new();
    loop {
        let permit = tokio::select! {
            _ = shutdown.wait() => break,
            permit = slots.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
        };
        let (socket, peer) = tokio::select! {
            _ = shutdown.wait() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while open.try_join_next().is_some() {}
        let connection = serve(socket, peer, stats.clone(), shutdown.clone());
        let stats = stats.clone();
        open.spawn(async move {
            let _permit = permit;
            stats.connections.fetch_add(1, Relaxed);
            connection.await;
            stats.connections.fetch_sub(1, Relaxed);
        });
    }
    drop(listener);
    tracing::info!(open = open.len(), "stopped accepting {what}; draining");
    let drained = tokio::time::timeout(config.drain_timeout, async { while open.join_next().await.is_some() {} });
    if drained.await.is_err() {
        tracing::warn!(open = open.len(), "drain timed out; closing the {what} left");
    }
    Ok(())
}
