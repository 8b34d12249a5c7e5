//! Stopping a service: a flag every task watches, raised by SIGTERM (or SIGINT), or by hand.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Weak};
use std::task::Poll;

use futures_util::task::AtomicWaker;

/// The flag a service watches: once raised, it stops accepting, lets what is in flight
/// finish (up to [`Config::drain_timeout`](crate::Config::drain_timeout)) and returns.
#[derive(Debug, Clone)]
pub struct Shutdown {
    flag: Arc<Flag>,
}

/// Raises the flag of the [`Shutdown`] made with it (dropping it raises nothing).
#[derive(Debug)]
pub struct Trigger {
    flag: Arc<Flag>,
}

/// The flag, and a waker for each wait on it. A wait looked at again costs a compare of
/// wakers and a load: a proxy looks at its client's wait every time the client has sent
/// all it had (a `watch` channel's wait took a lock each time, about 600 instructions a
/// request).
#[derive(Debug, Default)]
struct Flag {
    raised: AtomicBool,
    /// One per wait made; those of waits gone are swept when the list is full, so it holds
    /// at most twice as many as there ever were at once (or the few a new list makes room for).
    waiters: Mutex<Vec<Weak<AtomicWaker>>>,
}

impl Trigger {
    /// Raises the flag.
    pub fn fire(&self) {
        self.flag.raised.store(true, SeqCst);
        let waiters = std::mem::take(&mut *self.flag.waiters.lock().unwrap_or_else(|e| e.into_inner()));
        for waiter in waiters.iter().filter_map(Weak::upgrade) {
            waiter.wake();
        }
    }
}

impl Shutdown {
    /// A flag, and the trigger that raises it.
    pub fn new() -> (Trigger, Shutdown) {
        let flag = Arc::new(Flag::default());
        (Trigger { flag: flag.clone() }, Shutdown { flag })
    }

    /// A flag raised by SIGTERM or SIGINT (a task waits for them; call it inside a runtime).
    pub fn on_signals() -> Shutdown {
        let (trigger, shutdown) = Shutdown::new();
        tokio::spawn(async move {
            terminated().await;
            tracing::info!("signal received: draining");
            trigger.fire();
        });
        shutdown
    }

    /// Is the flag raised?
    pub fn is_set(&self) -> bool {
        self.flag.raised.load(SeqCst)
    }

    /// Waits until the flag is raised (forever if its trigger is dropped unraised).
    pub async fn wait(&mut self) {
        let waker = Arc::new(AtomicWaker::new());
        {
            let mut waiters = self.flag.waiters.lock().unwrap_or_else(|e| e.into_inner());
            if waiters.len() == waiters.capacity() {
                waiters.retain(|w| w.strong_count() > 0);
            }
            waiters.push(Arc::downgrade(&waker));
        }
        // Registered before the flag is read: a raise after the read wakes this waker.
        std::future::poll_fn(|cx| {
            waker.register(cx.waker());
            if self.is_set() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

#[cfg(unix)]
async fn terminated() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminated() {
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A raise wakes every wait, those made before it and after; waits made and dropped by
    /// the thousand leave a list no longer than twice the waits alive at once.
    #[tokio::test]
    async fn a_raise_wakes_every_wait_and_the_list_stays_bounded() {
        let (trigger, shutdown) = Shutdown::new();
        for _ in 0..1000 {
            let mut s = shutdown.clone();
            assert!(futures_util::FutureExt::now_or_never(s.wait()).is_none());
        }
        assert!(shutdown.flag.waiters.lock().unwrap().capacity() <= 4, "dropped waits swept");
        let waiting: Vec<_> = (0..3)
            .map(|_| {
                let mut s = shutdown.clone();
                tokio::spawn(async move { s.wait().await })
            })
            .collect();
        tokio::task::yield_now().await;
        assert!(!shutdown.is_set());
        trigger.fire();
        for w in waiting {
            tokio::time::timeout(Duration::from_secs(5), w).await.expect("woken").unwrap();
        }
        assert!(shutdown.is_set());
        let mut later = shutdown.clone();
        tokio::time::timeout(Duration::from_secs(5), later.wait()).await.expect("at once");
        drop(trigger);
        assert!(shutdown.is_set(), "stays raised");
    }

    /// A trigger dropped unraised raises nothing: a wait goes on waiting.
    #[tokio::test]
    async fn a_dropped_trigger_raises_nothing() {
        let (trigger, mut shutdown) = Shutdown::new();
        drop(trigger);
        assert!(tokio::time::timeout(Duration::from_millis(50), shutdown.wait()).await.is_err());
        assert!(!shutdown.is_set());
    }
}
