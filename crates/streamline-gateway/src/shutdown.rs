//! Stopping a service: a flag every task watches, raised by SIGTERM (or SIGINT), or by hand.

use tokio::sync::watch;

/// The flag a service watches: once raised, it stops accepting, lets what is in flight
/// finish (up to [`Config::drain_timeout`](crate::Config::drain_timeout)) and returns.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

/// Raises the flag of the [`Shutdown`] made with it (dropping it raises nothing).
#[derive(Debug)]
pub struct Trigger {
    tx: watch::Sender<bool>,
}

impl Trigger {
    /// Raises the flag.
    pub fn fire(&self) {
        let _ = self.tx.send(true);
    }
}

impl Shutdown {
    /// A flag, and the trigger that raises it.
    pub fn new() -> (Trigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (Trigger { tx }, Shutdown { rx })
    }

    /// A flag raised by SIGTERM or SIGINT (a task waits for them; call it inside a runtime).
    pub fn on_signals() -> Shutdown {
        let (trigger, shutdown) = Shutdown::new();
        tokio::spawn(async move {
            terminated().await;
            tracing::info!("signal received: draining");
            trigger.fire();
            // Keep the sender alive: a dropped trigger must not look like a raised flag.
            std::future::pending::<()>().await;
        });
        shutdown
    }

    /// Is the flag raised?
    pub fn is_set(&self) -> bool {
        *self.rx.borrow()
    }

    /// Waits until the flag is raised (forever if its trigger is dropped unraised).
    pub async fn wait(&mut self) {
        if self.rx.wait_for(|set| *set).await.is_err() {
            std::future::pending::<()>().await;
        }
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
