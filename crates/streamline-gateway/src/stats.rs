//! Counters both services keep, and the periodic `--stats` line.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a service has done so far. Every field only grows, but `in_flight` and the
/// connection counts, which go up and down.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests carried over the link (proxy: sent; gateway: received).
    pub requests: AtomicU64,
    /// Responses carried back (proxy: received from the link; gateway: sent on it).
    pub responses: AtomicU64,
    /// Bytes read from links (at the gateway compact links only: a connection is counted as a
    /// link until its first bytes say it is a plain client, and then as plain from its first).
    pub link_in: AtomicU64,
    /// Bytes written to links.
    pub link_out: AtomicU64,
    /// Bytes read from plain HTTP/1.1 connections (proxy: clients; gateway: the upstream and
    /// plain clients at its port).
    pub plain_in: AtomicU64,
    /// Bytes written to plain HTTP/1.1 connections (proxy: clients; gateway: the upstream and
    /// plain clients at its port).
    pub plain_out: AtomicU64,
    /// Requests sent on and not answered yet.
    pub in_flight: AtomicI64,
    /// Answers the service made itself: 400, 408, 413, 502 (and links or connections lost).
    pub errors: AtomicU64,
    /// Connections open now (clients at the proxy, links at the gateway).
    pub connections: AtomicI64,
    /// Links up now (proxy), upstream connections open now (gateway).
    pub links_up: AtomicI64,
    /// Bytes of messages held now, both ways, as [`Config::max_buffered`](crate::Config::max_buffered)
    /// counts them.
    pub held: AtomicU64,
    /// The most `held` has been.
    pub held_peak: AtomicU64,
}

impl Stats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Relaxed);
    }

    fn snapshot(&self) -> [u64; 8] {
        [
            self.requests.load(Relaxed),
            self.responses.load(Relaxed),
            self.link_in.load(Relaxed),
            self.link_out.load(Relaxed),
            self.plain_in.load(Relaxed),
            self.plain_out.load(Relaxed),
            self.errors.load(Relaxed),
            0,
        ]
    }
}

/// Logs a line of figures every `every` until the task is dropped: messages per second each
/// way, link bytes against plain bytes over the interval, what is in flight and held, errors
/// so far.
pub(crate) fn spawn_reporter(stats: Arc<Stats>, every: Duration, service: &'static str) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // (`interval` takes no zero period, and a period too long to add to the clock would
        // overflow at the second tick.)
        let every = every.clamp(Duration::from_millis(1), Duration::from_secs(86_400));
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        let mut last = stats.snapshot();
        let mut at = Instant::now();
        loop {
            tick.tick().await;
            let now = stats.snapshot();
            let secs = at.elapsed().as_secs_f64().max(1e-9);
            at = Instant::now();
            let d = |i: usize| now[i] - last[i];
            let link = d(2) + d(3);
            let plain = d(4) + d(5);
            tracing::info!(
                target: "streamline_gateway::stats",
                "{service}: {:.0} req/s, {:.0} resp/s; link {} B in, {} B out; plain {} B in, {} B out; link/plain {:.3}; \
                 link B/msg {:.1}; in flight {}; held {} KiB (peak {} KiB); connections {}; links up {}; errors {}; \
                 total {} req, {} resp, link {} B in, {} B out",
                d(0) as f64 / secs,
                d(1) as f64 / secs,
                d(2),
                d(3),
                d(4),
                d(5),
                if plain == 0 { 0.0 } else { link as f64 / plain as f64 },
                if d(0) + d(1) == 0 { 0.0 } else { link as f64 / (d(0) + d(1)) as f64 },
                stats.in_flight.load(Relaxed),
                stats.held.load(Relaxed) / 1024,
                stats.held_peak.load(Relaxed) / 1024,
                stats.connections.load(Relaxed),
                stats.links_up.load(Relaxed),
                now[6],
                now[0],
                now[1],
                now[2],
                now[3],
            );
            last = now;
        }
    })
}
