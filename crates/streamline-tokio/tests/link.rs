//! Over loopback TCP: every codec pair carries 100,000 messages written in random pieces and
//! reads back every one of them; and the negotiation of SPEC.md §14 (accept, refuse,
//! fallback, prior knowledge, bytes pipelined after the offer, a broken handshake).

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use streamline::{
    http1, upgrade, Decoder, Encoder, Grammar, Limits, Message, Reader, Request, Response, ResponseDecoder,
};
use streamline_tokio::codec::{ClientCodec, CompactWriter, Messages, PlainWriter};
use streamline_tokio::link::{self, Link, Offer, Upgrades};
use streamline_tokio::{Error, Syntax};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::codec::FramedRead;

/// Messages in each codec pair's run.
const MESSAGES: usize = 100_000;

/// A small deterministic generator of write sizes.
struct Sizes(u64);

impl Sizes {
    fn next(&mut self, max: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        1 + (self.0 % max as u64) as usize
    }
}

/// Every message of a plain stream, read whole.
fn read_all<G: Grammar>(mut reader: Reader<G>, bytes: &[u8]) -> Vec<<G::Direction as streamline::Direction>::Message> {
    let mut src = BytesMut::from(bytes);
    let mut out = Vec::new();
    while let Some(m) = reader.decode_eof(&mut src).expect("valid input") {
        out.push(m);
    }
    out
}

/// Requests: the OPRA feed and a browsing session, mixed so the state changes.
fn requests() -> Vec<Request> {
    let mut all = read_all(http1::Parser::new(), &streamline_traffic::opra(MESSAGES as u64 - 2_000, 7, 66));
    let browse = read_all(http1::Parser::new(), &streamline_traffic::browse(2_000, 7));
    for (i, r) in browse.into_iter().enumerate() {
        all.insert(i * 49 % all.len(), r);
    }
    all
}

/// Responses: nginx's recorded acknowledgements and browsing responses, repeated.
fn responses() -> Vec<Response> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/responses/");
    let acks = read_all(http1::ResponseParser::new(), &std::fs::read(format!("{dir}opra-acks.http")).unwrap());
    let methods = read_all(http1::Parser::new(), &std::fs::read(format!("{dir}browse.requests.http")).unwrap());
    let mut parser = http1::ResponseParser::new();
    for m in &methods {
        parser.expect(m.head().method());
    }
    let browse = read_all(parser, &std::fs::read(format!("{dir}browse.http")).unwrap());
    acks.iter().chain(&browse).cycle().take(MESSAGES).cloned().collect()
}

/// Writes `bytes` to a loopback connection in random pieces and reads the messages back with
/// `decoder`; checks every one against `expected`.
async fn carry<G, C>(bytes: Vec<u8>, reader: Reader<G>, expected: &[C], seed: u64)
where
    G: Grammar + Send + 'static,
    G::Direction: streamline::Direction<Message = C>,
    C: Message + PartialEq + std::fmt::Debug + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = tokio::spawn(async move {
        let mut socket = TcpStream::connect(addr).await.unwrap();
        let mut sizes = Sizes(seed);
        let mut at = 0;
        while at < bytes.len() {
            let n = sizes.next(3000).min(bytes.len() - at);
            socket.write_all(&bytes[at..at + n]).await.unwrap();
            at += n;
        }
        socket.shutdown().await.unwrap();
    });
    let (socket, _) = listener.accept().await.unwrap();
    let mut frames = FramedRead::new(socket, Messages::new(reader));
    let mut n = 0;
    while let Some(message) = frames.next().await {
        let message = message.unwrap();
        assert_eq!(message.head(), expected[n].head(), "message {n}");
        assert_eq!(message.body(), expected[n].body(), "message {n}");
        n += 1;
    }
    assert_eq!(n, expected.len());
    writer.await.unwrap();
}

/// Encodes messages with a codec's encoder into one buffer, as a sink would.
fn encode_all<M: Message + Clone, E: tokio_util::codec::Encoder<M, Error = Error>>(
    mut codec: E,
    messages: &[M],
) -> Vec<u8> {
    let mut dst = BytesMut::new();
    for m in messages {
        codec.encode(m.clone(), &mut dst).unwrap();
    }
    dst.to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_requests() {
    let messages = requests();
    let bytes = encode_all(CompactWriter::new(Encoder::new()), &messages);
    carry(bytes, Decoder::new(), &messages, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_requests() {
    let messages = requests();
    let bytes = encode_all(PlainWriter::new(), &messages);
    carry(bytes, http1::Parser::new(), &messages, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_responses() {
    let messages = responses();
    let bytes = encode_all(CompactWriter::new(Encoder::new().responses()), &messages);
    carry(bytes, ResponseDecoder::new(), &messages, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_responses() {
    let messages = responses();
    let bytes = encode_all(PlainWriter::new(), &messages);
    let mut parser = http1::ResponseParser::new();
    // The browsing responses answer HEAD requests too: the parser is told every method.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/responses/");
    let methods = read_all(http1::Parser::new(), &std::fs::read(format!("{dir}browse.requests.http")).unwrap());
    let mut cycle = std::iter::repeat_n(Bytes::from_static(b"POST"), 1000)
        .chain(methods.iter().map(|m| m.head().method().clone()))
        .cycle();
    for _ in 0..messages.len() {
        parser.expect(&cycle.next().unwrap());
    }
    carry(bytes, parser, &messages, 4).await;
}

// ---- negotiation -------------------------------------------------------------------------

fn get(target: &'static str) -> Request {
    read_all(http1::Parser::new(), format!("GET {target} HTTP/1.1\r\nHost: feed\r\n\r\n").as_bytes()).remove(0)
}

fn ack(n: usize) -> Response {
    let plain = format!("HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: {}\r\n\r\n{n}", n.to_string().len());
    read_all(http1::ResponseParser::new(), plain.as_bytes()).remove(0)
}

/// A server answering each request with `ack(i)`; returns the syntax it spoke.
async fn serve(listener: TcpListener, upgrades: Upgrades) -> Result<(Syntax, usize), Error> {
    let (socket, _) = listener.accept().await?;
    let mut link = link::accept(socket, Limits::default(), upgrades).await?;
    let syntax = link.codec().syntax();
    let mut n = 0;
    while let Some(request) = link.next().await {
        request?;
        link.send(ack(n)).await?;
        n += 1;
    }
    Ok((syntax, n))
}

async fn listener() -> (TcpListener, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// A client link by prior knowledge to a [`serve`] server of its own (its task returned too).
async fn prior_knowledge_link() -> (Link<TcpStream, ClientCodec>, JoinHandle<Result<(Syntax, usize), Error>>) {
    let (l, addr) = listener().await;
    let server = tokio::spawn(serve(l, Upgrades::Accept));
    let socket = TcpStream::connect(addr).await.unwrap();
    (link::connect(socket, Limits::default(), Offer::PriorKnowledge).await.unwrap(), server)
}

/// A client that sends `count` requests after opening with `offer`; returns the syntax and
/// the bodies of the responses.
async fn client(addr: std::net::SocketAddr, offer: Offer, count: usize) -> Result<(Syntax, Vec<Bytes>), Error> {
    let socket = TcpStream::connect(addr).await?;
    let upgrading = matches!(offer, Offer::Upgrade(_));
    let mut link = link::connect(socket, Limits::default(), offer).await?;
    let syntax = link.codec().syntax();
    let mut bodies = Vec::new();
    if upgrading {
        bodies.push(link.next().await.expect("the first request's answer")?.body().clone());
    }
    for _ in 0..count {
        link.send(get("/quote")).await?;
        bodies.push(link.next().await.expect("an answer")?.body().clone());
    }
    Ok((syntax, bodies))
}

fn numbered(n: usize) -> Vec<Bytes> {
    (0..n).map(|i| Bytes::from(i.to_string())).collect()
}

#[tokio::test]
async fn upgrade_accepted() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(serve(l, Upgrades::Accept));
    let (syntax, bodies) = client(addr, Offer::Upgrade(get("/")), 50).await.unwrap();
    assert_eq!((syntax, bodies), (Syntax::Compact, numbered(51)));
    assert_eq!(server.await.unwrap().unwrap(), (Syntax::Compact, 51));
}

#[tokio::test]
async fn upgrade_refused_goes_on_plain() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(serve(l, Upgrades::Refuse));
    let (syntax, bodies) = client(addr, Offer::Upgrade(get("/")), 50).await.unwrap();
    assert_eq!((syntax, bodies), (Syntax::Plain, numbered(51)));
    assert_eq!(server.await.unwrap().unwrap(), (Syntax::Plain, 51));
}

#[tokio::test]
async fn prior_knowledge_and_plain_on_one_port() {
    for (offer, syntax) in [(Offer::PriorKnowledge, Syntax::Compact), (Offer::Plain, Syntax::Plain)] {
        let (l, addr) = listener().await;
        let server = tokio::spawn(serve(l, Upgrades::Accept));
        let got = client(addr, offer, 20).await.unwrap();
        assert_eq!(got, (syntax, numbered(20)));
        assert_eq!(server.await.unwrap().unwrap(), (syntax, 20));
    }
}

/// A server that does not know the protocol (answers 200 to anything, plain): the client
/// falls back to plain HTTP/1.1.
#[tokio::test]
async fn fallback_to_a_server_that_does_not_know() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut socket, _) = l.accept().await.unwrap();
        let mut parser = http1::Parser::new();
        let mut buf = BytesMut::new();
        let mut n = 0;
        loop {
            while let Some(_request) = parser.decode(&mut buf).unwrap() {
                let mut out = Vec::new();
                ack(n).write_http1(&mut out);
                socket.write_all(&out).await.unwrap();
                n += 1;
            }
            if socket.read_buf(&mut buf).await.unwrap() == 0 {
                return n;
            }
        }
    });
    let (syntax, bodies) = client(addr, Offer::Upgrade(get("/")), 5).await.unwrap();
    assert_eq!((syntax, bodies), (Syntax::Plain, numbered(6)));
    assert_eq!(server.await.unwrap(), 6);
}

/// A client that pipelines plain requests after its offer (SPEC.md §14.2 rule 3): the server
/// stays plain and answers them all.
#[tokio::test]
async fn bytes_pipelined_after_the_offer_keep_it_plain() {
    let mut wire = Vec::new();
    get("/a").write_http1(&mut wire);
    get("/b").write_http1(&mut wire);
    let (answers, served) = after_the_offer(&wire).await;
    let mut parser = http1::ResponseParser::new();
    let got = {
        let mut src = BytesMut::from(&answers[..]);
        let mut v = Vec::new();
        while let Some(r) = parser.decode_eof(&mut src).unwrap() {
            v.push(r.status());
        }
        v
    };
    assert_eq!(got, [200, 200, 200], "three plain answers, no 101");
    assert_eq!(served, (Syntax::Plain, 3));
}

/// Serves one connection that sends an upgrade offer and `tail` at once, then ends its
/// sending side: what the server answered, and the syntax and requests it served.
async fn after_the_offer(tail: &[u8]) -> (Vec<u8>, (Syntax, usize)) {
    let (l, addr) = listener().await;
    let server = tokio::spawn(serve(l, Upgrades::Accept));
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let mut wire = Vec::new();
    upgrade::offer(get("/").head()).unwrap().write_http1(&mut wire);
    wire.extend_from_slice(tail);
    socket.write_all(&wire).await.unwrap();
    socket.shutdown().await.unwrap();
    let mut answers = Vec::new();
    socket.read_to_end(&mut answers).await.unwrap();
    (answers, server.await.unwrap().unwrap())
}

/// A client that sends compact requests right after its offer, without waiting for the 101
/// (against SPEC.md §14.2 rule 1): its bytes tell, and the server switches (rule 2) rather
/// than read them as a plain head that never ends.
#[tokio::test]
async fn compact_bytes_right_after_the_offer_switch() {
    let mut compact = BytesMut::new();
    let mut encoder = streamline::Encoder::new();
    encoder.encode(&get("/a"), &mut compact).unwrap();
    encoder.encode(&get("/b"), &mut compact).unwrap();
    let (answers, served) = after_the_offer(&compact).await;
    assert!(answers.starts_with(upgrade::SWITCHING_PROTOCOLS), "{}", answers.escape_ascii());
    let mut src = BytesMut::from(&answers[upgrade::SWITCHING_PROTOCOLS.len()..]);
    let mut decoder = streamline::ResponseDecoder::new();
    let mut got = Vec::new();
    while let Some(r) = decoder.decode_eof(&mut src).unwrap() {
        got.push(r.status());
    }
    assert_eq!(got, [200, 200, 200], "the offer's answer, then both compact requests'");
    assert_eq!(served, (Syntax::Compact, 3));
}

/// A 101 that switches to another protocol is a broken handshake.
#[tokio::test]
async fn malformed_handshake() {
    for answer in [
        &b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"[..],
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: shttp/3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
        b"HTTP/1.1 2",
    ] {
        let (l, addr) = listener().await;
        let server = tokio::spawn(async move {
            let (mut socket, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await.unwrap();
            socket.write_all(answer).await.unwrap();
        });
        let result = client(addr, Offer::Upgrade(get("/")), 1).await;
        let err = result.expect_err("a broken answer fails");
        let text = err.to_string();
        assert!(
            text.contains("upgrade handshake") || text.contains("input ends") || text.contains("closed"),
            "{}: {text}",
            answer.escape_ascii()
        );
        server.await.unwrap();
    }
}

/// A connection that starts with neither syntax is refused at once.
#[tokio::test]
async fn unknown_start_is_refused() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (socket, _) = l.accept().await.unwrap();
        link::accept(socket, Limits::default(), Upgrades::Accept).await.map(|_| ())
    });
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(b"{\"hello\": 1}\r\n").await.unwrap();
    let err = server.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("cannot tell the syntax"), "{err}");
}

/// A window holds requests back until the link is flushed: three fed without a flush reach
/// the server only when the client flushes (SPEC.md §9.4 on a live link).
/// A connection that tells how much room each read offered.
struct Recorded<S> {
    io: S,
    rooms: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Recorded<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.rooms.lock().unwrap().push(buf.remaining());
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Recorded<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A link reads many messages per call all along, while the messages it gave out are still
/// held (so its buffer cannot be reused): a buffer handed to the framed connection empty made
/// every later one as small, and the link read a message or two per call.
#[tokio::test]
async fn links_read_many_messages_per_call() {
    let acks: Vec<Response> = (0..20_000).map(ack).collect();
    let wire = encode_all(CompactWriter::new(Encoder::new().responses()), &acks);
    for grow in [false, true] {
        let (near, mut far) = tokio::io::duplex(1 << 20);
        let rooms = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let io = Recorded { io: near, rooms: rooms.clone() };
        let mut link = link::connect(io, Limits::default(), Offer::PriorKnowledge).await.unwrap();
        if grow {
            link.reserve_read(64 * 1024);
        }
        let writer = {
            let wire = wire.clone();
            tokio::spawn(async move { far.write_all(&wire).await.map(|_| far) })
        };
        let mut held = Vec::new();
        while held.len() < acks.len() {
            held.push(link.next().await.unwrap().unwrap());
        }
        assert_eq!(held, acks);
        let _far = writer.await.unwrap().unwrap();
        let rooms = rooms.lock().unwrap();
        let (reads, room) = (rooms.len(), rooms.iter().sum::<usize>() / rooms.len());
        let least = if grow { 64 * 1024 } else { 8 * 1024 };
        assert!(room >= least / 2, "{reads} reads, {room} bytes of room each on average (grown: {grow})");
        assert!(reads <= 2 * wire.len() / least + 2, "{reads} reads for {} bytes (grown: {grow})", wire.len());
    }
}

#[tokio::test]
async fn a_window_is_released_by_a_flush() {
    let (mut link, server) = prior_knowledge_link().await;
    link.codec_mut().set_window(8);
    for target in ["/a", "/b", "/c"] {
        link.feed(get(target)).await.unwrap();
    }
    // Nothing went out yet: no answer comes.
    let early = tokio::time::timeout(std::time::Duration::from_millis(100), link.next()).await;
    assert!(early.is_err(), "held requests reached the server before a flush");
    link.flush().await.unwrap();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        bodies.push(link.next().await.unwrap().unwrap().body().clone());
    }
    assert_eq!(bodies, numbered(3));
    drop(link);
    assert_eq!(server.await.unwrap().unwrap(), (Syntax::Compact, 3));
}

/// Bodies of any size as events: a 4 MiB upload and a 4 MiB response body pass in pieces,
/// compact and plain, and come out byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_bodies_stream_as_events() {
    use streamline::Event;
    use streamline_tokio::codec::{CompactEventWriter, Events, PlainEventWriter};
    use tokio_util::codec::FramedWrite;
    let body: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 251) as u8).collect();
    let head = format!("POST /upload HTTP/1.1\r\nHost: feed\r\nContent-Length: {}\r\n\r\n", body.len());
    let request = read_all(http1::Parser::new(), &[head.as_bytes(), &body].concat()).remove(0);
    for compact in [true, false] {
        let (l, addr) = listener().await;
        let (head, body) = (request.head().clone(), request.body().clone());
        let writer = tokio::spawn(async move {
            let socket = TcpStream::connect(addr).await.unwrap();
            let events = [Event::Head(head)]
                .into_iter()
                .chain(body.chunks(64 * 1024).map(|c| Event::Data(Bytes::copy_from_slice(c))))
                .chain([Event::End]);
            if compact {
                let mut sink = FramedWrite::new(socket, CompactEventWriter::new(Encoder::new()));
                for e in events {
                    sink.feed(e).await.unwrap();
                }
                sink.close().await.unwrap();
            } else {
                let mut sink = FramedWrite::new(socket, PlainEventWriter::new());
                for e in events {
                    sink.feed(e).await.unwrap();
                }
                sink.close().await.unwrap();
            }
        });
        let (socket, _) = l.accept().await.unwrap();
        let mut got = Vec::new();
        let mut pieces = 0;
        if compact {
            let mut frames = FramedRead::new(socket, Events::new(Decoder::new()));
            while let Some(e) = frames.next().await {
                if let Event::Data(d) = e.unwrap() {
                    got.extend_from_slice(&d);
                    pieces += 1;
                }
            }
        } else {
            let mut frames = FramedRead::new(socket, Events::new(http1::Parser::new()));
            while let Some(e) = frames.next().await {
                if let Event::Data(d) = e.unwrap() {
                    got.extend_from_slice(&d);
                    pieces += 1;
                }
            }
        }
        writer.await.unwrap();
        assert!(got == request.body()[..], "compact {compact}: the body differs");
        assert!(pieces > 1, "the body came in pieces");
    }
}

/// The README's examples, their own code (included from `examples/`): the server and the
/// client with counts that are and are not multiples of anything, by prior knowledge and by
/// upgrade; every acknowledgement arrives (a server that batched its flushes and never
/// flushed the rest would hang here: the run has a deadline).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_examples_run_as_shown() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let ack = feed_server::ack().unwrap();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::spawn(feed_server::serve(socket, ack.clone()));
        }
    });
    for (count, upgrade) in [(1000, false), (999, true), (7, false)] {
        let run = feed_client::run(&addr, count, upgrade);
        let acks = tokio::time::timeout(std::time::Duration::from_secs(60), run).await;
        assert_eq!(acks.expect("finished in time").unwrap(), count, "{count} quotes, upgrade {upgrade}");
    }
}

#[allow(dead_code)]
#[path = "../examples/feed_server.rs"]
mod feed_server;

#[allow(dead_code)]
#[path = "../examples/feed_client.rs"]
mod feed_client;

/// An encoder with other options (no header editing) set on a link's codec: both ends still
/// agree, and the link carries the same messages.
#[tokio::test]
async fn a_link_takes_an_encoder_with_other_options() {
    let (mut link, server) = prior_knowledge_link().await;
    link.codec_mut().set_encoder(Encoder::new().editing(false));
    for _ in 0..3 {
        link.send(get("/q")).await.unwrap();
        link.next().await.unwrap().unwrap();
    }
    drop(link);
    assert_eq!(server.await.unwrap().unwrap(), (Syntax::Compact, 3));
}

/// A start that never ends its first word (a method of a megabyte) is refused once it passes
/// `max_line`, not read into memory without end.
#[tokio::test]
async fn a_start_longer_than_a_line_is_refused() {
    let limits = Limits::default().max_line(1024);
    let (client, server) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move { link::accept(server, limits, Upgrades::Accept).await.map(|_| ()) });
    let writer = tokio::spawn(async move {
        let mut client = client;
        for _ in 0..256 {
            if client.write_all(&[b'M'; 4096]).await.is_err() {
                return false;
            }
        }
        true
    });
    let err = server.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::Codec(e) if e.kind() == &streamline::ErrorKind::LineTooLong { limit: 1024 }),
        "{err}"
    );
    assert!(!writer.await.unwrap(), "refused before the megabyte was read");
}

/// The answer to an offer arriving a byte at a time: a 101 gives a compact link whose first
/// message is what followed it; a plain answer gives a plain link that reads it whole.
#[tokio::test]
async fn an_answer_read_a_byte_at_a_time() {
    let switched = [upgrade::SWITCHING_PROTOCOLS, b"C:200 OK\r\nV:HTTP/1.1\r\n+: 1\r\n0"].concat();
    let plain = b"HTTP/1.1 200 OK\r\nServer: test\r\nX-A: 1\r\nX-B: 2\r\nContent-Length: 1\r\n\r\n0".to_vec();
    for (answer, syntax) in [(switched, Syntax::Compact), (plain, Syntax::Plain)] {
        let (client, server) = tokio::io::duplex(4096);
        let served = tokio::spawn(async move {
            let mut server = server;
            let mut offer = [0u8; 1024];
            let _ = server.read(&mut offer).await.unwrap();
            for &b in &answer {
                server.write_all(&[b]).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            server
        });
        let mut link = link::connect(client, Limits::default(), Offer::Upgrade(get("/"))).await.unwrap();
        assert_eq!(link.codec().syntax(), syntax);
        let first = link.next().await.unwrap().unwrap();
        assert_eq!((first.status(), &first.body()[..]), (200, &b"0"[..]), "{syntax:?}");
        drop(served.await.unwrap());
    }
}

/// Reads from `socket` until `want` has come whole (at most 2 s: a client that gave up
/// waiting for a `100 Continue` would send its body after 1 s).
async fn read_exactly(socket: &mut TcpStream, want: &[u8]) {
    let mut got = vec![0u8; want.len()];
    tokio::time::timeout(std::time::Duration::from_secs(2), socket.read_exact(&mut got))
        .await
        .expect("in time")
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

/// A plain server link answers `Expect: 100-continue` with a `100 Continue` before the body
/// comes (RFC 9110 §10.1.1): for the first request (read while the link is negotiated), for
/// a later one, and for one pipelined behind a request not yet answered only after that
/// answer (an interim answer never overtakes an earlier request's). HTTP/1.0 gets none.
#[tokio::test]
async fn a_plain_server_link_answers_expect_100_continue() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let link = link::accept(socket, Limits::default(), Upgrades::Accept).await.unwrap();
        let (mut sink, mut stream) = link.split();
        let mut bodies = Vec::new();
        while let Some(request) = stream.next().await {
            let request = request.unwrap();
            bodies.push(request.body().clone());
            // The GET is answered only after the POST pipelined behind it has its head in.
            if bodies.len() == 3 {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
            let ok = streamline::Head::response(
                200,
                Bytes::from_static(b"OK"),
                streamline::Version::HTTP_11,
                streamline::Headers::default(),
                streamline::Framing::Length(2),
            )
            .unwrap();
            sink.send(Response::new(ok, Bytes::from_static(b"ok")).unwrap()).await.unwrap();
        }
        bodies
    });
    const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let post = |version: &str| {
        format!("POST /u HTTP/{version}\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
    };
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(post("1.1").as_bytes()).await.unwrap();
    read_exactly(&mut socket, CONTINUE).await;
    socket.write_all(b"first").await.unwrap();
    read_exactly(&mut socket, OK).await;
    // A later one, with nothing before it unanswered: at once.
    socket.write_all(post("1.1").as_bytes()).await.unwrap();
    read_exactly(&mut socket, CONTINUE).await;
    socket.write_all(b"again").await.unwrap();
    read_exactly(&mut socket, OK).await;
    // Pipelined: a GET, then a POST that waits; its 100 comes after the GET's answer.
    socket.write_all(format!("GET /g HTTP/1.1\r\nHost: t\r\n\r\n{}", post("1.1")).as_bytes()).await.unwrap();
    read_exactly(&mut socket, OK).await;
    read_exactly(&mut socket, CONTINUE).await;
    socket.write_all(b"third").await.unwrap();
    read_exactly(&mut socket, OK).await;
    // HTTP/1.0: no 100 (its body is sent after a while, as such a client would).
    socket.write_all(post("1.0").as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    socket.write_all(b"forth").await.unwrap();
    read_exactly(&mut socket, OK).await;
    drop(socket);
    let bodies = server.await.unwrap();
    assert_eq!(bodies, ["first", "again", "", "third", "forth"]);
}

/// A plain first request that cannot be read is answered by `accept`, which the caller,
/// given no link, could not do (RFC 9112 §2.2: 400; a body over the limit 413, told by its
/// head; more field lines than the limit 431), and the connection's sending side is closed;
/// the error comes back with that status. With the upgrade refused the first request comes
/// out of the link as the later ones do, the error with it, and nothing is written for it.
#[tokio::test]
async fn a_broken_plain_first_request_is_answered() {
    let limits = Limits::default().max_body(16).max_headers(2);
    let cases: [(&[u8], u16); 4] = [
        (b"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n", 431),
    ];
    for (request, status) in cases {
        let (mut client, server) = tokio::io::duplex(4096);
        let served = tokio::spawn(async move { link::accept(server, limits, Upgrades::Accept).await.map(|_| ()) });
        client.write_all(request).await.unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8(answer).unwrap();
        assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{answer}");
        assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
        let err = served.await.unwrap().unwrap_err();
        assert_eq!(err.status().map(|(s, _)| s), Some(status), "{err}");

        let (mut client, server) = tokio::io::duplex(4096);
        client.write_all(request).await.unwrap();
        let mut link = link::accept(server, limits, Upgrades::Refuse).await.unwrap();
        let err = link.next().await.expect("the first request's error").unwrap_err();
        assert_eq!(err.status().map(|(s, _)| s), Some(status), "{err}");
        drop(link);
        let mut written = Vec::new();
        client.read_to_end(&mut written).await.unwrap();
        assert!(written.is_empty(), "{}", written.escape_ascii());
    }
}

/// A plain first request that offers no upgrade is decided on by its head: `accept` returns
/// before its body has come, and the link reads the body, however slow, as it reads every
/// later one (before, `accept` waited for the whole request, and a caller bounding the
/// negotiation's time cut a large upload short). Its `100 Continue` is the link's to send.
#[tokio::test]
async fn a_plain_first_request_is_left_to_the_link_once_its_head_is_here() {
    let (mut client, server) = tokio::io::duplex(4096);
    client
        .write_all(b"POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        .await
        .unwrap();
    let accepted = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        link::accept(server, Limits::default(), Upgrades::Accept),
    );
    let mut link = accepted.await.expect("accept returns without the body").unwrap();
    assert_eq!(link.codec().syntax(), Syntax::Plain);
    let (reading, more) = tokio::join!(link.next(), async {
        let mut continued = [0u8; 25];
        client.read_exact(&mut continued).await.unwrap();
        assert_eq!(&continued, b"HTTP/1.1 100 Continue\r\n\r\n");
        client.write_all(b"hello").await.unwrap();
        client
    });
    let request = reading.expect("the first request").unwrap();
    assert_eq!((request.head().target(), &request.body()[..]), (&b"/up"[..], &b"hello"[..]));
    drop(more);
}

/// SPEC.md §14.3: a start in neither syntax (a NUL, a TLS ClientHello, a method followed by a
/// tab, a first word longer than a line) gets a plain 400 and the connection's end, whether
/// or not the upgrade may be accepted: there is no link on which its caller could answer.
#[tokio::test]
async fn a_start_in_neither_syntax_is_answered_400() {
    let limits = Limits::default().max_line(64);
    let long = [b'G'; 100];
    let cases: [&[u8]; 4] =
        [b"\0\0\0\0\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET\t/ HTTP/1.1\r\n", &long];
    for start in cases {
        for upgrades in [Upgrades::Accept, Upgrades::Refuse] {
            let (mut client, server) = tokio::io::duplex(4096);
            let served = tokio::spawn(async move { link::accept(server, limits, upgrades).await.map(|_| ()) });
            client.write_all(start).await.unwrap();
            let mut answer = Vec::new();
            client.read_to_end(&mut answer).await.unwrap();
            let answer = String::from_utf8(answer).unwrap();
            assert!(answer.starts_with("HTTP/1.1 400 "), "{} -> {answer}", start.escape_ascii());
            assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
            let err = served.await.unwrap().unwrap_err();
            assert_eq!(err.status().map(|(s, _)| s), Some(400), "{err}");
        }
    }
}
