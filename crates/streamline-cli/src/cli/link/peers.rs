//! The two ends of each peer: streamline-tokio's codecs (compact or plain) and hyper's HTTP/1.1
//! and HTTP/2, each a client that sends the quotes of [`Quotes`] and a server that
//! acknowledges them, on a current-thread runtime of their own.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use bytes::{Bytes, BytesMut};
use futures_util::{FutureExt, SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use streamline::{http1, Limits, Response};
use streamline_tokio::link::{self, Offer, Upgrades};
use streamline_tokio::Syntax;
use tokio::net::{TcpListener, TcpStream};

use super::harness::{
    self, drive, Ack, Counted, Pace, Progress, Quotes, Received, Sender, Sent, Stamps, ACK_BODY, CONTENT_TYPE, SERVER,
};
use crate::cli::args::LinkPeer;

/// How long a server waits for its client to connect, and a client for an acknowledgement
/// while requests are in flight, before the run fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// What the client's end measured.
pub struct ClientEnd {
    /// Bytes the client wrote (requests), over all its connections.
    pub written: u64,
    pub sent: u64,
    pub acked: u64,
    pub start: u64,
    /// When the last acknowledgement was read (ns since the run began).
    pub last_ack: u64,
    pub backlog: u64,
}

/// What the server's end measured.
pub struct ServerEnd {
    /// Bytes the server wrote (acknowledgements), over all its connections.
    pub written: u64,
    pub received: Received,
}

/// Runs `peer`'s client against `addr` over `connections` connections.
pub async fn client(
    peer: LinkPeer,
    addr: SocketAddr,
    pace: Pace,
    stamps: Arc<Stamps>,
    connections: usize,
) -> Result<ClientEnd> {
    harness::precise_sleeps();
    let written = Arc::new(AtomicU64::new(0));
    let progress = Rc::new(Progress::new());
    let mut quotes = Quotes::new()?;
    let connect = || open(addr, &written);
    let work = async {
        match peer {
            LinkPeer::Compact | LinkPeer::Plain => {
                streamline_client(syntax(peer), connect().await?, pace, &stamps, &progress, quotes).await
            }
            LinkPeer::Hyper1 => {
                let mut idle = Vec::new();
                let mut tasks = Vec::new();
                for _ in 0..connections {
                    let io = TokioIo::new(connect().await?);
                    let (sender, conn) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(io).await?;
                    tasks.push(tokio::task::spawn_local(conn));
                    idle.push(sender);
                }
                let template = hyper_request(&quotes, hyper::Version::HTTP_11)?;
                let idle = Rc::new(RefCell::new(idle));
                let mut sender = Hyper1 { idle: idle.clone(), template, quotes, progress: &progress, stamps: &stamps };
                let sent = drive(&mut sender, pace, &stamps, &progress).await?;
                progress.settle().await?;
                idle.borrow_mut().clear();
                for task in tasks {
                    task.await??;
                }
                Ok(sent)
            }
            LinkPeer::H2 => {
                let io = TokioIo::new(connect().await?);
                let (sender, conn) =
                    hyper::client::conn::http2::Builder::new(Local).handshake::<_, Full<Bytes>>(io).await?;
                let task = tokio::task::spawn_local(conn);
                let template = hyper_request(&quotes, hyper::Version::HTTP_2)?;
                let mut sender = H2 { sender, template, quotes: &mut quotes, progress: &progress, stamps: &stamps };
                let sent = drive(&mut sender, pace, &stamps, &progress).await?;
                progress.settle().await?;
                drop(sender);
                task.await??;
                Ok(sent)
            }
        }
    };
    let sent = tokio::select! {
        sent = work => sent?,
        stalled = progress.watchdog(PATIENCE) => return Err(stalled),
    };
    let (sent_n, acked) = (progress.sent.get(), progress.acked.get());
    if acked != sent_n {
        bail!("{acked} of {sent_n} requests acknowledged");
    }
    Ok(ClientEnd {
        written: written.load(Ordering::Relaxed),
        sent: sent_n,
        acked,
        start: sent.start,
        last_ack: progress.last_ack.get(),
        backlog: sent.backlog,
    })
}

/// Runs `peer`'s server on `listener`: accepts `connections` connections and acknowledges
/// every request on them until the client closes them.
pub async fn server(
    peer: LinkPeer,
    listener: std::net::TcpListener,
    stamps: Arc<Stamps>,
    in_flight: u64,
    connections: usize,
) -> Result<ServerEnd> {
    let listener = TcpListener::from_std(listener)?;
    let written = Arc::new(AtomicU64::new(0));
    let received = Rc::new(RefCell::new(Received::new()));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (stream, _) = tokio::time::timeout(PATIENCE, listener.accept())
            .await
            .map_err(|_| anyhow!("the client did not connect within {} s", PATIENCE.as_secs()))??;
        stream.set_nodelay(true)?;
        let io = Counted::new(stream, written.clone());
        let (stamps, received) = (stamps.clone(), received.clone());
        tasks.push(tokio::task::spawn_local(async move {
            match peer {
                LinkPeer::Compact | LinkPeer::Plain => serve_streamline(syntax(peer), io, &stamps, &received).await,
                LinkPeer::Hyper1 => {
                    let service = hyper_service(hyper::Version::HTTP_11, stamps, received);
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), service).await?;
                    Ok(())
                }
                LinkPeer::H2 => {
                    let service = hyper_service(hyper::Version::HTTP_2, stamps, received);
                    hyper::server::conn::http2::Builder::new(Local)
                        .max_concurrent_streams(in_flight.min(u64::from(u32::MAX)) as u32)
                        .serve_connection(TokioIo::new(io), service)
                        .await?;
                    Ok(())
                }
            }
        }));
    }
    for task in tasks {
        task.await?.context("the server")?;
    }
    let received = received.replace(Received::new());
    Ok(ServerEnd { written: written.load(Ordering::Relaxed), received })
}

/// A connection to `addr`, without Nagle's delay, counting what it writes into `written`.
async fn open(addr: SocketAddr, written: &Arc<AtomicU64>) -> Result<Counted<TcpStream>> {
    let stream = TcpStream::connect(addr).await.with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_nodelay(true)?;
    Ok(Counted::new(stream, written.clone()))
}

fn syntax(peer: LinkPeer) -> Syntax {
    if peer == LinkPeer::Compact {
        Syntax::Compact
    } else {
        Syntax::Plain
    }
}

/// The client of streamline-tokio: a link opened by prior knowledge (compact) or plain,
/// requests fed to its sink and flushed per batch, acknowledgements read from its stream in the
/// same task; at the end it closes its sending side and reads until the server closes.
async fn streamline_client(
    syntax: Syntax,
    io: Counted<TcpStream>,
    pace: Pace,
    stamps: &Stamps,
    progress: &Progress,
    quotes: Quotes,
) -> Result<Sent> {
    let offer = if syntax == Syntax::Compact { Offer::PriorKnowledge } else { Offer::Plain };
    let link = link::connect(io, Limits::default(), offer).await?;
    if link.codec().syntax() != syntax {
        bail!("the link speaks {:?}, not {syntax:?}", link.codec().syntax());
    }
    let (tx, mut rx) = link.split();
    let mut sender = Streamline { tx, quotes };
    let done = std::cell::Cell::new(false);
    let write = async {
        let sent = drive(&mut sender, pace, stamps, progress).await?;
        sender.tx.close().await?;
        done.set(true);
        Ok::<_, anyhow::Error>(sent)
    };
    let read = async {
        while let Some(ack) = rx.next().await {
            let ack = ack?;
            check_ack(ack.status(), || ack.body()[..] == *ACK_BODY)?;
            progress.ack(stamps);
        }
        if !done.get() {
            progress.fail(anyhow!("the server closed the connection"));
        }
        Ok::<_, anyhow::Error>(())
    };
    let (sent, ()) = tokio::try_join!(write, read)?;
    Ok(sent)
}

/// Checks an acknowledgement's status (its body is checked by `body`).
fn check_ack(status: u16, body: impl FnOnce() -> bool) -> Result<()> {
    if status != 200 || !body() {
        bail!("the server answered {status} instead of acknowledging");
    }
    Ok(())
}

struct Streamline<T> {
    tx: T,
    quotes: Quotes,
}

impl<T> Sender for Streamline<T>
where
    T: futures_util::Sink<streamline::Request, Error = streamline_tokio::Error> + Unpin,
{
    #[inline]
    async fn send(&mut self, seq: u64) -> Result<()> {
        Ok(self.tx.feed(self.quotes.request(seq)).await?)
    }

    async fn flush(&mut self) -> Result<()> {
        Ok(self.tx.flush().await?)
    }
}

/// The server of streamline-tokio: reads requests as the link decodes them, feeds an
/// acknowledgement for each, and flushes when no more request is waiting.
async fn serve_streamline(
    syntax: Syntax,
    io: Counted<TcpStream>,
    stamps: &Stamps,
    received: &RefCell<Received>,
) -> Result<()> {
    let mut link = link::accept(io, Limits::default(), Upgrades::Refuse).await?;
    if link.codec().syntax() != syntax {
        bail!("the server's link speaks {:?}, not {syntax:?}", link.codec().syntax());
    }
    let mut ack = Ack::new(streamline_ack, stamps);
    while let Some(request) = link.next().await {
        let mut request = Some(request);
        while let Some(quote) = request.take() {
            let now = received.borrow_mut().quote(stamps, quote?.body())?;
            link.feed(ack.at(stamps, now).clone()).await?;
            request = link.next().now_or_never().flatten();
        }
        link.flush().await?;
    }
    Ok(())
}

/// The nginx-like acknowledgement, as the codec holds it.
fn streamline_ack(date: &[u8]) -> Response {
    let mut plain = BytesMut::new();
    plain.extend_from_slice(format!("HTTP/1.1 200 OK\r\nServer: {SERVER}\r\nDate: ").as_bytes());
    plain.extend_from_slice(date);
    plain.extend_from_slice(
        format!("\r\nContent-Type: {CONTENT_TYPE}\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n").as_bytes(),
    );
    plain.extend_from_slice(ACK_BODY);
    http1::ResponseParser::new()
        .decode_eof(&mut plain)
        .ok()
        .flatten()
        .unwrap_or_else(|| unreachable!("the acknowledgement is a valid response"))
}

/// hyper's HTTP/1.1 client: one request in flight per connection (hyper's client does not
/// pipeline), each sent from a task of its own on whichever connection is idle.
struct Hyper1<'a> {
    idle: Rc<RefCell<Vec<hyper::client::conn::http1::SendRequest<Full<Bytes>>>>>,
    template: http::Request<Full<Bytes>>,
    quotes: Quotes,
    progress: &'a Rc<Progress>,
    stamps: &'a Arc<Stamps>,
}

impl Sender for Hyper1<'_> {
    async fn send(&mut self, seq: u64) -> Result<()> {
        let mut sender = self.idle.borrow_mut().pop().ok_or_else(|| anyhow!("no idle connection"))?;
        let request = with_body(&self.template, self.quotes.body(seq));
        let (idle, progress, stamps) = (self.idle.clone(), self.progress.clone(), self.stamps.clone());
        tokio::task::spawn_local(async move {
            let exchange = async {
                sender.ready().await?;
                check_hyper_ack(sender.send_request(request).await?).await
            };
            match exchange.await {
                Ok(()) => {
                    idle.borrow_mut().push(sender);
                    progress.ack(&stamps);
                }
                Err(err) => progress.fail(err),
            }
        });
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

/// hyper's HTTP/2 client: one connection, a stream per request, each from a task of its own.
struct H2<'a> {
    sender: hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    template: http::Request<Full<Bytes>>,
    quotes: &'a mut Quotes,
    progress: &'a Rc<Progress>,
    stamps: &'a Arc<Stamps>,
}

impl Sender for H2<'_> {
    async fn send(&mut self, seq: u64) -> Result<()> {
        let mut sender = self.sender.clone();
        let request = with_body(&self.template, self.quotes.body(seq));
        let (progress, stamps) = (self.progress.clone(), self.stamps.clone());
        tokio::task::spawn_local(async move {
            match async { check_hyper_ack(sender.send_request(request).await?).await }.await {
                Ok(()) => progress.ack(&stamps),
                Err(err) => progress.fail(err),
            }
        });
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A request like `template` with `body`.
fn with_body(template: &http::Request<Full<Bytes>>, body: Bytes) -> http::Request<Full<Bytes>> {
    let mut request = template.clone();
    *request.body_mut() = Full::new(body);
    request
}

/// The quotes' request for hyper: the same method, target and header lines as the codec
/// sends; in HTTP/2 the Host is the URI's authority (`:authority`).
fn hyper_request(quotes: &Quotes, version: hyper::Version) -> Result<http::Request<Full<Bytes>>> {
    let head = quotes.head();
    let target = String::from_utf8_lossy(head.target()).into_owned();
    let mut builder = http::Request::builder().method(&head.method()[..]).version(version);
    let mut host = None;
    for line in head.headers() {
        let text = std::str::from_utf8(line)?;
        let (name, value) = text.split_once(':').ok_or_else(|| anyhow!("header line without a colon"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("host") {
            host = Some(value.to_string());
            if version == hyper::Version::HTTP_2 {
                continue;
            }
        }
        builder = builder.header(name, value);
    }
    let uri = match (version, host) {
        (hyper::Version::HTTP_2, Some(host)) => format!("http://{host}{target}"),
        _ => target,
    };
    let length = match head.framing() {
        streamline::Framing::Length(n) => n,
        _ => bail!("a quote has a Content-Length"),
    };
    Ok(builder.uri(uri).header(http::header::CONTENT_LENGTH, length).body(Full::new(Bytes::new()))?)
}

/// Reads an acknowledgement's body whole and checks it.
async fn check_hyper_ack(response: http::Response<Incoming>) -> Result<()> {
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    check_ack(status, || body == ACK_BODY)
}

/// The nginx-like acknowledgement for hyper; HTTP/2 has no `Connection` field.
fn hyper_ack(version: hyper::Version, date: &[u8]) -> http::Response<Full<Bytes>> {
    let mut builder = http::Response::builder()
        .status(200)
        .version(version)
        .header(http::header::SERVER, SERVER)
        .header(http::header::DATE, date)
        .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
        .header(http::header::CONTENT_LENGTH, ACK_BODY.len());
    if version == hyper::Version::HTTP_11 {
        builder = builder.header(http::header::CONNECTION, "keep-alive");
    }
    builder
        .body(Full::new(Bytes::from_static(ACK_BODY)))
        .unwrap_or_else(|_| unreachable!("the acknowledgement's parts are valid"))
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// hyper's service: reads the request's body whole, records it, answers the acknowledgement
/// (made once a second and cloned).
fn hyper_service(
    version: hyper::Version,
    stamps: Arc<Stamps>,
    received: Rc<RefCell<Received>>,
) -> impl hyper::service::Service<
    http::Request<Incoming>,
    Response = http::Response<Full<Bytes>>,
    Error = BoxError,
    Future = impl std::future::Future<Output = Result<http::Response<Full<Bytes>>, BoxError>>,
> {
    let make: fn(&[u8]) -> http::Response<Full<Bytes>> = match version {
        hyper::Version::HTTP_2 => |date| hyper_ack(hyper::Version::HTTP_2, date),
        _ => |date| hyper_ack(hyper::Version::HTTP_11, date),
    };
    let ack = Rc::new(RefCell::new(Ack::new(make, &stamps)));
    service_fn(move |request: http::Request<Incoming>| {
        let (stamps, received, ack) = (stamps.clone(), received.clone(), ack.clone());
        async move {
            let body = request.into_body().collect().await?.to_bytes();
            let now = received.borrow_mut().quote(&stamps, &body)?;
            let ack = ack.borrow_mut().at(&stamps, now).clone();
            Ok::<_, BoxError>(ack)
        }
    })
}

/// hyper's executor on the current thread's `LocalSet` (its tasks hold `Rc`s).
#[derive(Debug, Clone, Copy)]
struct Local;

impl<F> hyper::rt::Executor<F> for Local
where
    F: std::future::Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, future: F) {
        tokio::task::spawn_local(future);
    }
}
