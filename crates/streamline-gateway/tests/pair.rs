//! The pair end to end with real parts: a hyper server upstream, the gateway and the proxy
//! on 127.0.0.1, raw HTTP/1.1 clients.

mod common;

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use streamline::Framing;

/// What a client would compare: status, end-to-end fields, framing and body.
fn seen(response: &streamline::Response) -> (u16, Vec<String>, Framing, Vec<u8>) {
    (response.status(), end_to_end_fields(response), response.head().framing(), response.body().to_vec())
}

const REQUESTS: [(&str, &str); 6] = [
    ("GET", "GET /file HTTP/1.1\r\nHost: t\r\n\r\n"),
    ("HEAD", "HEAD /file HTTP/1.1\r\nHost: t\r\n\r\n"),
    ("POST", "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello there"),
    (
        "chunked upload",
        "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n there\r\n0\r\n\r\n",
    ),
    ("304", "GET /file HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"v1\"\r\n\r\n"),
    ("404", "GET /missing HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\nTE: trailers\r\n\r\n"),
];

/// Writes every request of [`REQUESTS`] at once, pipelined.
async fn pipeline_all(client: &mut Client) {
    let all: String = REQUESTS.iter().map(|(_, r)| *r).collect();
    for (_, request) in REQUESTS {
        client.expect(request);
    }
    client.write(all.as_bytes()).await;
}

/// A client that asks for 24 MiB of answers (24 uploads of 1 MiB, echoed) and reads none; it
/// writes in a task of its own (a service may stop reading it, or close it), dropped with the
/// handle.
async fn greedy(addr: std::net::SocketAddr) -> AbortOnDrop {
    let mut client = Client::connect(addr).await;
    let body = "x".repeat(1 << 20);
    let post = format!("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    AbortOnDrop(tokio::spawn(async move {
        for _ in 0..24 {
            if !client.try_write(post.as_bytes()).await {
                break;
            }
        }
        std::future::pending::<()>().await;
    }))
}

/// The compact form of plain requests, as a link by prior knowledge carries them.
fn compact_of(plain: &str) -> bytes::BytesMut {
    let mut plain = bytes::BytesMut::from(plain.as_bytes());
    let (mut parser, mut encoder) = (streamline::http1::Parser::new(), streamline::Encoder::new());
    let mut compact = bytes::BytesMut::new();
    while let Some(request) = parser.decode(&mut plain).unwrap() {
        encoder.encode(&request, &mut compact).unwrap();
    }
    compact
}

/// A task aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `clients` clients at once, each sending `each` requests for unique ids in bursts of
/// `burst(client)` and checking that every answer is its own, in order.
async fn clients_in_bursts(addr: std::net::SocketAddr, clients: usize, each: usize, burst: fn(usize) -> usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        tasks.spawn(async move {
            let mut client = Client::connect(addr).await;
            let burst = burst(c);
            for start in (0..each).step_by(burst) {
                let end = (start + burst).min(each);
                for n in start..end {
                    client.send(&format!("GET /id/{c}/{n} HTTP/1.1\r\nHost: t\r\n\r\n")).await;
                }
                for n in start..end {
                    let response = client.response().await.expect("a response for every request");
                    assert_eq!(response.status(), 200);
                    assert_eq!(response.body(), format!("/id/{c}/{n}").as_bytes(), "client {c}");
                }
            }
        });
    }
    let mut done = 0;
    while let Some(finished) = tasks.join_next().await {
        finished.unwrap();
        done += 1;
    }
    assert_eq!(done, clients);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_request_gets_what_it_gets_directly() {
    for upgrade in [false, true] {
        let pair = pair(Config { upgrade, ..config() }).await;
        // One connection each way, the requests one after the other, then all pipelined.
        let mut direct = Client::connect(pair.upstream.addr).await;
        let mut through = Client::connect(pair.proxy.addr).await;
        for (what, request) in REQUESTS {
            direct.send(request).await;
            through.send(request).await;
            let (d, t) = (direct.response().await.unwrap(), through.response().await.unwrap());
            assert_eq!(seen(&t), seen(&d), "{what}, upgrade {upgrade}");
            assert!(t.head().headers().iter().all(|l| !l.starts_with(b"Connection")), "{what}");
        }
        pipeline_all(&mut direct).await;
        pipeline_all(&mut through).await;
        for (what, _) in REQUESTS {
            let (d, t) = (direct.response().await.unwrap(), through.response().await.unwrap());
            assert_eq!(seen(&t), seen(&d), "{what} pipelined, upgrade {upgrade}");
        }
        assert_eq!(seen(&once(pair.gateway.addr, REQUESTS[0].1).await.unwrap()).3, b"hello, world\n");
        assert_eq!(pair.proxy.stats.errors.load(Relaxed), 0);
        // Compact on the link, by either negotiation: fewer bytes than the clients sent.
        let (link, plain) = (pair.proxy.stats.link_out.load(Relaxed), pair.proxy.stats.plain_in.load(Relaxed));
        assert!(link < plain * 3 / 4, "link {link} B, plain {plain} B, upgrade {upgrade}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_clients_each_get_their_own_responses_in_order() {
    let pair = pair(config()).await;
    let (clients, each) = (100, 100);
    // Half the clients pipeline in bursts of ten, half wait for each answer.
    clients_in_bursts(pair.proxy.addr, clients, each, |c| if c % 2 == 0 { 10 } else { 1 }).await;
    let stats = &pair.proxy.stats;
    assert_eq!(stats.requests.load(Relaxed), (clients * each) as u64);
    assert_eq!(stats.responses.load(Relaxed), (clients * each) as u64);
    assert_eq!(stats.errors.load(Relaxed), 0);
    assert_eq!(pair.gateway.stats.requests.load(Relaxed), (clients * each) as u64);
    // The steady requests cost a few bytes a piece on the link.
    let per_request = stats.link_out.load(Relaxed) as f64 / (clients * each) as f64;
    assert!(per_request < 30.0, "{per_request} link bytes per request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_down_gives_502_and_service_resumes_when_it_returns() {
    let mut pair = pair(config()).await;
    let get = "GET /file HTTP/1.1\r\nHost: t\r\n\r\n";
    let mut client = Client::connect(pair.proxy.addr).await;
    client.send(get).await;
    assert_eq!(client.response().await.unwrap().status(), 200);

    // A request in flight when the upstream goes: 502, on the same client connection.
    client.send("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n").await;
    until(|| pair.gateway.stats.in_flight.load(Relaxed) == 1).await;
    let addr = pair.upstream.addr;
    pair.upstream.kill();
    assert_eq!(client.response().await.unwrap().status(), 502);
    // Down: each request a 502, the connection kept.
    client.send(get).await;
    assert_eq!(client.response().await.unwrap().status(), 502);
    let post = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx";
    client.send(post).await;
    assert_eq!(client.response().await.unwrap().status(), 502);

    pair.upstream = Upstream::start(Some(addr)).await;
    // After a connect refused, the gateway answers 502 at once for 50 ms before it tries again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    client.send(get).await;
    let back = client.response().await.unwrap();
    assert_eq!((back.status(), &back.body()[..]), (200, &b"hello, world\n"[..]));
    client.send(post).await;
    assert_eq!(client.response().await.unwrap().body(), "got 1 bytes: x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_lost_fails_what_is_in_flight_and_the_proxy_reconnects() {
    let mut pair = pair(config()).await;
    let get = "GET /file HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_eq!(once(pair.proxy.addr, get).await.unwrap().status(), 200);

    let mut held = Client::connect(pair.proxy.addr).await;
    held.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx").await;
    held.send("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(held.response().await.unwrap().status(), 200);
    until(|| pair.proxy.stats.in_flight.load(Relaxed) == 1).await;
    let (addr, upstream) = (pair.gateway.addr, pair.upstream.addr);
    pair.gateway.task.abort();
    assert_eq!(held.response().await.unwrap().status(), 502);
    until(|| pair.proxy.stats.links_up.load(Relaxed) == 0).await;
    // Down: answered 502 at once, never held.
    assert_eq!(once(pair.proxy.addr, get).await.unwrap().status(), 502);

    pair.gateway = start_gateway(upstream, Some(addr), config()).await;
    // The link opens again with the first request after the backoff's pause (those in the
    // pause are answered 502 at once).
    let mut back = once(pair.proxy.addr, get).await.unwrap();
    while back.status() == 502 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        back = once(pair.proxy.addr, get).await.unwrap();
    }
    assert_eq!(pair.proxy.stats.links_up.load(Relaxed), 1);
    assert_eq!((back.status(), &back.body()[..]), (200, &b"hello, world\n"[..]));
    // The POST in flight was never sent twice: the new gateway saw only the last GET.
    assert_eq!(pair.gateway.stats.requests.load(Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_exactly_one_host_or_malformed_gets_400_and_only_its_client_closes() {
    let pair = pair(config()).await;
    let mut other = Client::connect(pair.proxy.addr).await;
    other.send("GET /file HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(other.response().await.unwrap().status(), 200);
    for bad in [
        "GET /file HTTP/1.1\r\nAccept: */*\r\n\r\n",
        "GET /file HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /file HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET /file HTTP/1.1\r\nHost : t\r\n\r\n",
        "GET /file HTTP/1.1\r\nHost: t/admin\r\n\r\n",
        "GET /file HTTP/1.1\r\nHost: a b\r\n\r\n",
        "\x16\x03\x01 not http at all\r\n\r\n",
        // Bare LFs: refused at once, not after the header timeout (such a head never ends in
        // CRLF CRLF).
        "GET /file HTTP/1.1\nHost: t\n\n",
    ] {
        let mut client = Client::connect(pair.proxy.addr).await;
        // A good request pipelined before it is still answered, first.
        client.send("GET /id/before HTTP/1.1\r\nHost: t\r\n\r\n").await;
        client.send(bad).await;
        assert_eq!(client.response().await.unwrap().body(), "/id/before");
        let refused = client.response().await.unwrap();
        assert_eq!(refused.status(), 400, "{bad:?}");
        assert!(refused.head().headers().iter().any(|l| l == b"Connection: close"));
        assert!(client.closed().await, "{bad:?}");
        other.send("GET /id/still HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(other.response().await.unwrap().body(), "/id/still");
    }
    assert_eq!(pair.gateway.stats.errors.load(Relaxed), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_close_and_http_1_0_close_after_their_answer() {
    let pair = pair(config()).await;
    // At the proxy and at the gateway's plain port, the answer says it closes (RFC 9112 §9.6).
    for addr in [pair.proxy.addr, pair.gateway.addr] {
        let mut client = Client::connect(addr).await;
        client.send("GET /file HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await;
        let r = client.response().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.head().headers().iter().any(|l| l == b"Connection: close"), "{addr}");
        assert!(client.closed().await);
    }
    let mut client = Client::connect(pair.proxy.addr).await;
    client.send("GET /file HTTP/1.0\r\nHost: t\r\n\r\n").await;
    assert_eq!(client.response().await.unwrap().body(), "hello, world\n");
    assert!(client.closed().await);
}

/// RFC 9112 §3.2 asks Host of HTTP/1.1 requests only: an HTTP/1.0 request without one (an
/// old client, a load balancer's health check) is answered, at the proxy and at the gateway's
/// plain port, and goes upstream as HTTP/1.1 with the address its client reached as its Host
/// (§3.3); where HTTP/1.1 without Host is 400 (the test above), and so is HTTP/1.0 with two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_1_0_request_without_host_is_answered() {
    let pair = pair(config()).await;
    for addr in [pair.proxy.addr, pair.gateway.addr] {
        let mut client = Client::connect(addr).await;
        client.send("GET /host HTTP/1.0\r\nUser-Agent: check\r\n\r\n").await;
        let r = client.response().await.unwrap();
        assert_eq!((r.status(), &r.body()[..]), (200, format!("{addr}\n").as_bytes()), "{addr}");
        assert!(client.closed().await);
        let mut client = Client::connect(addr).await;
        client.send("GET /host HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n").await;
        assert_eq!(client.response().await.unwrap().status(), 400, "{addr}");
        // With its Host, as it came.
        let mut client = Client::connect(addr).await;
        client.send("GET /host HTTP/1.0\r\nHost: t\r\n\r\n").await;
        assert_eq!(client.response().await.unwrap().body(), "t\n");
    }
}

/// The Host line a hop adds to an HTTP/1.0 request counts against the link's limits: such a
/// request with as many lines as the link takes gets 431 at the proxy, where before the line
/// was counted it made the link's encoder refuse the head, the link was lost, and another
/// client's request in flight on it got 502 (a review found it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_line_a_hop_adds_counts_against_the_links_limits() {
    let limits = streamline::Limits::default().max_headers(8);
    let pair = pair(Config { limits, ..config() }).await;
    let mut other = Client::connect(pair.proxy.addr).await;
    other.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let lines: String = (0..8).map(|i| format!("X-{i}: v\r\n")).collect();
    let mut client = Client::connect(pair.proxy.addr).await;
    client.send(&format!("GET /file HTTP/1.0\r\n{lines}\r\n")).await;
    assert_eq!(client.response().await.unwrap().status(), 431);
    let r = other.response().await.unwrap();
    assert_eq!((r.status(), &r.body()[..]), (200, &b"slow"[..]));
    // One line fewer fits, Host and all.
    let lines: String = (0..7).map(|i| format!("X-{i}: v\r\n")).collect();
    let mut client = Client::connect(pair.proxy.addr).await;
    client.send(&format!("GET /host HTTP/1.0\r\n{lines}\r\n")).await;
    assert_eq!(&client.response().await.unwrap().body()[..], format!("{}\n", pair.proxy.addr).as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_is_answered_by_the_proxy() {
    let pair = pair(config()).await;
    let mut client = Client::connect(pair.proxy.addr).await;
    client.send("POST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n").await;
    let interim = client.response().await.unwrap();
    assert_eq!(interim.status(), 100);
    client.write(b"ok").await;
    assert_eq!(client.response().await.unwrap().body(), "got 2 bytes: ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_what_is_in_flight() {
    let pair = pair(config()).await;
    let mut client = Client::connect(pair.proxy.addr).await;
    client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").await;
    // In flight at both ends (the gateway has read it off the link) before the flags go up.
    until(|| pair.proxy.stats.in_flight.load(Relaxed) == 1 && pair.gateway.stats.in_flight.load(Relaxed) == 1).await;
    pair.proxy.trigger.fire();
    pair.gateway.trigger.fire();
    assert_eq!(client.response().await.unwrap().body(), "slow");
    assert!(client.closed().await);
    let Pair { proxy, gateway, .. } = pair;
    assert!(proxy.task_result().await.is_ok());
    assert!(gateway.task_result().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_head_gets_408_an_idle_client_is_closed_and_a_patient_one_is_served() {
    use std::time::{Duration, Instant};
    let (header_timeout, idle_timeout) = (Duration::from_millis(300), Duration::from_millis(900));
    let pair = pair(Config { header_timeout, idle_timeout, ..config() }).await;
    let get = "GET /file HTTP/1.1\r\nHost: t\r\n\r\n";

    // Requests further apart than the header timeout, closer than the idle one: each served
    // (the timer set for one wait does not cut a later, longer one short).
    let mut patient = Client::connect(pair.proxy.addr).await;
    for _ in 0..3 {
        patient.send(get).await;
        assert_eq!(patient.response().await.unwrap().status(), 200);
        tokio::time::sleep(header_timeout * 2).await;
    }

    // Half a head: a 408 once the header timeout has passed, then the close.
    let started = Instant::now();
    let mut slow = Client::connect(pair.proxy.addr).await;
    slow.write(b"GET /file HTTP/1.1\r\nHo").await;
    let refused = slow.response().await.unwrap();
    assert_eq!(refused.status(), 408);
    assert!(started.elapsed() >= header_timeout, "{:?}", started.elapsed());
    assert!(slow.closed().await);

    // A head that starts late in a long wait still gets only the header timeout for the
    // rest of it.
    let mut late = Client::connect(pair.proxy.addr).await;
    late.send(get).await;
    assert_eq!(late.response().await.unwrap().status(), 200);
    tokio::time::sleep(idle_timeout / 2).await;
    let started = Instant::now();
    late.write(b"GET /file HTTP/1.1\r\n").await;
    assert_eq!(late.response().await.unwrap().status(), 408);
    assert!(started.elapsed() < idle_timeout / 2 + header_timeout, "{:?}", started.elapsed());

    // Nothing after an answer: closed after the idle timeout, without an answer.
    let started = Instant::now();
    let mut idle = Client::connect(pair.proxy.addr).await;
    idle.send(get).await;
    assert_eq!(idle.response().await.unwrap().status(), 200);
    assert!(idle.response().await.is_none());
    assert!(started.elapsed() >= idle_timeout, "{:?}", started.elapsed());
}

/// A body that trickles in below the least rate gets 408 once it is late (the header timeout
/// and a second for every `min_body_rate` bytes), though each byte comes well within the idle
/// timeout; a body at a rate above it, however long it takes, is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_the_least_rate_gets_408() {
    use std::time::{Duration, Instant};
    let (header_timeout, idle_timeout) = (Duration::from_millis(300), Duration::from_secs(5));
    let pair = pair(Config { header_timeout, idle_timeout, min_body_rate: 100, ..config() }).await;
    let head = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 600\r\n\r\n";

    // A byte every 50 ms: 20 bytes a second, a fifth of the least rate. It is late once
    // 300 ms + its bytes / 100 have passed (at about 360 ms): the writes stop just before, so
    // that none meets the close.
    let started = Instant::now();
    let mut slow = Client::connect(pair.proxy.addr).await;
    slow.write(head.as_bytes()).await;
    for _ in 0..6 {
        slow.write(b"x").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer = tokio::time::timeout(Duration::from_secs(2), slow.response()).await.expect("answered").unwrap();
    assert_eq!(answer.status(), 408);
    let took = started.elapsed();
    assert!(took >= header_timeout && took < idle_timeout, "{took:?}");

    // 100 bytes every 200 ms: 500 a second, five times the least rate; 1.2 s in all, four
    // times the header timeout.
    upload_steadily(pair.proxy.addr).await;
}

/// Sends a 600-byte upload to `addr`, its head at once and its body 100 bytes every 200 ms
/// (1.2 s in all), and expects it served whole.
async fn upload_steadily(addr: std::net::SocketAddr) {
    let mut client = Client::connect(addr).await;
    client.write(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 600\r\n\r\n").await;
    for _ in 0..6 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        client.write(&[b'y'; 100]).await;
    }
    let answer = client.response().await.unwrap();
    assert_eq!((answer.status(), &answer.body()[..]), (200, format!("got 600 bytes: {}", "y".repeat(600)).as_bytes()));
}

/// At the gateway's plain port, a connection's first request is decided on (link or plain)
/// by its head, which must come within the header timeout; its body comes at the pace of a
/// later request's (the whole request within the idle timeout), however long past the header
/// timeout. Before, the first request was read whole within the header timeout, and an
/// upload longer than that was cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_upload_at_the_gateway_may_outlast_the_header_timeout() {
    use std::time::Duration;
    let (header_timeout, idle_timeout) = (Duration::from_millis(300), Duration::from_secs(5));
    let pair = pair(Config { header_timeout, idle_timeout, ..config() }).await;
    upload_steadily(pair.gateway.addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packed_lines_on_the_link_carry_the_same_answers_in_fewer_bytes() {
    // Each request carries a fresh id, the text no line opcode shortens (SPEC.md §4.11).
    let requests: Vec<String> = (0..200u32)
        .map(|n| {
            let id = format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                n.wrapping_mul(2_654_435_761),
                n,
                n * 7,
                n * 13,
                n * 977
            );
            format!("GET /id/{n} HTTP/1.1\r\nHost: t\r\nX-Request-Id: {id}\r\n\r\n")
        })
        .collect();
    let mut bytes = Vec::new();
    for (pack, upgrade) in [(false, false), (true, false), (true, true)] {
        let pair = pair(Config { pack, upgrade, ..config() }).await;
        let mut direct = Client::connect(pair.upstream.addr).await;
        let mut through = Client::connect(pair.proxy.addr).await;
        for request in &requests {
            direct.send(request).await;
            through.send(request).await;
            let (d, t) = (direct.response().await.unwrap(), through.response().await.unwrap());
            assert_eq!(seen(&t), seen(&d), "pack {pack}, upgrade {upgrade}");
        }
        assert_eq!(pair.proxy.stats.errors.load(Relaxed), 0);
        bytes.push(pair.proxy.stats.link_out.load(Relaxed));
    }
    // (The responses carry the server's Date, which changes between the runs: their link
    // bytes are not compared.)
    let (text, packed) = (bytes[0], bytes[1]);
    assert!(packed * 10 < text * 9, "requests: {packed} B packed, {text} B as text");
}

/// Counts of 0 (taken as 1) and `usize::MAX` (past what tokio's semaphores hold): the pair
/// serves pipelined requests and panics on neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_at_their_extremes_serve_without_a_panic() {
    for count in [usize::MAX, 0] {
        let rate = count as u64;
        let config = Config {
            max_connections: count,
            max_in_flight: count,
            max_pipeline: count,
            min_body_rate: rate,
            ..config()
        };
        let pair = pair(config).await;
        let mut client = Client::connect(pair.proxy.addr).await;
        pipeline_all(&mut client).await;
        for (what, _) in REQUESTS {
            assert!(client.response().await.is_some_and(|r| r.status() < 500), "{what}, counts {count}");
        }
        // A body waited for (the least rate at its extremes: none, and a whole body due in
        // the header timeout).
        client.write(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\na").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        client.write(b"b").await;
        assert_eq!(client.response().await.unwrap().body(), "got 2 bytes: ab", "counts {count}");
    }
}

/// Durations at their extremes (no timeout as `Duration::MAX`, a stats line every 0 s, no
/// backoff) and `usize::MAX` links: the pair serves, and panics on none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durations_and_links_at_their_extremes_serve_without_a_panic() {
    let config = Config {
        header_timeout: Duration::MAX,
        idle_timeout: Duration::MAX,
        stats_every: Some(Duration::ZERO),
        backoff: (Duration::ZERO, Duration::ZERO),
        links: usize::MAX,
        min_body_rate: 1,
        ..config()
    };
    let pair = pair(config).await;
    let mut client = Client::connect(pair.proxy.addr).await;
    for (what, request) in REQUESTS {
        client.send(request).await;
        assert!(client.response().await.is_some_and(|r| r.status() < 500), "{what}");
    }
    assert!(pair.proxy.stats.links_up.load(Relaxed) <= streamline_gateway::MAX_LINKS as i64);
}

/// A client that asks for megabytes of answers and reads none of them is closed once it has
/// taken nothing for the idle timeout: its connection slot and what was queued for it are
/// freed, and the next client is served (with one slot, it would wait for ever otherwise).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reads_no_answers_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(500);
    let pair = pair(Config { max_connections: 1, idle_timeout: idle, ..config() }).await;
    let greedy = greedy(pair.proxy.addr).await;
    // The next client waits for the slot, and gets its answer once the greedy one is closed
    // (`Client::response` gives up after 30 s).
    let answer = once(pair.proxy.addr, REQUESTS[0].1).await.unwrap();
    assert_eq!(&answer.body()[..], b"hello, world\n");
    assert_eq!(pair.proxy.stats.errors.load(Relaxed), 0);
    drop(greedy);
}

/// The same at the gateway, for a plain client that reads none of its answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_client_of_the_gateway_that_reads_no_answers_is_closed() {
    let upstream = Upstream::start(None).await;
    let config = Config { max_connections: 1, idle_timeout: Duration::from_millis(500), ..config() };
    let gateway = start_gateway(upstream.addr, None, config).await;
    let greedy = greedy(gateway.addr).await;
    let answer = once(gateway.addr, REQUESTS[0].1).await.unwrap();
    assert_eq!(&answer.body()[..], b"hello, world\n");
    drop(greedy);
}

/// The pair with each service's own configuration (the proxy's and the gateway's).
async fn pair_of(proxy: Config, gateway: Config) -> Pair {
    let upstream = Upstream::start(None).await;
    let gateway = start_gateway(upstream.addr, None, gateway).await;
    let proxy = start_proxy(gateway.addr, proxy).await;
    Pair { upstream, gateway, proxy }
}

/// `max_buffered` bounds the messages each service holds, whatever the other limits allow:
/// a client that asks for 24 MiB of answers and reads none makes each service hold at most
/// its budget each way; the other clients wait (backpressure, nothing lost) until the proxy
/// closes the greedy one at its idle timeout, then are served. With the default budget the
/// same client makes the proxy hold far more, so the bound is the budget's doing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_bounds_what_each_service_holds_and_a_greedy_client_only_delays_the_others() {
    let budget = 4u64 << 20;
    let mut peaks = Vec::new();
    for max_buffered in [budget, Config::default().max_buffered] {
        // The proxy gives up on the greedy client long before the gateway gives up on a link
        // that stopped reading (the proxy's link waits on the budget meanwhile).
        let proxy = Config { max_buffered, idle_timeout: Duration::from_millis(500), ..config() };
        let gateway = Config { max_buffered, idle_timeout: Duration::from_secs(30), ..config() };
        let pair = pair_of(proxy, gateway).await;
        let greedy = greedy(pair.proxy.addr).await;
        // Time for the answers to pile up.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let answer = once(pair.proxy.addr, REQUESTS[0].1).await.expect("served once the greedy client is closed");
        assert_eq!(&answer.body()[..], b"hello, world\n");
        let (proxy_peak, gateway_peak) =
            (pair.proxy.stats.held_peak.load(Relaxed), pair.gateway.stats.held_peak.load(Relaxed));
        peaks.push((max_buffered, proxy_peak, gateway_peak));
        drop(greedy);
    }
    let [(_, proxy_peak, gateway_peak), (_, unbounded_peak, _)] = peaks[..] else { unreachable!() };
    // Each way at most the budget: requests and responses together at most twice it.
    assert!(proxy_peak <= 2 * budget, "{peaks:?}");
    assert!(gateway_peak <= 2 * budget, "{peaks:?}");
    assert!(unbounded_peak > 2 * budget, "the default budget left the greedy client as much: {peaks:?}");
}

/// A small budget shared by many pipelining clients over two links: each answer reaches its
/// own client in order, and none waits for ever (a client's requests all take one link, so
/// no answer waits behind one another link cannot read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_budget_serves_many_pipelining_clients_over_two_links() {
    let config = Config { max_buffered: 16 * 1024, links: 2, ..config() };
    let pair = pair(config).await;
    let (clients, each) = (20, 50);
    clients_in_bursts(pair.proxy.addr, clients, each, |_| 50).await;
    assert_eq!(pair.proxy.stats.responses.load(Relaxed), (clients * each) as u64);
    assert_eq!(pair.proxy.stats.errors.load(Relaxed), 0);
    // A message counts at least 1 KiB: 16 each way at most.
    assert!(pair.proxy.stats.held_peak.load(Relaxed) <= 2 * 16 * 1024);
    assert!(pair.gateway.stats.held_peak.load(Relaxed) <= 2 * 16 * 1024);
    // All given back once the clients have gone (a client's reader holds the least a
    // message is charged while it waits for its next request).
    let stats = pair.proxy.stats.clone();
    let drained = async move {
        while stats.held.load(Relaxed) != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    assert!(tokio::time::timeout(Duration::from_secs(5), drained).await.is_ok(), "all given back");
}

/// A response bigger than the whole budget waits until it has the budget to itself and is
/// carried; a request, charged as its bytes come and never waiting once begun, gets 503 at the
/// proxy when they find no room, whether its body has a length or is chunked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_bigger_than_the_budget_is_carried_and_a_request_that_finds_no_room_gets_503() {
    let pair = pair(Config { max_buffered: 4 * 1024, ..config() }).await;
    let answer = once(pair.proxy.addr, "GET /big/6144 HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    assert_eq!((answer.status(), answer.body().len()), (200, 6144));
    let body = "y".repeat(6 * 1024);
    let post = format!("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    assert_eq!(once(pair.proxy.addr, &post).await.unwrap().status(), 503);
    let piece = "z".repeat(2 * 1024);
    let chunked = format!(
        "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n{piece}\r\n800\r\n{piece}\r\n800\r\n{piece}\r\n0\r\n\r\n"
    );
    assert_eq!(once(pair.proxy.addr, &chunked).await.unwrap().status(), 503);
    // A request that fits is carried, in however many pieces its body comes.
    let small = "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
    assert_eq!(&once(pair.proxy.addr, small).await.unwrap().body()[..], b"got 2 bytes: ab");
    // And nothing is left charged.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(pair.proxy.stats.held.load(Relaxed), 0);
    assert_eq!(pair.gateway.stats.held.load(Relaxed), 0);
}

/// The bytes of a head being read past the first 16 KiB are charged as they come: a head
/// that arrives in pieces and outgrows a spent budget gets 503 rather than waiting, and frees
/// what it held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_that_outgrows_the_budget_gets_503() {
    let pair = pair(Config { max_buffered: 4 * 1024, ..config() }).await;
    let mut client = Client::connect(pair.proxy.addr).await;
    client.expect("GET");
    client.write(b"GET /file HTTP/1.1\r\nHost: t\r\n").await;
    // 16 KiB free, then 4 KiB charged, then no room.
    let line = format!("X-Long: {}\r\n", "v".repeat(2 * 1024));
    for _ in 0..16 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if !client.try_write(line.as_bytes()).await {
            break;
        }
    }
    let answer = client.response().await.unwrap();
    assert_eq!(answer.status(), 503);
    assert!(client.response().await.is_none(), "closed after the 503");
    assert_eq!(pair.proxy.stats.held.load(Relaxed), 0);
    // The next client is served.
    assert_eq!(once(pair.proxy.addr, REQUESTS[0].1).await.unwrap().status(), 200);
}

/// A client that reads none of its answers, with an idle timeout far off: once the response
/// budget has been spent for a second, the proxy closes the client holding the most of it,
/// and the others are answered (without it they would wait the whole idle timeout; a client
/// that reads a trickle would hold them for ever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_holding_the_most_of_a_spent_budget_is_closed() {
    let config = Config { max_buffered: 4 << 20, idle_timeout: Duration::from_secs(120), ..config() };
    let pair = pair(config).await;
    let greedy = greedy(pair.proxy.addr).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let answer = once(pair.proxy.addr, REQUESTS[0].1).await.expect("answered once the greedy client is closed");
    assert_eq!(&answer.body()[..], b"hello, world\n");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    drop(greedy);
}

/// The same at the gateway, for a plain client that reads none of its answers: after five
/// seconds of a spent response budget, the link holding the most is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_holding_the_most_of_a_spent_budget_is_closed_at_the_gateway() {
    let upstream = Upstream::start(None).await;
    let config = Config { max_buffered: 4 << 20, idle_timeout: Duration::from_secs(120), ..config() };
    let gateway = start_gateway(upstream.addr, None, config).await;
    let greedy = greedy(gateway.addr).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let answer = once(gateway.addr, REQUESTS[0].1).await.expect("answered once the greedy client is closed");
    assert_eq!(&answer.body()[..], b"hello, world\n");
    assert!(started.elapsed() < Duration::from_secs(25), "{:?}", started.elapsed());
    assert!(gateway.stats.held_peak.load(Relaxed) <= 2 * (4 << 20));
    drop(greedy);
}

/// The same for a compact link that reads none of its answers (anyone may open one): after
/// five seconds of a spent response budget it is closed as a plain client is, and the
/// gateway's other connections are answered. Before, a link was never closed for it, and
/// every other connection waited for the link's idle timeout (a link that read a trickle
/// held them for ever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_that_reads_none_of_its_answers_is_closed_at_the_gateway() {
    use tokio::io::AsyncWriteExt;
    let upstream = Upstream::start(None).await;
    let config = Config { max_buffered: 4 << 20, idle_timeout: Duration::from_secs(120), ..config() };
    let gateway = start_gateway(upstream.addr, None, config).await;
    let body = "x".repeat(1 << 20);
    let post = format!("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    let compact = compact_of(&post.repeat(24));
    assert!(compact.starts_with(b"V:"), "a compact link by prior knowledge");
    let mut socket = tokio::net::TcpStream::connect(gateway.addr).await.unwrap();
    let greedy = AbortOnDrop(tokio::spawn(async move {
        let _ = socket.write_all(&compact).await;
        std::future::pending::<()>().await;
    }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let answer = once(gateway.addr, REQUESTS[0].1).await.expect("answered once the greedy link is closed");
    assert_eq!(&answer.body()[..], b"hello, world\n");
    assert!(started.elapsed() < Duration::from_secs(25), "{:?}", started.elapsed());
    drop(greedy);
}

/// The gateway's `--stats` byte counts: the requests it writes upstream count as plain bytes
/// out (they counted nothing, and the line's link/plain ratio compared the link with the
/// answers alone), and a plain client at its port counts as plain, not as a link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_byte_counts_tell_link_from_plain() {
    let pair = pair(config()).await;
    let request = "GET /file HTTP/1.1\r\nHost: t\r\n\r\n";
    let mut client = Client::connect(pair.proxy.addr).await;
    for _ in 0..20 {
        client.send(request).await;
        assert_eq!(client.response().await.unwrap().status(), 200);
    }
    let (proxy, gateway) = (&pair.proxy.stats, &pair.gateway.stats);
    until(|| gateway.link_in.load(Relaxed) == proxy.link_out.load(Relaxed)).await;
    let plain_out = gateway.plain_out.load(Relaxed);
    assert!(plain_out >= 20 * request.len() as u64, "{plain_out}");
    assert!(gateway.link_in.load(Relaxed) < plain_out, "a feed of one head travels smaller than plain");
    let link = |s: &streamline_gateway::Stats| (s.link_in.load(Relaxed), s.link_out.load(Relaxed));
    let (before, plain_in) = (link(gateway), gateway.plain_in.load(Relaxed));
    assert_eq!(once(pair.gateway.addr, request).await.unwrap().status(), 200);
    assert_eq!(link(gateway), before, "a plain client is no link");
    assert!(gateway.plain_in.load(Relaxed) >= plain_in + request.len() as u64);
}

/// `max_head` bounds the request heads both services pass on: past it 431, at the proxy, at
/// the gateway's plain port and on a link, whose four-byte `-:` re-issues the link's whole
/// state (what a few bytes could make the gateway send upstream); the upstream never sees
/// such a head, and the link goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_over_max_head_get_431_and_never_reach_the_upstream() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pair = pair(Config { max_head: 4096, ..config() }).await;
    let pad = format!("X-Pad: {}\r\n", "p".repeat(1500));
    let big = format!("GET /file HTTP/1.1\r\nHost: t\r\n{}\r\n", pad.repeat(3));
    for (at, addr) in [("proxy", pair.proxy.addr), ("gateway", pair.gateway.addr)] {
        let mut client = Client::connect(addr).await;
        client.send(&big).await;
        assert_eq!(client.response().await.unwrap().status(), 431, "{at}");
    }
    // On a link: the big head, then a small one.
    let compact = compact_of(&format!("{big}GET /file HTTP/1.1\r\nHost: t\r\n\r\n"));
    let mut socket = tokio::net::TcpStream::connect(pair.gateway.addr).await.unwrap();
    socket.write_all(&compact).await.unwrap();
    let (mut decoder, mut buf, mut statuses) = (streamline::ResponseDecoder::new(), bytes::BytesMut::new(), Vec::new());
    while statuses.len() < 2 {
        if let Some(response) = decoder.decode(&mut buf).unwrap() {
            statuses.push(response.status());
            continue;
        }
        let read = tokio::time::timeout(Duration::from_secs(10), socket.read_buf(&mut buf)).await;
        assert!(read.expect("an answer within 10 s").unwrap() > 0, "the link closed");
    }
    assert_eq!(statuses, [431, 200]);
    // What went upstream (and to the gateway's plain client): the small request and the
    // small answers, not a head of 4.5 KB.
    assert!(pair.gateway.stats.plain_out.load(Relaxed) < 1024, "{}", pair.gateway.stats.plain_out.load(Relaxed));
}

/// How many times a rogue upstream was asked `/hint-then-close`.
static HINT_THEN_CLOSE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The paths of the requests the rogue upstream read on a connection after answering
/// `/to-close` (it runs them, as a server may, but its answer to them never comes).
static RUN_AFTER_TO_CLOSE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// An upstream that breaks the protocol, on raw sockets: each request's path picks its answer.
/// `/two`: a response and, unasked, a second one after it; `/101`: a 101 without any
/// `Upgrade` asked; `/chunked`: `hello` chunked, with a trailer field; `/cut`: half an
/// answer, then the connection closed; `/hang`: no answer ever, the connection held open;
/// `/hint-then-close`: a 103, then the connection closed;
/// `/hints` and `/hints20`: one and twenty 103 Early
/// Hints (each with a hop-by-hop field) before the 200; anything else: 200 with the path as
/// its body.
async fn rogue_upstream() -> (std::net::SocketAddr, AbortOnDrop) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut piece = [0u8; 4096];
                loop {
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match socket.read(&mut piece).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&piece[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end + 4);
                    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                    let ok = |body: &str, extra: &str| {
                        format!("HTTP/1.1 200 OK\r\n{extra}Content-Length: {}\r\n\r\n{body}", body.len())
                    };
                    let answer = match path.as_str() {
                        "/two" => ok("first", "") + &ok("stray", "Set-Cookie: session=attacker\r\n"),
                        "/101" => "HTTP/1.1 101 Switching Protocols\r\n\r\n".to_string(),
                        "/chunked" => {
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
                                .to_string()
                        }
                        "/hints" | "/hints20" => {
                            let hint = "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\
                                        Connection: X-Hop\r\nX-Hop: 1\r\n\r\n";
                            hint.repeat(if path == "/hints" { 1 } else { 20 }) + &ok(&path, "")
                        }
                        "/hang" => return std::future::pending().await,
                        // A 103 every 100 ms without end.
                        "/hints-slow" => {
                            let hint = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n";
                            while socket.write_all(hint).await.is_ok() {
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                            return;
                        }
                        // Interim answers without end (bytes keep coming, so no timeout fires).
                        "/hints-endless" => {
                            let hints = "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n".repeat(100);
                            while socket.write_all(hints.as_bytes()).await.is_ok() {}
                            return;
                        }
                        "/hint-then-close" => {
                            HINT_THEN_CLOSE.fetch_add(1, Relaxed);
                            let _ = socket.write_all(b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n").await;
                            return;
                        }
                        // A field line the plain reader takes (65,535 bytes with its CR LF,
                        // within the default 65,536) and its `H:` line could not carry.
                        "/longline" => ok("long", &format!("X-Long: {}\r\n", "a".repeat(65_525))),
                        // A head of 1.2 MB: more state bytes than a link holds (128 KiB).
                        "/bighead" => ok("big", &format!("X-Big: {}\r\n", "b".repeat(60_000)).repeat(20)),
                        // A 204 with a length, and after it the bytes it says it has: an
                        // answer of their own, for whoever would read next.
                        "/204cl" => {
                            let smuggled = "HTTP/1.1 200 OK\r\nX-Smug: 1\r\nContent-Length: 6\r\n\r\nSMUGGD";
                            format!("HTTP/1.1 204 No Content\r\nContent-Length: {}\r\n\r\n{smuggled}", smuggled.len())
                        }
                        // A body that runs to the close, then 400 ms of reading (and running)
                        // whatever comes on the connection, then the close.
                        "/to-close" => {
                            let _ = socket
                                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end")
                                .await;
                            let until = tokio::time::Instant::now() + Duration::from_millis(400);
                            let mut rest = std::mem::take(&mut buf);
                            while let Ok(Ok(n)) = tokio::time::timeout_at(until, socket.read(&mut piece)).await {
                                if n == 0 {
                                    break;
                                }
                                rest.extend_from_slice(&piece[..n]);
                            }
                            let text = String::from_utf8_lossy(&rest).into_owned();
                            let run = text.split("\r\n\r\n").filter_map(|h| h.split(' ').nth(1)).map(str::to_string);
                            RUN_AFTER_TO_CLOSE.lock().unwrap().extend(run);
                            return;
                        }
                        "/204cl0" => "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n".to_string(),
                        "/cut" => {
                            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf").await;
                            return;
                        }
                        _ => ok(&path, ""),
                    };
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, AbortOnDrop(task))
}

/// The gateway and the proxy in front of [`rogue_upstream`].
async fn rogue_pair() -> (AbortOnDrop, Service, Service) {
    let (upstream, task) = rogue_upstream().await;
    let gateway = start_gateway(upstream, None, config()).await;
    let proxy = start_proxy(gateway.addr, config()).await;
    (task, gateway, proxy)
}

/// Answers a link could not carry, and one that lies about where the next begins, are broken
/// answers: 502 for their own clients, and the link and every other client go on. A field
/// line a plain answer may have but its `H:` line could not, and a head of more state bytes
/// than the link's state holds, would have been refused by the gateway's encoder, and every
/// answer after them (the proxy waited on the link for ever). A 204 with a length must not
/// have one (RFC 9110 §8.6): the bytes it announces would be read as the next request's
/// answer, another client's. At the gateway's plain port, which writes plain, the long line
/// passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_the_link_cannot_carry_get_502_and_the_link_goes_on() {
    let (_upstream, gateway, proxy) = rogue_pair().await;
    for path in ["/longline", "/bighead", "/204cl"] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
        let answer = tokio::time::timeout(Duration::from_secs(20), once(proxy.addr, &request))
            .await
            .unwrap_or_else(|_| panic!("{path}: no answer: the link hangs"))
            .unwrap();
        assert_eq!(answer.status(), 502, "{path}");
        for n in 0..3 {
            let after = once(proxy.addr, &format!("GET /after{n} HTTP/1.1\r\nHost: t\r\n\r\n")).await.unwrap();
            assert_eq!((after.status(), after.body().to_vec()), (200, format!("/after{n}").into_bytes()), "{path}");
            assert!(!end_to_end_fields(&after).iter().any(|f| f.to_ascii_lowercase().contains("smug")), "{path}");
        }
    }
    // A 204 with `Content-Length: 0` goes on without it (RFC 9110 §8.6), through the pair and
    // at the gateway's plain port.
    for addr in [proxy.addr, gateway.addr] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        socket.write_all(b"GET /204cl0 HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
        let mut raw = Vec::new();
        let mut piece = [0u8; 512];
        while !raw.ends_with(b"\r\n\r\n") {
            let n = socket.read(&mut piece).await.unwrap();
            assert!(n > 0, "{}", raw.escape_ascii());
            raw.extend_from_slice(&piece[..n]);
        }
        assert!(raw.starts_with(b"HTTP/1.1 204 "), "{}", raw.escape_ascii());
        assert!(!raw.to_ascii_lowercase().windows(15).any(|w| w == b"content-length:"), "{}", raw.escape_ascii());
    }
    let direct = once(gateway.addr, "GET /longline HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    assert_eq!((direct.status(), direct.body().to_vec()), (200, b"long".to_vec()));
}

/// A request the link could not carry is its own client's error, and no one else's: a field
/// line the plain reader takes but whose `H:` line would pass `max_line` (400), and a head of
/// more state bytes than the link's state holds (431). The encoder would have refused either,
/// and every request after it: the link lost, and 502 for every client with a request on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_link_cannot_carry_is_its_clients_error_and_no_one_elses() {
    let upstream = Upstream::start(None).await;
    let gateway = start_gateway(upstream.addr, None, config()).await;
    let proxy = start_proxy(gateway.addr, config()).await;
    let mut innocent = Client::connect(proxy.addr).await;
    innocent.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let long = format!("GET /x HTTP/1.1\r\nHost: t\r\nX-A: {}\r\n\r\n", "a".repeat(65_528));
    let big = format!("GET /x HTTP/1.1\r\nHost: t\r\n{}\r\n", format!("X-Big: {}\r\n", "b".repeat(60_000)).repeat(20));
    for (request, status) in [(long, 400), (big, 431)] {
        let mut attacker = Client::connect(proxy.addr).await;
        attacker.send(&request).await;
        assert_eq!(attacker.response().await.unwrap().status(), status);
        assert!(attacker.closed().await);
    }
    let answer = innocent.response().await.unwrap();
    assert_eq!((answer.status(), answer.body().to_vec()), (200, b"slow".to_vec()));
    assert_eq!(once(proxy.addr, "GET /file HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap().status(), 200);
}

/// A target that says another host than Host, or that no `http` request has, gets 400 at
/// both services, as an empty Host does: an upstream takes an absolute-form target's
/// authority over Host (RFC 9112 §3.2.2), so a check or a log in front of it reading Host
/// would read another host. A fragment is never sent (RFC 9112 §3.2), `*` is for OPTIONS
/// (§3.2.4), an `http` URI has a host and no user info (RFC 9110 §4.2.1, §4.2.4). An
/// absolute-form target whose authority is its Host is forwarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_that_disagree_with_their_host_get_400() {
    let (_upstream, gateway, proxy) = rogue_pair().await;
    let refused = [
        "GET http://evil.example/a HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET http:///a HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET http://u:p@t/a HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET http://t:abc/a HTTP/1.1\r\nHost: t\r\n\r\n",
        // A port is the same as none only when it is the scheme's default.
        "GET http://t:443/a HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET https://t:80/a HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET http://t:8080/a HTTP/1.1\r\nHost: t:80\r\n\r\n",
        "GET ftp://t/a HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /a#frag HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: \r\n\r\n",
    ];
    for request in refused {
        for (at, addr) in [("proxy", proxy.addr), ("gateway", gateway.addr)] {
            let answer = once(addr, request).await.unwrap();
            assert_eq!(answer.status(), 400, "{at}: {request:?}");
        }
    }
    for (request, body) in [
        ("GET http://t/a HTTP/1.1\r\nHost: t\r\n\r\n", "http://t/a"),
        ("GET HTTPS://T:443/a?q HTTP/1.1\r\nHost: t:443\r\n\r\n", "HTTPS://T:443/a?q"),
        ("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", "*"),
        // The scheme's default port, or an empty one, written or not: the same host.
        ("GET http://t:80/a HTTP/1.1\r\nHost: t\r\n\r\n", "http://t:80/a"),
        ("GET http://t/a HTTP/1.1\r\nHost: T:80\r\n\r\n", "http://t/a"),
        ("GET https://t/a HTTP/1.1\r\nHost: t:443\r\n\r\n", "https://t/a"),
        ("GET http://t:/a HTTP/1.1\r\nHost: t\r\n\r\n", "http://t:/a"),
        ("GET http://[::1]:80/a HTTP/1.1\r\nHost: [::1]\r\n\r\n", "http://[::1]:80/a"),
    ] {
        for (at, addr) in [("proxy", proxy.addr), ("gateway", gateway.addr)] {
            let answer = once(addr, request).await.unwrap();
            assert_eq!((answer.status(), answer.body().to_vec()), (200, body.as_bytes().to_vec()), "{at}: {request:?}");
        }
    }
}

/// An answer whose body runs to the connection's close ends that connection's pipelining:
/// the gateway writes nothing more on it, and the requests after it go on a new one, each run
/// once. Before, they were written behind it, run by the upstream, and, the close taken for
/// one that said it ran none, sent again: a POST run twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_pipelined_behind_an_answer_that_runs_to_the_close() {
    let (_upstream, _gateway, proxy) = rogue_pair().await;
    let mut first = Client::connect(proxy.addr).await;
    first.send("GET /to-close HTTP/1.1\r\nHost: t\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut order = Client::connect(proxy.addr).await;
    order.send("POST /order HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n\r\nbuy=100").await;
    let mut other = Client::connect(proxy.addr).await;
    other.send("GET /other HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let answer = first.response().await.unwrap();
    assert_eq!((answer.status(), answer.body().to_vec()), (200, b"to the end".to_vec()));
    let answer = order.response().await.unwrap();
    assert_eq!((answer.status(), answer.body().to_vec()), (200, b"/order".to_vec()));
    let answer = other.response().await.unwrap();
    assert_eq!((answer.status(), answer.body().to_vec()), (200, b"/other".to_vec()));
    assert_eq!(RUN_AFTER_TO_CLOSE.lock().unwrap().len(), 0, "nothing was sent behind it");
}

/// An upstream that answers a request twice: the second answer is no one's. Read as the next
/// request's, it would go to the next client, and every answer after it one client late (a
/// cookie of one client's handed to another). The gateway closes that upstream connection
/// instead, and every later client gets its own answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_no_request_asked_for_reaches_no_client() {
    let (_upstream, gateway, proxy) = rogue_pair().await;
    let first = once(proxy.addr, "GET /two HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    assert_eq!(first.body(), "first");
    // Let the stray answer arrive while nothing is outstanding.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for n in 0..5 {
        let path = format!("/victim{n}");
        let answer = once(proxy.addr, &format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n")).await.unwrap();
        assert_eq!((answer.status(), answer.body().to_vec()), (200, path.into_bytes()), "client {n}");
        assert!(!end_to_end_fields(&answer).iter().any(|f| f.contains("attacker")), "client {n}");
    }
    assert!(gateway.stats.errors.load(Relaxed) >= 1, "the stray answer is counted as an error");
}

/// An upstream 101 to a request that asked for no upgrade (the pair forwards none): 502 to
/// its client, and the link goes on serving the others (a 101 on the link would end its
/// response stream, SPEC.md §13.3). The gateway also refuses what the proxy refuses, for its
/// own plain clients: no Host or one that is no host (400), CONNECT (501).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_101_gets_502_and_the_link_goes_on() {
    let (_upstream, gateway, proxy) = rogue_pair().await;
    let switched = once(proxy.addr, "GET /101 HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    assert_eq!(switched.status(), 502);
    for n in 0..3 {
        let answer = once(proxy.addr, &format!("GET /after{n} HTTP/1.1\r\nHost: t\r\n\r\n")).await.unwrap();
        assert_eq!((answer.status(), answer.body().to_vec()), (200, format!("/after{n}").into_bytes()));
    }
    let direct = |request: &'static str| once(gateway.addr, request);
    assert_eq!(direct("GET /101 HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap().status(), 502);
    assert_eq!(direct("GET /x HTTP/1.1\r\n\r\n").await.unwrap().status(), 400);
    assert_eq!(direct("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").await.unwrap().status(), 400);
    assert_eq!(direct("GET /x HTTP/1.1\r\nHost: a@b\r\n\r\n").await.unwrap().status(), 400);
    assert_eq!(direct("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n").await.unwrap().status(), 501);
    // Another major version than 1: 505 (RFC 9110 §15.6.6), at the gateway and the proxy.
    for version in ["HTTP/2.0", "HTTP/0.9"] {
        let request = format!("GET /x {version}\r\nHost: t\r\n\r\n");
        assert_eq!(once(gateway.addr, &request).await.unwrap().status(), 505, "{version}");
        assert_eq!(once(proxy.addr, &request).await.unwrap().status(), 505, "{version}");
    }
    // A malformed request: 400 after the answers owed before it, and the connection closed.
    let mut client = Client::connect(gateway.addr).await;
    client.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\nGET /x HTTP/1.1\r\nHost : t\r\n\r\n").await;
    assert_eq!(client.response().await.unwrap().body(), "/first");
    assert_eq!(client.response().await.unwrap().status(), 400);
    assert!(client.closed().await);
    assert_eq!(direct("GET /x HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap().body(), "/x");
}

/// A peer on the link that answers the first link's first request with a 101 (which ends a
/// compact response stream, SPEC.md §13.3), and every other request with `200 ok`. The proxy
/// can read nothing more from that link: it counts it lost (502 for what was in flight) and
/// opens another, rather than waiting on it for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_101_on_the_link_loses_the_link_not_the_proxy() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fake = tokio::spawn(async move {
        let mut first = true;
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let switch = std::mem::take(&mut first);
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut answered = 0;
                let mut piece = [0u8; 4096];
                while let Ok(n @ 1..) = socket.read(&mut piece).await {
                    seen.extend_from_slice(&piece[..n]);
                    let issued = seen.split(|&b| b == b'\n').filter(|line| line.starts_with(b"-:")).count();
                    for _ in answered..issued {
                        let answer: &[u8] = if switch {
                            b"C:101 Switching Protocols\r\nV:HTTP/1.1\r\n-:\r\n"
                        } else {
                            b"C:200 OK\r\nV:HTTP/1.1\r\n+: 2\r\nok"
                        };
                        if socket.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                    answered = issued;
                }
            });
        }
    });
    let _fake = AbortOnDrop(fake);
    let proxy = start_proxy(addr, config()).await;
    let get = "GET /a HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_eq!(once(proxy.addr, get).await.unwrap().status(), 502);
    let next = once(proxy.addr, get).await.unwrap();
    assert_eq!((next.status(), next.body().to_vec()), (200, b"ok".to_vec()));
}

/// An HTTP/1.0 client never gets a chunked answer (RFC 9112 §6.1): the proxy frames it by its
/// length; a connection it keeps open says `Connection: keep-alive`; and an HTTP/1.0
/// `Expect: 100-continue` is ignored (RFC 9110 §10.1.1): no 100, the final answer only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_1_0_client_gets_no_chunked_answer_and_no_100() {
    let (_upstream, gateway, proxy) = rogue_pair().await;
    let mut client = Client::connect(proxy.addr).await;
    for _ in 0..2 {
        client.send("GET /chunked HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n").await;
        let answer = client.response().await.unwrap();
        assert_eq!((answer.head().framing(), &answer.body()[..]), (Framing::Length(5), &b"hello"[..]));
        assert!(answer.head().headers().iter().any(|l| l == b"Connection: keep-alive"));
    }
    client.send("GET /chunked HTTP/1.0\r\nHost: t\r\n\r\n").await;
    assert_eq!(client.response().await.unwrap().head().framing(), Framing::Length(5));
    assert!(client.closed().await);
    // HTTP/1.1 still gets the chunked answer as it came.
    let chunked = once(proxy.addr, "GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    assert_eq!(chunked.head().framing(), Framing::Chunked);
    // The gateway's own plain clients too.
    let mut direct = Client::connect(gateway.addr).await;
    direct.send("GET /chunked HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n").await;
    let answer = direct.response().await.unwrap();
    assert_eq!((answer.head().framing(), &answer.body()[..]), (Framing::Length(5), &b"hello"[..]));
    assert!(answer.head().headers().iter().any(|l| l == b"Connection: keep-alive"));

    let pair = pair(config()).await;
    let mut client = Client::connect(pair.proxy.addr).await;
    client.send("POST /upload HTTP/1.0\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok").await;
    let answer = client.response().await.unwrap();
    assert_eq!((answer.status(), &answer.body()[..]), (200, &b"got 2 bytes: ok"[..]));
}

/// The idle timeout counts between requests from the last answer written, not from the last
/// request: an answer slower than the timeout (300 ms against 200) keeps its connection, the
/// next request on it is served, and a client idle past the timeout after its answer is
/// closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_time_counts_from_the_last_answer() {
    let idle_timeout = Duration::from_millis(200);
    let pair = pair(Config { idle_timeout, ..config() }).await;
    let mut client = Client::connect(pair.proxy.addr).await;
    client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(client.response().await.unwrap().body(), "slow");
    client.send("GET /file HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(client.response().await.unwrap().body(), "hello, world\n");
    let answered = std::time::Instant::now();
    assert!(client.closed().await);
    assert!(answered.elapsed() >= idle_timeout - Duration::from_millis(20), "{:?}", answered.elapsed());
}

/// An upstream that closes in the middle of an answer: 502 for that request; the pipelined
/// GET behind it, of whose answer no byte came, is sent again on a new connection, as the
/// gateway's help says of an idempotent request dropped unanswered (RFC 9112 §9.3.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_behind_an_answer_cut_short_is_sent_again() {
    let (_upstream, _gateway, proxy) = rogue_pair().await;
    let mut client = Client::connect(proxy.addr).await;
    client.send("GET /cut HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(client.response().await.unwrap().status(), 502);
    let after = client.response().await.unwrap();
    assert_eq!((after.status(), &after.body()[..]), (200, &b"/after"[..]));
}

/// The gateway's count of upstream connections goes back down when the connection that
/// used them closes (it only grew: an aborted task skipped the count).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_connections_are_counted_down_when_their_client_goes() {
    let pair = pair(config()).await;
    for _ in 0..3 {
        assert_eq!(once(pair.gateway.addr, "GET /file HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap().status(), 200);
    }
    // The proxy's link holds one upstream connection at most; the plain clients' are gone.
    until(|| pair.gateway.stats.links_up.load(Relaxed) <= 1).await;
}

/// A quiet proxy keeps its link: it opens the link with its first request (a link that sent
/// nothing was closed at the gateway's header timeout, over and over, and a request written
/// as that happened was lost with it), and a link in use is never closed for being idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_link_is_neither_closed_nor_lost() {
    let short = Config { header_timeout: Duration::from_millis(100), ..config() };
    let pair = pair(short).await;
    let get = "GET /file HTTP/1.1\r\nHost: t\r\n\r\n";
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(pair.proxy.stats.links_up.load(Relaxed), 0, "no link before a request needs one");
    for _ in 0..3 {
        assert_eq!(once(pair.proxy.addr, get).await.unwrap().status(), 200);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(pair.proxy.stats.links_up.load(Relaxed), 1);
    }
    assert_eq!(pair.proxy.stats.errors.load(Relaxed), 0, "no link lost");
    assert_eq!(pair.gateway.stats.links_up.load(Relaxed), 1);
    // At the gateway the header timeout counts from a connection's first byte, as its help
    // says: before it, the connection is idle.
    let mut late = Client::connect(pair.gateway.addr).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    late.send(get).await;
    assert_eq!(late.response().await.unwrap().status(), 200);
}

/// Interim answers (1xx) reach the client ahead of the final one, as a proxy must forward them
/// (RFC 9110 §15.2), through the link and at the gateway's plain port, their hop-by-hop
/// fields removed; at most `MAX_INTERIM` (8) a request; none to an HTTP/1.0 client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interim_answers_go_ahead_of_the_final_one() {
    let (_upstream, gateway, proxy) = rogue_pair().await;
    for addr in [proxy.addr, gateway.addr] {
        let mut client = Client::connect(addr).await;
        client.send("GET /hints HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n").await;
        let early = client.response().await.unwrap();
        assert_eq!(early.status(), 103);
        let lines: Vec<&[u8]> = early.head().headers().iter().collect();
        assert_eq!(lines, [&b"Link: </s.css>; rel=preload"[..]], "hop-by-hop fields removed");
        assert_eq!(client.response().await.unwrap().body(), "/hints");
        assert_eq!(client.response().await.unwrap().body(), "/after");

        let mut client = Client::connect(addr).await;
        client.send("GET /hints20 HTTP/1.1\r\nHost: t\r\n\r\n").await;
        for _ in 0..8 {
            assert_eq!(client.response().await.unwrap().status(), 103);
        }
        assert_eq!(client.response().await.unwrap().body(), "/hints20");

        let mut client = Client::connect(addr).await;
        client.send("GET /hints HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n").await;
        let answer = client.response().await.unwrap();
        assert_eq!((answer.status(), &answer.body()[..]), (200, &b"/hints"[..]));
    }
}

/// An upstream that answers with interim responses without end breaks that answer once it has
/// sent more than a request ever gets (64): 502, and the link goes on, with the request behind
/// it answered. Before, the bytes kept coming, so no timeout fired, and the link's answers
/// waited behind it for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interim_answers_without_end_get_502_and_the_link_goes_on() {
    let (_upstream, gateway, proxy) = rogue_pair().await;
    for addr in [proxy.addr, gateway.addr] {
        let mut client = Client::connect(addr).await;
        client.send("GET /hints-endless HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n").await;
        let broken = tokio::time::timeout(Duration::from_secs(5), client.response()).await;
        assert_eq!(broken.expect("answered, not left waiting").unwrap().status(), 502);
        let after = tokio::time::timeout(Duration::from_secs(5), client.response()).await.unwrap().unwrap();
        assert_eq!((after.status(), &after.body()[..]), (200, &b"/after"[..]));
        let next = once(addr, "GET /next HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
        assert_eq!((next.status(), &next.body()[..]), (200, &b"/next"[..]));
    }
}

/// Interim answers are no progress: an upstream that sends a 103 every 100 ms gets 504 once
/// the upstream timeout has passed since the first of them (before, each reset the timeout,
/// and only the 65th broke the answer: 64 times the timeout, an hour at the default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interim_answers_do_not_hold_a_request_past_the_upstream_timeout() {
    let (upstream, _task) = rogue_upstream().await;
    let timeout = Duration::from_millis(300);
    let gateway = start_gateway(upstream, None, Config { upstream_timeout: timeout, ..config() }).await;
    let proxy = start_proxy(gateway.addr, config()).await;
    for addr in [proxy.addr, gateway.addr] {
        let started = std::time::Instant::now();
        let answer =
            tokio::time::timeout(Duration::from_secs(3), once(addr, "GET /hints-slow HTTP/1.1\r\nHost: t\r\n\r\n"))
                .await
                .expect("answered within 3 s");
        assert_eq!(answer.unwrap().status(), 504);
        assert!(started.elapsed() >= timeout, "{:?}", started.elapsed());
        let next = once(addr, "GET /next HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
        assert_eq!((next.status(), &next.body()[..]), (200, &b"/next"[..]));
    }
}

/// At the gateway's plain port, as at the proxy, a request that waits for `100 Continue`
/// before its body gets it at once (it waited a second for nothing, as curl does for a body
/// over 1 MiB), and the upstream is not asked again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_answers_expect_100_continue_to_its_plain_clients() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pair = pair(config()).await;
    for addr in [pair.gateway.addr, pair.proxy.addr] {
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        for _ in 0..2 {
            socket
                .write_all(b"POST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
                .await
                .unwrap();
            let mut got = [0u8; 25];
            tokio::time::timeout(Duration::from_millis(900), socket.read_exact(&mut got)).await.unwrap().unwrap();
            assert_eq!(&got, b"HTTP/1.1 100 Continue\r\n\r\n");
            socket.write_all(b"ok").await.unwrap();
            let mut head = [0u8; 15];
            socket.read_exact(&mut head).await.unwrap();
            assert_eq!(&head, b"HTTP/1.1 200 OK");
            // The rest of the answer, up to its body (the test upstream's, a few lines).
            let mut rest = Vec::new();
            while !rest.ends_with(b"\r\n\r\n") {
                rest.push(socket.read_u8().await.unwrap());
            }
            let text = String::from_utf8_lossy(&rest).to_lowercase();
            let len: usize =
                text.split("content-length: ").nth(1).unwrap().split("\r\n").next().unwrap().parse().unwrap();
            let mut body = vec![0u8; len];
            socket.read_exact(&mut body).await.unwrap();
        }
    }
}

/// An upstream that takes a request and never answers: past the upstream timeout that request
/// gets 504 and its connection is closed (as nginx's proxy_read_timeout); the requests
/// pipelined behind it on that connection are handled as after a drop (the idempotent one
/// sent again and answered, the POST 502), and the link goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_never_answers_gets_504_after_the_upstream_timeout() {
    let (upstream, _task) = rogue_upstream().await;
    let timeout = Duration::from_millis(300);
    let gateway = start_gateway(upstream, None, Config { upstream_timeout: timeout, ..config() }).await;
    let proxy = start_proxy(gateway.addr, config()).await;
    let mut hung = Client::connect(proxy.addr).await;
    let started = std::time::Instant::now();
    hung.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n").await;
    // Behind it, on the same link and so the same upstream connection.
    let mut get = Client::connect(proxy.addr).await;
    get.send("GET /behind HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let mut post = Client::connect(proxy.addr).await;
    post.send("POST /behind HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx").await;
    let waited = tokio::time::timeout(Duration::from_secs(5), hung.response()).await;
    assert_eq!(waited.expect("answered, not left waiting").unwrap().status(), 504);
    assert!(started.elapsed() >= timeout, "{:?}", started.elapsed());
    let answer = get.response().await.unwrap();
    assert_eq!((answer.status(), &answer.body()[..]), (200, &b"/behind"[..]));
    assert_eq!(post.response().await.unwrap().status(), 502);
    let after = once(proxy.addr, "GET /after HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    assert_eq!((after.status(), &after.body()[..]), (200, &b"/after"[..]));
    // Time with nothing outstanding does not count: after twice the timeout idle, a request
    // is answered.
    tokio::time::sleep(timeout * 2).await;
    assert_eq!(once(proxy.addr, "GET /x HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap().status(), 200);
}

/// An upstream that neither accepts nor refuses a connect (here a listener whose backlog is
/// full and that never accepts: the kernel drops the SYNs, as a firewall that drops packets
/// does) gives the request 504 once the upstream timeout has passed, as nginx's
/// proxy_connect_timeout does, not after the kernel's two minutes of SYN retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connect_the_upstream_never_completes_gets_504_after_the_upstream_timeout() {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let upstream = listener.local_addr().unwrap();
    // Fill the backlog: connects complete until it is full, then hang.
    let mut held = Vec::new();
    let hangs = loop {
        match tokio::time::timeout(Duration::from_millis(200), tokio::net::TcpStream::connect(upstream)).await {
            Ok(stream) => held.push(stream.unwrap()),
            Err(_) => break true,
        }
        if held.len() > 8 {
            break false;
        }
    };
    assert!(hangs, "a connect to a full backlog completed {} times", held.len());
    let timeout = Duration::from_millis(300);
    let gateway = start_gateway(upstream, None, Config { upstream_timeout: timeout, ..config() }).await;
    let proxy = start_proxy(gateway.addr, config()).await;
    let started = std::time::Instant::now();
    let answer =
        tokio::time::timeout(Duration::from_secs(5), once(proxy.addr, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n")).await;
    assert_eq!(answer.expect("answered, not left waiting").unwrap().status(), 504);
    assert!(started.elapsed() >= timeout, "{:?}", started.elapsed());
    drop(listener);
}

/// A link that sends nothing back while a request waits (a frozen gateway, a network gone
/// quiet: TCP notices neither for many minutes) is taken as lost after the link timeout: 502
/// for what is in flight, and a new link for the next request. Time with nothing in flight
/// does not count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_silent_while_requests_wait_is_lost_after_the_link_timeout() {
    use tokio::io::AsyncReadExt;
    let link_timeout = Duration::from_millis(300);
    // A gateway that takes everything and answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let links = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let opened = links.clone();
    let _frozen = AbortOnDrop(tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            opened.fetch_add(1, Relaxed);
            tokio::spawn(async move {
                let mut sink = [0u8; 4096];
                while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    }));
    let proxy = start_proxy(addr, Config { link_timeout, ..config() }).await;
    for n in 1..=2 {
        let started = std::time::Instant::now();
        let waited =
            tokio::time::timeout(Duration::from_secs(5), once(proxy.addr, "GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(waited.await.expect("answered, not left waiting").unwrap().status(), 502);
        assert!(started.elapsed() >= link_timeout, "{:?}", started.elapsed());
        assert_eq!(links.load(Relaxed), n, "a new link for each");
    }

    // A real pair with the same timeout: quiet time between requests costs no link.
    let pair = pair(Config { link_timeout, ..config() }).await;
    for _ in 0..3 {
        assert_eq!(once(pair.proxy.addr, "GET /file HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap().status(), 200);
        tokio::time::sleep(link_timeout * 2).await;
    }
    assert_eq!(pair.proxy.stats.errors.load(Relaxed), 0);
}

/// An upstream that sent an interim answer and then closed had begun to answer: the request is
/// not sent again (only one that got no byte of its answer may be), and gets 502.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_answer_began_with_an_interim_is_not_sent_again() {
    let (upstream, _task) = rogue_upstream().await;
    let gateway = start_gateway(upstream, None, config()).await;
    let answer = once(gateway.addr, "GET /hint-then-close HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    assert_eq!(answer.status(), 502);
    assert_eq!(HINT_THEN_CLOSE.load(Relaxed), 1, "sent once");
}

/// A plain client's *first* request that cannot be read gets the same answer at the
/// gateway's plain port as at the proxy (and as a later one does): 400 for a malformed head,
/// 413 for a body over --max-body, 431 for more field lines than the limit (RFC 6585 §5),
/// then the connection closes; a start in neither syntax gets 400 at the gateway too. The
/// first request is read while the connection is negotiated (`link::accept`), which answers
/// it; before, the gateway closed such a connection without a word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_request_that_cannot_be_read_is_answered_at_the_gateway_as_at_the_proxy() {
    let small = Config { limits: streamline::Limits::default().max_body(16), max_buffered: 1 << 20, ..config() };
    let upstream = Upstream::start(None).await;
    let gateway = start_gateway(upstream.addr, None, small.clone()).await;
    let proxy = start_proxy(gateway.addr, small).await;
    let big = "x".repeat(100);
    let cases = [
        ("GET /x HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n".to_string(), 400),
        ("GET /x HTTP/1.1\r\nHost : t\r\n\r\n".to_string(), 400),
        (format!("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{big}"), 413),
        (format!("GET /x HTTP/1.1\r\nHost: t\r\n{}\r\n", "X-N: n\r\n".repeat(300)), 431),
        ("\0\0\0\0\r\n\r\n".to_string(), 400),
        ("GET\t/x HTTP/1.1\r\nHost: t\r\n\r\n".to_string(), 400),
    ];
    for (request, status) in cases {
        for (at, addr) in [("gateway", gateway.addr), ("proxy", proxy.addr)] {
            let mut client = Client::connect(addr).await;
            client.send(&request).await;
            let answer = client.response().await.unwrap_or_else(|| panic!("{at}: no answer to {request:?}"));
            assert_eq!(answer.status(), status, "{at}: {request:?}");
            assert!(client.closed().await, "{at}: {request:?}");
        }
    }
    // The port goes on serving.
    assert_eq!(once(gateway.addr, "GET /file HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap().status(), 200);
}

/// A plain client at the gateway whose body is over --max-body gets 413, as at the proxy (a
/// malformed request 400), after the answers it is owed, and its connection closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_at_the_gateways_plain_port_gets_413() {
    let small = Config { limits: streamline::Limits::default().max_body(16), max_buffered: 1 << 20, ..config() };
    let upstream = Upstream::start(None).await;
    let gateway = start_gateway(upstream.addr, None, small).await;
    let mut client = Client::connect(gateway.addr).await;
    let big = "x".repeat(100);
    client
        .send(&format!(
            "GET /file HTTP/1.1\r\nHost: t\r\n\r\nPOST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{big}"
        ))
        .await;
    assert_eq!(client.response().await.unwrap().status(), 200);
    let refused = client.response().await.unwrap();
    assert_eq!(refused.status(), 413);
    assert!(client.closed().await);
}
