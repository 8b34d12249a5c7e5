//! A connection that counts the bytes it carries into [`Stats`].

use std::io;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

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
}

impl<S> Counted<S> {
    pub(crate) fn new(inner: S, stats: Arc<Stats>, side: Side) -> Self {
        Counted { inner, stats, side }
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
            Stats::add(self.counters().0, (buf.filled().len() - before) as u64);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            Stats::add(self.counters().1, n as u64);
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
