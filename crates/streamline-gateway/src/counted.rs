//! A connection that counts the bytes it carries into [`Stats`], gives up on a peer that
//! takes none of its bytes for too long, and, on a link, lets the other connections run
//! between its reads.

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
    /// Bytes read since the task last gave way to the others ([`Counted::giving_way`]), or
    /// `None` if it never does.
    since_yield: Option<usize>,
}

/// Bytes a link may bring in before its task gives way to the other connections' tasks for a
/// turn. Decoding a link's bytes can cost far more than reading them (an edit after a
/// register save copies the whole header block, SECURITY.md "Work per line of input"), and a
/// task whose reads keep succeeding is otherwise let run for 128 of them (tokio's budget):
/// with a peer that sends such lines, seconds in which no other connection was served.
const GIVE_WAY_AFTER: usize = 16 * 1024;

impl<S> Counted<S> {
    pub(crate) fn new(inner: S, stats: Arc<Stats>, side: Side) -> Self {
        Counted { inner, stats, side, read: 0, written: 0, stall: None, waiting: None, since_yield: None }
    }

    /// Gives way to the other tasks once every [`GIVE_WAY_AFTER`] bytes read: for a link,
    /// whose bytes may each cost much to decode. A feed's link pays one more poll of its task
    /// every 16 KiB (about 220 messages).
    pub(crate) fn giving_way(mut self) -> Self {
        self.since_yield = Some(0);
        self
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
        if let Some(since) = self.since_yield {
            if since >= GIVE_WAY_AFTER {
                // Polled again at once, behind the tasks already waiting.
                self.since_yield = Some(0);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        // A link reads at most GIVE_WAY_AFTER bytes at a time, so that what one turn decodes
        // is bounded whatever room its buffer has.
        let polled = if self.since_yield.is_some() && buf.remaining() > GIVE_WAY_AFTER {
            let mut part = ReadBuf::new(buf.initialize_unfilled_to(GIVE_WAY_AFTER));
            let polled = Pin::new(&mut self.inner).poll_read(cx, &mut part);
            let n = part.filled().len();
            buf.advance(n);
            polled.map_ok(|()| n)
        } else {
            let before = buf.filled().len();
            Pin::new(&mut self.inner).poll_read(cx, buf).map_ok(|()| buf.filled().len() - before)
        };
        if let Poll::Ready(Ok(n)) = polled {
            self.read += n as u64;
            Stats::add(self.counters().0, n as u64);
            if let Some(since) = self.since_yield.as_mut() {
                *since += n;
            }
        }
        polled.map_ok(|_| ())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::task::{Wake, Waker};

    struct Woken(AtomicBool);

    impl Wake for Woken {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Relaxed);
        }
    }

    /// Bytes one poll of `read` gives into a buffer of 64 KiB, or `None` if it gave way (and
    /// then it asked to be polled again).
    fn one_read<S: AsyncRead + Unpin>(read: &mut Counted<S>) -> Option<usize> {
        let woken = Arc::new(Woken(AtomicBool::new(false)));
        let waker = Waker::from(woken.clone());
        let mut room = vec![0u8; 64 * 1024];
        let mut buf = ReadBuf::new(&mut room);
        match Pin::new(read).poll_read(&mut Context::from_waker(&waker), &mut buf) {
            Poll::Ready(Ok(())) => Some(buf.filled().len()),
            Poll::Ready(Err(err)) => panic!("{err}"),
            Poll::Pending => {
                assert!(woken.0.load(Relaxed), "gave way without asking to be polled again");
                None
            }
        }
    }

    /// A link that always has bytes to read is read 16 KiB at a time, giving way to the other
    /// tasks between reads; any other connection reads what there is room for, and never
    /// gives way.
    #[test]
    fn a_link_gives_way_between_reads() {
        let stats = Arc::new(Stats::default());
        let mut link = Counted::new(tokio::io::repeat(b'x'), stats.clone(), Side::Link).giving_way();
        let reads: Vec<Option<usize>> = (0..5).map(|_| one_read(&mut link)).collect();
        let part = Some(GIVE_WAY_AFTER);
        assert_eq!(reads, [part, None, part, None, part]);
        assert_eq!(stats.link_in.load(Relaxed), 3 * GIVE_WAY_AFTER as u64);

        let mut plain = Counted::new(tokio::io::repeat(b'x'), stats, Side::Plain);
        let reads: Vec<Option<usize>> = (0..3).map(|_| one_read(&mut plain)).collect();
        assert_eq!(reads, [Some(64 * 1024); 3]);
    }
}
