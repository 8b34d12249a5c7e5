//! The real parts the tests run: a hyper server upstream, the pair on ephemeral ports, and
//! a raw HTTP/1.1 client that pipelines (its responses read by streamline's response parser,
//! told each request's method).
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use streamline::{http1, Response};
pub use streamline_gateway::Config;
use streamline_gateway::{gateway, proxy, Shutdown, Stats, Trigger};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The upstream's routes:
/// - `GET|HEAD /file`: `hello, world\n` with an ETag, 304 for `If-None-Match` of it;
/// - `POST /upload`: echoes the body (de-chunked by hyper) after `got N bytes: `;
/// - `GET /id/...`: the path as the body (each request's unique id, echoed);
/// - `GET /big/N`: N bytes of body;
/// - `GET /host`: the request's Host values, each on a line;
/// - `GET /slow`: answered after 300 ms; `GET /hold`: never answered;
/// - anything else: 404.
async fn handle(req: hyper::Request<hyper::body::Incoming>) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let etag = "\"v1\"";
    let matches = req.headers().get("if-none-match").is_some_and(|v| v == etag);
    let hosts: Vec<u8> = req.headers().get_all("host").iter().flat_map(|v| [v.as_bytes(), b"\n"].concat()).collect();
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let mut res = hyper::Response::builder().header("X-Upstream", "hyper");
    let content = match (method.as_str(), path.as_str()) {
        ("GET" | "HEAD", "/file") if matches => {
            res = res.status(304).header("ETag", etag);
            Bytes::new()
        }
        ("GET" | "HEAD", "/file") => {
            res = res.header("ETag", etag).header("Content-Type", "text/plain");
            Bytes::from_static(b"hello, world\n")
        }
        ("POST", "/upload") => {
            let mut out = format!("got {} bytes: ", body.len()).into_bytes();
            out.extend_from_slice(&body);
            Bytes::from(out)
        }
        ("GET", "/slow") => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Bytes::from_static(b"slow")
        }
        ("GET", "/hold") => std::future::pending().await,
        ("GET", "/host") => Bytes::from(hosts),
        ("GET", p) if p.starts_with("/id/") => Bytes::copy_from_slice(p.as_bytes()),
        ("GET", p) if p.starts_with("/big/") => Bytes::from(vec![b'b'; p[5..].parse().unwrap_or(0)]),
        _ => {
            res = res.status(404);
            Bytes::from_static(b"not found\n")
        }
    };
    Ok(res.body(Full::new(content)).unwrap())
}

/// A hyper server on 127.0.0.1; dropping it (or [`Upstream::kill`]) closes every
/// connection it has open.
pub struct Upstream {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Upstream {
    /// On an ephemeral port, or on `addr` again (a restart).
    pub async fn start(addr: Option<SocketAddr>) -> Upstream {
        let listener = TcpListener::bind(addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap())).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((socket, _)) = listener.accept().await else { continue };
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service_fn(handle))
                        .await;
                });
            }
        });
        Upstream { addr, task }
    }

    pub fn kill(&self) {
        self.task.abort();
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A service running in a task: its address, its counters, its trigger.
pub struct Service {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    pub trigger: Trigger,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl Service {
    /// Waits for the service to return (after its trigger fired).
    pub async fn task_result(mut self) -> std::io::Result<()> {
        (&mut self.task).await.unwrap()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start_gateway(upstream: SocketAddr, at: Option<SocketAddr>, config: Config) -> Service {
    let listener = TcpListener::bind(at.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap())).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let (trigger, shutdown) = Shutdown::new();
    let task = tokio::spawn(gateway::run_with(listener, upstream, config, shutdown, stats.clone()));
    Service { addr, stats, trigger, task }
}

pub async fn start_proxy(link: SocketAddr, config: Config) -> Service {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let (trigger, shutdown) = Shutdown::new();
    let task = tokio::spawn(proxy::run_with(listener, link, config, shutdown, stats.clone()));
    Service { addr, stats, trigger, task }
}

/// Upstream, gateway and proxy, started in that order.
pub struct Pair {
    pub upstream: Upstream,
    pub gateway: Service,
    pub proxy: Service,
}

pub async fn pair(config: Config) -> Pair {
    let upstream = Upstream::start(None).await;
    let gateway = start_gateway(upstream.addr, None, config.clone()).await;
    let proxy = start_proxy(gateway.addr, config).await;
    Pair { upstream, gateway, proxy }
}

/// A test-sized configuration: short backoff, so a reconnection is quick.
pub fn config() -> Config {
    Config { backoff: (Duration::from_millis(10), Duration::from_millis(200)), ..Config::default() }
}

/// A raw client connection: writes requests as given, reads responses in order.
pub struct Client {
    socket: TcpStream,
    parser: http1::ResponseParser,
    buf: BytesMut,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        Client {
            socket: TcpStream::connect(addr).await.unwrap(),
            parser: http1::ResponseParser::new(),
            buf: BytesMut::new(),
        }
    }

    /// Writes one request (plain bytes), telling the response reader its method.
    pub async fn send(&mut self, request: &str) {
        self.expect(request);
        self.socket.write_all(request.as_bytes()).await.unwrap();
    }

    /// Tells the reader the method of a request written some other way.
    pub fn expect(&mut self, request: &str) {
        self.parser.expect(request.split(' ').next().unwrap().as_bytes());
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        self.socket.write_all(bytes).await.unwrap();
    }

    /// Writes what the peer still takes; `false` once it has closed.
    pub async fn try_write(&mut self, bytes: &[u8]) -> bool {
        self.socket.write_all(bytes).await.is_ok()
    }

    /// The next response; `None` if the connection closes first.
    pub async fn response(&mut self) -> Option<Response> {
        loop {
            if let Some(response) = self.parser.decode(&mut self.buf).unwrap() {
                return Some(response);
            }
            let n = tokio::time::timeout(Duration::from_secs(30), self.socket.read_buf(&mut self.buf))
                .await
                .expect("no answer in 30 s: a hang")
                .unwrap_or(0);
            if n == 0 {
                return self.parser.decode_eof(&mut self.buf).unwrap();
            }
        }
    }

    /// Is the connection closed by the other end (after what was read)?
    pub async fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(tokio::time::timeout(Duration::from_secs(30), self.socket.read(&mut byte)).await, Ok(Ok(0) | Err(_)))
    }
}

/// One request on a fresh connection, its response.
pub async fn once(addr: SocketAddr, request: &str) -> Option<Response> {
    let mut client = Client::connect(addr).await;
    client.send(request).await;
    client.response().await
}

/// A response's header lines, but the ones a hop or the clock owns.
pub fn end_to_end_fields(response: &Response) -> Vec<String> {
    response
        .head()
        .headers()
        .iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .filter(|l| {
            let name = l.split(':').next().unwrap().to_ascii_lowercase();
            !matches!(name.as_str(), "date" | "connection" | "keep-alive")
        })
        .collect()
}

/// Polls `cond` until it holds (every 10 ms, at most 30 s: a bound against hangs, not a
/// timing assertion).
pub async fn until(mut cond: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition never held");
}
