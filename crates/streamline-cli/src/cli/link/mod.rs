//! `streamline bench --link`: the codec on a live loopback link beside hyper's HTTP/1.1 and
//! HTTP/2, one peer after the other, each a client thread and a server thread of this
//! process (see `bench --help`, "Live link").

mod harness;
mod peers;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use hdrhistogram::Histogram;
use serde_json::{json, Value};

use self::harness::{waited_for_cpu, Cpu, Pace, Stamps};
use self::peers::{ClientEnd, ServerEnd};
use crate::cli::args::{BenchArgs, BenchFormat, LinkPeer};
use crate::cli::cmd::bench::{print_json, say, tenths};
use crate::cli::output::group;
use crate::cli::source::OPRA_PAYLOAD;

/// Body bytes of the acknowledgement (`OK` LF).
const ACK_PAYLOAD: usize = harness::ACK_BODY.len();

/// Runs every peer of `--peers` and prints the table (or the JSON object).
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.count == Some(0) {
        bail!("--count 0 sends nothing to measure");
    }
    let pace = Pace {
        rate: args.rate,
        count: args.count,
        duration: Duration::from_secs_f64(args.duration),
        in_flight: args.in_flight,
    };
    let json = args.format == BenchFormat::Json;
    let say = |text: String| say(json, &text);
    say(describe(args, &pace))?;
    say(header(pace.rate.is_some()))?;
    let mut rows = Vec::new();
    for &peer in &args.peers {
        let row =
            measure(peer, pace, args.hyper1_connections).with_context(|| format!("bench --link: {}", id(peer)))?;
        say(row.line(pace.rate))?;
        rows.push(row);
    }
    say(footnotes(&rows, pace.rate.is_some()))?;
    if !json {
        return Ok(());
    }
    let report = json!({
        "schema": "streamline-bench-link/1",
        "transport": "TCP over 127.0.0.1, Nagle off; client and server one thread each, a current-thread tokio runtime",
        "request_body_bytes": OPRA_PAYLOAD,
        "ack_body_bytes": ACK_PAYLOAD,
        "rate": pace.rate,
        "count": pace.count,
        "duration_s": if pace.count.is_none() { Some(pace.duration.as_secs_f64()) } else { None },
        "in_flight": pace.in_flight,
        "hyper1_connections": args.hyper1_connections,
        "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "runs": rows.iter().map(|row| row.json(pace.rate)).collect::<Vec<_>>(),
    });
    print_json(&report)
}

/// The peer's name in `--peers` and the JSON.
fn id(peer: LinkPeer) -> &'static str {
    match peer {
        LinkPeer::Compact => "compact",
        LinkPeer::Plain => "plain",
        LinkPeer::Hyper1 => "hyper1",
        LinkPeer::H2 => "h2",
    }
}

/// What the peer is, in full.
fn name(peer: LinkPeer, connections: usize, in_flight: u64) -> String {
    match peer {
        LinkPeer::Compact => {
            format!("streamline-tokio, compact, 1 connection, pipelined, {} in flight", group(in_flight))
        }
        LinkPeer::Plain => {
            format!("streamline-tokio, plain HTTP/1.1, 1 connection, pipelined, {} in flight", group(in_flight))
        }
        LinkPeer::Hyper1 => format!(
            "hyper HTTP/1.1, {} connection{}, 1 in flight on each (hyper's client does not pipeline)",
            group(connections as u64),
            if connections == 1 { "" } else { "s" }
        ),
        LinkPeer::H2 => format!("hyper HTTP/2, 1 connection, {} streams in flight", group(in_flight)),
    }
}

/// One peer's figures.
struct Row {
    peer: LinkPeer,
    name: String,
    client: ClientEnd,
    server: ServerEnd,
    /// CPU time of the process, of the client's thread and of the server's thread.
    cpu: [Option<Duration>; 3],
    /// How long the client's and the server's threads waited for a CPU while runnable.
    waited: [Option<Duration>; 2],
}

/// Runs one peer: a server thread and a client thread, each with a current-thread runtime.
fn measure(peer: LinkPeer, pace: Pace, connections: usize) -> Result<Row> {
    let (pace, connections) = match peer {
        LinkPeer::Hyper1 => (Pace { in_flight: connections as u64, ..pace }, connections),
        _ => (pace, 1),
    };
    let stamps = Arc::new(Stamps::new(pace.in_flight, pace.rate));
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot listen on 127.0.0.1")?;
    listener.set_nonblocking(true)?;
    let addr: SocketAddr = listener.local_addr()?;
    let process = Cpu::Process.used();
    let server = {
        let stamps = stamps.clone();
        on_thread("link-server", move || peers::server(peer, listener, stamps, pace.in_flight, connections))?
    };
    let client = on_thread("link-client", move || peers::client(peer, addr, pace, stamps, connections))?;
    let client = joined(client, "client");
    let server = joined(server, "server");
    let process = Cpu::Process.used().zip(process).map(|(after, before)| after.saturating_sub(before));
    let ((client, client_cpu, client_waited), (server, server_cpu, server_waited)) = match (client, server) {
        (Ok(client), Ok(server)) => (client, server),
        (Err(err), _) | (_, Err(err)) => return Err(err),
    };
    if server.received.requests != client.sent {
        bail!("the server read {} requests of {} sent", group(server.received.requests), group(client.sent));
    }
    Ok(Row {
        peer,
        name: name(peer, connections, pace.in_flight),
        client,
        server,
        cpu: [process, client_cpu, server_cpu],
        waited: [client_waited, server_waited],
    })
}

/// What a thread gave, the CPU time it used, and how long it waited for a CPU.
type Timed<T> = (T, Option<Duration>, Option<Duration>);

/// Runs the future `start` makes on a new thread, on a current-thread runtime of its own (its
/// tasks need not be `Send`); gives its result, the thread's CPU time and its wait for a CPU.
fn on_thread<T, F>(
    name: &str,
    start: impl FnOnce() -> F + Send + 'static,
) -> Result<std::thread::JoinHandle<Result<Timed<T>>>>
where
    T: Send + 'static,
    F: Future<Output = Result<T>>,
{
    let thread = std::thread::Builder::new().name(name.into()).spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let local = tokio::task::LocalSet::new();
        let (before, waited) = (Cpu::Thread.used(), waited_for_cpu());
        let out = local.block_on(&runtime, start())?;
        let since =
            |after: Option<Duration>, before| after.zip(before).map(|(a, b): (_, Duration)| a.saturating_sub(b));
        Ok((out, since(Cpu::Thread.used(), before), since(waited_for_cpu(), waited)))
    });
    thread.context("cannot start a thread")
}

fn joined<T>(thread: std::thread::JoinHandle<Result<T>>, side: &str) -> Result<T> {
    thread.join().map_err(|_| anyhow!("the {side} thread panicked"))?.with_context(|| format!("the {side}"))
}

/// A quantile of nanoseconds in µs (`1.0`: the max).
fn quantile(histogram: &Histogram<u64>, q: f64) -> f64 {
    let ns = if q >= 1.0 { histogram.max() } else { histogram.value_at_quantile(q) };
    ns as f64 / 1000.0
}

impl Row {
    fn messages(&self) -> u64 {
        self.client.sent
    }

    fn seconds_to(&self, end: u64) -> f64 {
        end.saturating_sub(self.client.start) as f64 / 1e9
    }

    /// Requests read by the server a second, over the time from the first send to the last read.
    fn requests_per_second(&self) -> f64 {
        self.messages() as f64 / self.seconds_to(self.server.received.last)
    }

    /// Acknowledgements read by the client a second, over the time from the first send to the
    /// last read.
    fn acks_per_second(&self) -> f64 {
        self.messages() as f64 / self.seconds_to(self.client.last_ack)
    }

    fn latency(&self) -> &Histogram<u64> {
        &self.server.received.latency
    }

    /// A latency quantile in µs (`1.0`: the max).
    fn micros(&self, q: f64) -> f64 {
        quantile(self.latency(), q)
    }

    /// Wire bytes per message: requests, acknowledgements.
    fn per_message(&self) -> (f64, f64) {
        let n = self.messages() as f64;
        (self.client.written as f64 / n, self.server.written as f64 / n)
    }

    /// CPU µs per message: process, client thread, server thread.
    fn cpu_micros(&self) -> [Option<f64>; 3] {
        self.cpu.map(|cpu| cpu.map(|cpu| cpu.as_secs_f64() * 1e6 / self.messages() as f64))
    }

    /// A paced run kept up: the server read the requests at 99 % of the rate at least.
    fn kept_up(&self, rate: Option<f64>) -> Option<bool> {
        rate.map(|rate| self.requests_per_second() >= 0.99 * rate)
    }

    fn line(&self, rate: Option<f64>) -> String {
        let (request, ack) = self.per_message();
        let cpu = self.cpu_micros().map(|cpu| cpu.map_or_else(|| "-".to_string(), |v| format!("{v:.2}")));
        let mut line = format!(
            "{:<8}{:>12}{:>12}{:>12}{:>9}{:>9}{:>9}{:>10}{:>8}{:>7}{:>8}{:>7}{:>7}{:>7}{:>7}",
            id(self.peer),
            group(self.messages()),
            group(self.requests_per_second().round() as u64),
            group(self.acks_per_second().round() as u64),
            tenths(self.micros(0.5)),
            tenths(self.micros(0.99)),
            tenths(self.micros(0.999)),
            tenths(self.micros(1.0)),
            tenths(request),
            tenths(request - OPRA_PAYLOAD as f64),
            tenths(ack),
            tenths(ack - ACK_PAYLOAD as f64),
            cpu[0],
            cpu[1],
            cpu[2],
        );
        if let Some(kept) = self.kept_up(rate) {
            let kept = if kept { "yes" } else { "no" };
            let late = quantile(&self.server.received.from_due, 0.999);
            line.push_str(&format!("{kept:>6}{:>9}{:>10}", group(self.client.backlog), tenths(late)));
        }
        line.push('\n');
        line
    }

    fn json(&self, rate: Option<f64>) -> Value {
        let (request, ack) = self.per_message();
        let [process, client, server] = self.cpu_micros();
        json!({
            "id": id(self.peer),
            "name": self.name,
            "messages": self.messages(),
            "requests_read": self.server.received.requests,
            "acks_read": self.client.acked,
            "seconds": self.seconds_to(self.client.last_ack),
            "requests_per_second": self.requests_per_second(),
            "acks_per_second": self.acks_per_second(),
            "latency_us": {
                "p50": self.micros(0.5),
                "p99": self.micros(0.99),
                "p99_9": self.micros(0.999),
                "max": self.micros(1.0),
            },
            "wire_bytes": {
                "requests": self.client.written,
                "acks": self.server.written,
                "per_request": request,
                "per_ack": ack,
                "request_head": request - OPRA_PAYLOAD as f64,
                "ack_head": ack - ACK_PAYLOAD as f64,
            },
            "cpu_us_per_message": { "process": process, "client_thread": client, "server_thread": server },
            "waited_for_cpu_ms": {
                "client_thread": self.waited[0].map(|d| d.as_secs_f64() * 1e3),
                "server_thread": self.waited[1].map(|d| d.as_secs_f64() * 1e3),
            },
            "kept_up": self.kept_up(rate),
            "backlog_max": rate.map(|_| self.client.backlog),
            "latency_from_due_us": rate.map(|_| {
                let at = |q| quantile(&self.server.received.from_due, q);
                json!({ "p50": at(0.5), "p99": at(0.99), "p99_9": at(0.999), "max": at(1.0) })
            }),
        })
    }
}

/// The run's set-up, before the table.
fn describe(args: &BenchArgs, pace: &Pace) -> String {
    let length = match pace.count {
        Some(n) => format!("{} messages per peer", group(n)),
        None => format!("{:.1} s per peer", pace.duration.as_secs_f64()),
    };
    let speed = match pace.rate {
        Some(rate) => format!("paced at {} msg/s", group(rate.round() as u64)),
        None => "flat out".into(),
    };
    let mut text = format!(
        "live link: TCP over 127.0.0.1 (Nagle off), {length}, {speed}; client and server one thread each \
(a current-thread tokio runtime), {} CPUs\n  \
requests: OPRA quotes, {OPRA_PAYLOAD}-byte bodies; acks: nginx-like 200, {ACK_PAYLOAD}-byte body\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    for &peer in &args.peers {
        text.push_str(&format!("  {:<8}{}\n", id(peer), name(peer, args.hyper1_connections, args.in_flight)));
    }
    text
}

fn header(paced: bool) -> String {
    let mut top = format!(
        "\n{:<8}{:>12}{:>24}{:>37}{:>30}{:>21}",
        "", "", "messages/s", "one-way latency, µs", "wire bytes/message", "CPU µs/message"
    );
    let mut bottom = format!(
        "{:<8}{:>12}{:>12}{:>12}{:>9}{:>9}{:>9}{:>10}{:>8}{:>7}{:>8}{:>7}{:>7}{:>7}{:>7}",
        "peer",
        "messages",
        "requests",
        "acks",
        "p50",
        "p99",
        "p99.9",
        "max",
        "request",
        "head",
        "ack",
        "head",
        "all",
        "client",
        "server"
    );
    if paced {
        top.push_str(&format!("{:>25}", "paced: from due, µs"));
        bottom.push_str(&format!("{:>6}{:>9}{:>10}", "kept", "backlog", "p99.9"));
    }
    format!("{top}\n{bottom}\n")
}

/// The notes under the table: what the columns mean, and the ratios of the compact row to
/// hyper's.
fn footnotes(rows: &[Row], paced: bool) -> String {
    let mut text = "\nrequests/s, acks/s: messages over the time from the first send to the last request (ack) read. \
latency: from the client handing\nthe request over to the server having read it whole. wire bytes: all each side wrote \
(set-up included) over the messages;\nhead: minus the body. CPU: getrusage user + system over the messages (the client \
spins when paced).\n"
        .to_string();
    if paced {
        text.push_str(
            "paced: kept up if requests/s reached 99 % of the rate; backlog: the most messages due and not sent at a \
clock read\n(the window full, or the client late); from due: latency from each message's due time, the client's \
lateness included.\n",
        );
    }
    for row in rows {
        if let [Some(client), Some(server)] = row.waited {
            text.push_str(&format!(
                "{}: runnable but waiting for a CPU (/proc/thread-self/schedstat): client {:.1} ms, server {:.1} ms \
of {:.1} s\n",
                id(row.peer),
                client.as_secs_f64() * 1e3,
                server.as_secs_f64() * 1e3,
                row.seconds_to(row.client.last_ack),
            ));
        }
    }
    let rate = |peer| rows.iter().find(|r| r.peer == peer).map(Row::requests_per_second);
    if let Some(compact) = rate(LinkPeer::Compact) {
        let ratios: Vec<String> = [(LinkPeer::Plain, "plain"), (LinkPeer::Hyper1, "hyper1"), (LinkPeer::H2, "h2")]
            .into_iter()
            .filter_map(|(peer, name)| rate(peer).map(|other| format!("{:.2}x {name}", compact / other)))
            .collect();
        if !ratios.is_empty() {
            text.push_str(&format!("compact requests/s: {}\n", ratios.join(", ")));
        }
    }
    text
}
