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
//! Both remove the hop-by-hop fields of RFC 9110 §7.6.1 from what they forward, pass interim
//! (1xx) answers on ahead of the final one (eight a request at most; they travel with it, so
//! they come no earlier than it does), answer for the hop they
//! own (400 for a request without exactly one Host, HTTP/1.0 aside, or one whose value is no host, 502 when
//! the next hop is gone), bound everything a peer can drive ([`Config`]), log one line per
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

mod budget;
mod counted;
pub mod gateway;
mod hop;
pub mod proxy;
mod shutdown;
pub mod stats;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use budget::{message_bytes, Answer, Budget, Budgets, Charge, Holder, EVICT_AFTER};
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
    /// in turn and keeps to it), each opened with the first request it carries and again with
    /// the first after it is lost. At most [`MAX_LINKS`].
    pub links: usize,
    /// How long a client may take to send a whole head once its first byte came: at the
    /// proxy, past it a 408 and the connection closes; at the gateway it bounds a
    /// connection's first head (it tells link from plain client), past it the connection
    /// closes. A plain client's later heads at the gateway are bounded by `idle_timeout`.
    pub header_timeout: Duration,
    /// How long a client connection may stay idle between requests (proxy, plain clients of
    /// the gateway), or before its first byte (a connection at the gateway that has sent
    /// nothing yet, link or client; a link in use is never closed for being idle); also how long any peer, a client or a link's other end, may take none of
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
    /// How long the gateway waits for the upstream's next byte while a request is unanswered
    /// (as nginx's `proxy_read_timeout`): past it, that request gets 504 and the connection
    /// is closed (those pipelined behind it are handled as after a drop: the idempotent ones
    /// go again once, the others get 502). Interim (1xx) answers are no progress: the final
    /// answer's head must begin within it of the first of them. It bounds a connect to the
    /// upstream too (as nginx's `proxy_connect_timeout`): one neither accepted nor refused in
    /// that time gives its request 504, and the upstream counts as down as after a refusal.
    pub upstream_timeout: Duration,
    /// How long the proxy waits for anything on a link while a request on it is unanswered:
    /// past it, the link is taken as lost (its peer frozen, or the network between them
    /// gone, which TCP alone notices only after many minutes): 502 for what is in flight,
    /// and the next request opens a new link. Off (`Duration::MAX`) by default: the gateway
    /// sends each answer whole, so an answer that takes longer than this to come whole (a
    /// slow download, a long poll) counts as silence and would fail every request on the
    /// link. For links whose answers are quick (a feed's acknowledgements); keep it above
    /// the gateway's `upstream_timeout`, which answers a hung upstream's request with 504.
    pub link_timeout: Duration,
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
    /// proxy and 5 s at the gateway, the connection holding the most of it, a client or at
    /// the gateway a link, is closed if it is stuck writing, and with it every other holding
    /// at least half as much, one round each interval); a response bigger than the whole
    /// budget waits until it has the budget to itself. At the proxy a request is charged as
    /// its bytes come and, once begun, never waits: one that finds the budget spent gets 503
    /// (requests half read, each waiting for the room the others hold, could wait for ever),
    /// so a budget below `limits.max_body` refuses the largest requests (the command refuses
    /// such a budget).
    pub max_buffered: u64,
    /// The largest request head either service passes on, in plain bytes (request-line and
    /// field lines): past it, 431 (RFC 6585 §5) at the proxy, which closes that client, and
    /// at the gateway for a request from a link or a plain client, which never reaches the
    /// upstream. It bounds what a few bytes on a link can make the gateway send upstream: a
    /// link's state (up to `limits.max_state_bytes`) is re-issued whole by a four-byte `-:`
    /// line, as HTTP/2 bounds an HPACK block's expansion with `SETTINGS_MAX_HEADER_LIST_SIZE`.
    pub max_head: usize,
    /// The least rate, in bytes a second, at which a client must send a request's body
    /// (proxy), as Apache's `mod_reqtimeout` `MinRate`: a body may take `header_timeout` from
    /// its first wait, and a second more for every this many bytes that came; past it, 408
    /// and the connection closes. The idle timeout alone, which any byte restarts, let a
    /// client that sends a byte now and then hold its connection for ever. 0: no such limit.
    pub min_body_rate: u64,
}

impl Default for Config {
    /// 1,024 connections, 1,024 requests in flight per link, 64 pipelined per client, one
    /// link, 10 s for a head, 60 s idle, prior knowledge, backoff 50 ms to 5 s, 30 s to
    /// drain, no stats line, no packed lines, 256 MiB of messages held each way, heads of at
    /// most 64 KiB, bodies at 500 bytes a second at least; the codec's default limits but a
    /// link's state, [`LINK_STATE`].
    fn default() -> Self {
        Config {
            limits: Limits::default().max_state_bytes(LINK_STATE),
            max_connections: 1024,
            max_in_flight: 1024,
            max_pipeline: 64,
            links: 1,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            upgrade: false,
            backoff: (Duration::from_millis(50), Duration::from_secs(5)),
            drain_timeout: Duration::from_secs(30),
            upstream_timeout: Duration::from_secs(60),
            link_timeout: Duration::MAX,
            stats_every: None,
            pack: false,
            max_buffered: 256 * 1024 * 1024,
            max_head: 64 * 1024,
            min_body_rate: 500,
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

/// A link's state bytes by default (`limits.max_state_bytes`; the codec's own default is
/// 1 MiB): a head of the default [`Config::max_head`] and a register of it. What one short line
/// on a link can cost the service is a pass over the header block (an edit after a register
/// save copies it, SECURITY.md "Work per line of input"), so this bounds it, and with it how
/// long one peer's lines keep the service's other connections waiting.
pub const LINK_STATE: usize = 128 * 1024;

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
