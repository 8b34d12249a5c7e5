//! What a service holds, bounded ([`Config::max_buffered`](crate::Config::max_buffered)):
//! two budgets of bytes, one for requests and one for responses, shared by all its
//! connections. Every message held is charged to one from when it is read until it is passed
//! on, and with the budget spent that way reads no further; what each connection holds of the
//! response budget is counted, so that the one holding the most can be closed when the budget
//! stays spent (SECURITY.md, "The proxy and the gateway").

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::{Config, Stats};

/// How long the proxy's link waits for room in the response budget before the client holding
/// the most of it is closed (and again after each such close).
pub(crate) const EVICT_AFTER: Duration = Duration::from_secs(1);

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
    /// When connections were last told to close: however many wait for room, one round of
    /// them is closed each interval at most.
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

    /// Tells the connections holding the most to close, unless some were told less than
    /// `every` ago: the one holding the most, and with it every other holding at least half
    /// as much (many clients that read nothing, one told each interval, held every other
    /// client's answers back for an interval each: a third review's forty such clients, forty
    /// seconds). `false` if none was told.
    pub(crate) fn evict_largest(&self, every: Duration) -> bool {
        let now = tokio::time::Instant::now();
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|at| now.saturating_duration_since(at) < every) {
            return false;
        }
        let guard = self.all.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let live = || guard.0.iter().filter_map(std::sync::Weak::upgrade);
        let most = live().map(|h| h.held.load(Relaxed)).max().unwrap_or(0);
        if most == 0 {
            return false;
        }
        for holder in live().filter(|h| h.held.load(Relaxed).saturating_mul(2) >= most) {
            // Wakes it only if it is stuck writing (no permit is stored for later).
            holder.evict.notify_waiters();
        }
        *last = Some(now);
        true
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
        let charge = Charge { budget: Some(self.clone()), units, holder: None };
        let now = self.stats.held.fetch_add(charge.bytes(), Relaxed) + charge.bytes();
        self.stats.held_peak.fetch_max(now, Relaxed);
        charge
    }

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
            budget.stats.held.fetch_sub(self.bytes(), Relaxed);
        }
        if let Some(holder) = &self.holder {
            holder.held.fetch_sub(self.bytes(), Relaxed);
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
    /// The interim (1xx) responses that came before it, to go ahead of it (at most
    /// [`hop::MAX_INTERIM`](crate::hop::MAX_INTERIM)).
    pub(crate) interim: Vec<streamline::Response>,
    pub(crate) charge: Charge,
}

impl Answer {
    /// An answer the service made itself (a 502 and the like): charged nothing.
    pub(crate) fn made(response: streamline::Response) -> Answer {
        Answer { response, interim: Vec::new(), charge: Charge::default() }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The one holding the most is told to close, and every other holding at least half as
    /// much with it; those holding less, or nothing, are not; and nobody again before the
    /// interval has passed.
    #[tokio::test]
    async fn the_greediest_holders_are_told_together() {
        let holders = Holders::default();
        let held: Vec<Arc<Holder>> = [8u64, 8, 4, 3, 0]
            .iter()
            .map(|&mib| {
                let holder = holders.join();
                holder.held.store(mib << 20, Relaxed);
                holder
            })
            .collect();
        let mut told = tokio::task::JoinSet::new();
        for (i, holder) in held.iter().enumerate() {
            let holder = holder.clone();
            told.spawn(async move {
                holder.evicted().await;
                i
            });
        }
        // Each waits (is stuck writing) before the eviction.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(holders.evict_largest(Duration::from_secs(60)));
        assert!(!holders.evict_largest(Duration::from_secs(60)), "once an interval");
        let mut closed = Vec::new();
        while let Ok(Some(i)) = tokio::time::timeout(Duration::from_millis(200), told.join_next()).await {
            closed.push(i.unwrap());
        }
        closed.sort_unstable();
        assert_eq!(closed, [0, 1, 2]);
    }
}
