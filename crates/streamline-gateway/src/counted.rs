//! A connection that counts the bytes it carries into [`Stats`], and gives up on a peer that
//! takes none of its bytes for too long.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::Stats;

/// Which counters a connection adds to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side {
    Link,
    Plain,
}

/// `S`, counting what is read and written.
#[derive(Debug)]
pub(crate) struct Counted<S> {
    inner: S,
    stats: Arc<Stats>,
    side: Side,
    /// Bytes read and written so far, moved to the other counters if the side changes.
    read: u64,
    written: u64,
    /// How long a write may wait with the peer taking nothing before it fails.
    stall: Option<Duration>,
    /// Armed while a write waits; disarmed by any progress. (The services poll a write until
    /// it is done or drop the connection with it, so a timer never outlives its write.)
    waiting: Option<Pin<Box<Sleep>>>,
}

impl<S> Counted<S> {
    pub(crate) fn new(inner: S, stats: Arc<Stats>, side: Side) -> Self {
        Counted { inner, stats, side, read: 0, written: 0, stall: None, waiting: None }
    }

    /// Counts the connection on `side` from now on, and what it carried so far with it: a
    /// connection accepted before its syntax is known is counted as a link until it turns out
    /// a plain client.
    pub(crate) fn set_side(&mut self, side: Side) {
        let (old_in, old_out) = self.counters();
        old_in.fetch_sub(self.read, Relaxed);
        old_out.fetch_sub(self.written, Relaxed);
        self.side = side;
        let (new_in, new_out) = self.counters();
        Stats::add(new_in, self.read);
        Stats::add(new_out, self.written);
    }

    /// Fails a write (`TimedOut`) that waits `stall` with the peer taking none of the bytes:
    /// a peer that stops reading is let go, and what was queued for it freed, rather than held
    /// with its connection for ever.
    pub(crate) fn stalling_after(mut self, stall: Duration) -> Self {
        self.stall = Some(stall);
        self
    }

    fn counters(&self) -> (&AtomicU64, &AtomicU64) {
        match self.side {
            Side::Link => (&self.stats.link_in, &self.stats.link_out),
            Side::Plain => (&self.stats.plain_in, &self.stats.plain_out),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let n = (buf.filled().len() - before) as u64;
            self.read += n;
            Stats::add(self.counters().0, n);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        match (&polled, this.stall) {
            (Poll::Pending, Some(stall)) => {
                let timer = this.waiting.get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
                if timer.as_mut().poll(cx).is_ready() {
                    this.waiting = None;
                    let why = "the peer took no bytes for the idle timeout";
                    return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, why)));
                }
            }
            (Poll::Pending, None) => {}
            (Poll::Ready(result), _) => {
                this.waiting = None;
                if let Ok(n) = result {
                    this.written += *n as u64;
                    Stats::add(this.counters().1, *n as u64);
                }
            }
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
