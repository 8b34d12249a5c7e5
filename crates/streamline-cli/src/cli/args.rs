//! The command line: one struct per subcommand, doc comments are the help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use streamline::{Encoder, Limits, Window};

/// Translate HTTP/1.1 request and response streams to and from the compact streamline
/// encoding, and measure what it saves on real traffic.
///
/// A stream of plain HTTP/1.1 requests (pipelined, one connection) becomes a stream of short
/// opcode lines that only state what changed: a feed whose requests repeat their head costs
/// `+: 66\r\n` (7 bytes) per message instead of the whole head (147 bytes for the OPRA-style
/// quotes of the built-in feed). The responses of a connection are encoded the same way: a
/// steady acknowledgement costs `+:\r\n` (4 bytes). Every command tells the direction from the
/// first bytes: a plain response stream starts with `HTTP/`, a compact one with `C:`.
///
/// Exit status: 0 success; 1 the input was rejected (the message names the file, line, byte
/// offset, what was found and what was expected); 2 usage or I/O error; 130 interrupted by
/// SIGINT, SIGTERM or SIGHUP (`-o FILE` is left as it was; standard output gets every whole
/// request read). A closed output pipe (`| head`) ends quietly with status 0.
#[derive(Debug, Parser)]
#[command(name = "streamline", version, propagate_version = true, max_term_width = 100)]
#[command(after_long_help = "\
Examples:
  streamline report                                  # the overhead table on the built-in OPRA feed
  streamline gen opra --count 1000 -o feed.http      # a synthetic capture
  streamline encode feed.http -o feed.shttp          # plain -> compact
  streamline decode feed.shttp | head -c 300         # compact -> plain
  streamline report feed.http --format json          # the same table for scripts
  streamline encode acks.http --requests feed.http   # responses -> compact
  streamline bench --rate 1000000                    # codec speed and latency under load
  streamline gateway --listen 127.0.0.1:7000 --upstream 127.0.0.1:8080   # links in, plain out
  streamline proxy --listen 127.0.0.1:3128 --link 127.0.0.1:7000         # plain in, one link out")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Encode(EncodeArgs),
    Decode(DecodeArgs),
    Report(ReportArgs),
    Gen(GenArgs),
    Bench(BenchArgs),
    Gateway(GatewayArgs),
    Proxy(ProxyArgs),
}

/// Plain HTTP/1.1 requests or responses in, compact encoding out.
///
/// Reads FILE (or standard input) as a stream of pipelined HTTP/1.1 requests of one
/// connection, and writes the compact encoding of the same requests. The input is read in
/// 64 KiB pieces and bodies pass straight through, so memory stays bounded whatever the input
/// size. The encoder holds back a window of requests (--window-requests, --window-bytes) to
/// plan each one knowing what follows; `--window-requests 0 --window-bytes 0` writes each
/// request as soon as it is read.
///
/// A plain response stream (it starts with `HTTP/`: the server's side of a connection) is
/// encoded the same way, with the same options, into a compact response stream (it starts
/// with `C:`). How a response is framed depends on the request it answers (RFC 9112 §6.3): a
/// response to HEAD has no body whatever its Content-Length says, and a 2xx to CONNECT ends
/// the HTTP stream. --requests FILE gives the request stream the responses answer, read
/// alongside them; without it every response is read as the answer to a method that is
/// neither HEAD nor CONNECT (a 1xx, 204 or 304 has no body either way). A response without
/// Content-Length or Transfer-Encoding runs to the end of the input. After a 101 (or a 2xx to
/// CONNECT) the connection is no longer HTTP/1.1: the responses before it are encoded, and
/// the error says how many bytes follow.
///
/// The plain reader is strict: CRLF line ends, a single Content-Length or a single
/// `Transfer-Encoding: chunked`, no obsolete line folding. On rejected input everything
/// encoded before the fault is written and flushed, then the error names the line and byte.
///
/// A pcap or pcapng capture (told by its magic number) holds many connections: each TCP flow
/// whose client sends HTTP/1.1 is encoded into a file of its own in the directory -o DIR
/// (created if need be), named after its endpoints, CLIENTADDR_PORT-SERVERADDR_PORT.shttp
/// (as in 127.0.0.1_41001-127.0.0.1_8080.shttp). Only the client-to-server direction (the
/// requests) is encoded. Flows that are not HTTP are skipped
/// with a note; a flow with lost bytes is encoded up to them.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  streamline encode capture.http -o capture.shttp
  streamline encode acks.http --requests feed.http -o acks.shttp   # the responses to feed.http
  streamline encode traffic.pcapng -o flows/                  # one .shttp file per HTTP flow
  streamline gen opra --count 3 | streamline encode
  streamline encode --window-requests 0 --window-bytes 0 < live.http > live.shttp  # lowest latency")]
pub struct EncodeArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub answers: AnswersArgs,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub editing: EditArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub capture: CaptureArgs,
}

/// Compact encoding in, canonical plain HTTP/1.1 out.
///
/// Reads FILE (or standard input) in the compact syntax and writes every request in
/// canonical plain form: request line, header lines in their order, the framing field
/// (Content-Length or Transfer-Encoding: chunked) last, the empty line, the body. A compact
/// response stream (it starts with `C:`) gives the responses in canonical plain form alike,
/// status line first; it states each response's framing, so no request stream is needed.
/// The first line tells the direction, and a stream of one direction never reads the opcodes
/// of the other. Streams in bounded memory. On rejected input everything decoded before the
/// fault is written and flushed, then the error names the line and byte. A pcap or pcapng
/// capture is refused: `report` measures its flows, `encode -o DIR` writes them as compact
/// files.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  streamline decode capture.shttp -o capture.http
  streamline decode acks.shttp -o acks.http          # a compact response stream
  streamline decode - < capture.shttp | head -c 500")]
pub struct DecodeArgs {
    #[command(flatten)]
    pub io: IoArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Measure the bytes each encoding spends per message: plain HTTP/1.1, compact (also with
/// packed lines), HTTP/2, AMQP, Binary HTTP.
///
/// Reads each FILE as one connection (its own state; either syntax, detected from the first
/// bytes), or, for a pcap or pcapng capture (told by its magic number), each TCP flow in it
/// whose client speaks HTTP as one connection (its client-to-server direction: the requests),
/// and counts, for every request, the bytes each encoding needs beyond the body:
///
/// - plain HTTP/1.1: the canonical request head (and chunk framing, if chunked).
///
/// - compact: this project's encoder output, with the lookahead window of `encode`.
///
/// - compact (packed): the same with packed and static lines (`encode --pack`, SPEC.md §4.11,
///   §4.12).
///
/// - HTTP/2: HEADERS frames with the head mapped to HTTP/2 fields and compressed by a real HPACK
///   encoder whose dynamic table (4,096 bytes) lives as long as the connection, plus 9 bytes per
///   DATA frame (16,384 bytes at most each); the 24-byte preface and a 9-byte SETTINGS frame count
///   once, on the first message. The encoder does what Chrome's does: the cookie split into
///   crumbs, every field added to the table but the pseudo-headers other than :authority,
///   Huffman coding where shorter.
///
/// - AMQP 0-9-1: the minimum for basic.publish to the default exchange with the target as
///   routing key: method frame, content header frame without properties, body frames
///   (frame-max 131,072); no handshake.
///
/// - Binary HTTP (RFC 9292): each request as a known-length message written by the `bhttp`
///   crate, the HTTP/2 row's fields without content-length; stateless, so every message pays
///   its whole head.
///
/// Per encoding it prints: requests; mean body bytes; overhead per message (the first message
/// of each connection, then median, 99th percentile and maximum of the messages after it,
/// and the amortised mean over all); total bytes; the overhead as an increase over the body
/// bytes; and the bandwidth the feed needs at --rate messages per second, in MiB/s (2^20
/// bytes). Chunked bodies count their chunk data as body, their framing as overhead.
///
/// A response stream (plain: it starts with `HTTP/`; compact: with `C:`) is the server's side
/// of a connection, measured per response in its own table: plain HTTP/1.1 (status line,
/// header lines, chunk framing); compact (the encoder of `encode` for responses); HTTP/2 (a
/// HEADERS frame of `:status` and the fields, compressed by the same HPACK encoder with the
/// same policy, DATA frames for the body; a response without a body, such as the answer to a
/// HEAD, a 204 or a 304, ends its stream on HEADERS; the server's 9-byte SETTINGS frame once);
/// and Binary HTTP (a known-length response). AMQP is left out for responses: a basic.publish
/// has no reply, so that row would measure nothing a broker sends.
///
/// --requests REQUESTS names the request stream the response FILE answers: both are then
/// measured as the two directions of one connection, the request table, the response table,
/// and the bytes each way in each encoding measured both ways. The requests also frame the
/// responses right (a response to HEAD has no body whatever its Content-Length says, a 2xx to
/// CONNECT ends the HTTP stream); without --requests, a plain response stream is read as the
/// answers to methods that are neither HEAD nor CONNECT. Files of both directions may also be
/// given side by side (each its own connection): each direction gets its table.
///
/// With no FILE it measures the built-in OPRA-style feed: 1,000,000 quotes with 66-byte
/// bodies, generated in memory (the same bytes as `streamline gen opra --count 1000000`).
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  streamline report                                    # built-in OPRA feed
  streamline report samples/post-someurl-x100.http
  streamline report a.http b.shttp --rate 50000        # two connections
  streamline report acks.http --requests feed.http     # both directions of one connection
  streamline report capture.http --format json | jq '.encodings[1].overhead'
  streamline report traffic.pcap --plot report.svg     # every HTTP flow of a capture, and the plots")]
pub struct ReportArgs {
    /// Inputs to measure: each a connection's requests or responses (plain or compact; `-` is
    /// standard input), or a pcap or pcapng capture of many. Default: the built-in OPRA-style
    /// feed.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub answers: AnswersArgs,
    /// Measure the request FILEs as the clients of one link: their requests interleaved on one
    /// connection, a request from each file in turn (in the order the files are given), each
    /// as the proxy sends it on (hop-by-hop fields such as Connection and Keep-Alive removed,
    /// HTTP/1.1), as a proxy carries its clients' requests to the gateway on one link (`proxy
    /// --links 1`). The report then prices what the link carries, each encoding with one state
    /// for all the clients (HTTP/2: one connection, one HPACK table). Use `--window-requests 0
    /// --window-bytes 0` for what a live link writes. Request streams only (plain or compact),
    /// not captures or responses.
    #[arg(long, requires = "files", conflicts_with = "requests")]
    pub one_link: bool,
    /// Messages per second for the bandwidth column.
    #[arg(long, value_name = "R", default_value = "1000000", value_parser = parse_report_rate)]
    pub rate: f64,
    /// Output format. `json` is stable for scripts (schema in the README); `svg` prints the
    /// plots of --plot instead of the table.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also draw the report as an SVG picture into FILE: (a) overhead bytes per message and
    /// (b) cumulative bytes over the messages, one line per encoding, on a logarithmic message
    /// axis (the first message, with the set-up, at the left). It draws the requests, or the
    /// responses when only responses were measured.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Quotes in the built-in feed (when no FILE is given; refused beside one).
    #[arg(long, value_name = "N", default_value = "1000000", value_parser = parse_count, conflicts_with = "files")]
    pub count: u64,
    /// Seed of the built-in feed (refused beside a FILE).
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED, conflicts_with = "files")]
    pub seed: u64,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub editing: EditArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub capture: CaptureArgs,
    /// Show no progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Report output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// One JSON object (schema `streamline-report/1`; `streamline-report/2` with --requests).
    Json,
    /// A header line and one line per encoding.
    Csv,
    /// The two plots (see --plot) as an SVG document.
    Svg,
}

/// Write a deterministic synthetic capture in plain HTTP/1.1.
///
/// Same KIND, --count, --seed and --payload-size: same bytes, on any machine and with any
/// dependency versions (the generator has its own PRNG).
///
/// - opra: an OPRA-style quote feed, `POST /receiver` with three header lines and a quote
///   record of --payload-size bytes (default 66); the head never changes.
///
/// - browse: a browser-like session, pages and their resources, Accept varying by resource type,
///   a cookie that changes now and then, Referer, Sec-Fetch-* headers; no bodies.
///
/// - upload: chunked uploads, `PUT /upload/N` with `Transfer-Encoding: chunked`, a few chunks of
///   up to --payload-size bytes (default 1024), sometimes a chunk extension or a trailer.
///
/// All three are written one request at a time and bodies in 64 KiB pieces, so any count and
/// any --payload-size run in bounded memory.
///
/// --responses writes instead the responses an nginx-like server sends back to exactly the
/// requests the same command writes without it (one per request, in order; the options that
/// shape the requests keep their meaning). Each carries `Server: nginx/1.22.1` and a `Date`
/// that starts at Sat, 05 Dec 2026 08:35:18 GMT (a phase within that second drawn from the
/// seed) and moves on one second every --rate responses:
///
/// - opra: one acknowledgement per quote, `200 OK`, `Content-Type: text/plain`,
///   `Content-Length: 3`, `Connection: keep-alive`, body `OK` and LF (nginx's `return 200`).
///
/// - browse: a page is `200 OK` with a generated HTML body in chunks; a static resource is
///   `200 OK` with Content-Length, Last-Modified, ETag and its bytes. With --revalidate the
///   browser holds a cache: it asks for a resource fetched before with If-Modified-Since and
///   If-None-Match (answered `304 Not Modified`) and checks one with HEAD now and then (its
///   head alone); the pages and resources visited are those of the session without it.
///
/// - upload: `201 Created` with the new file's Location and no body.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  streamline gen opra --count 1000000 -o opra.http
  streamline gen browse --count 200 --seed 7 | streamline encode | wc -c
  streamline gen upload --count 10 --payload-size 4096 -o uploads.http
  streamline gen opra -n 1000 -o feed.http; streamline gen opra -n 1000 --responses -o acks.http
  streamline gen browse -n 200 --revalidate -o b.http
  streamline gen browse -n 200 --revalidate --responses -o b.responses.http
  streamline report b.responses.http --requests b.http")]
pub struct GenArgs {
    /// What to generate.
    #[arg(value_enum)]
    pub kind: GenKind,
    /// Number of requests (with --responses: of responses, one per request).
    #[arg(long, short = 'n', value_name = "N", value_parser = parse_count)]
    pub count: u64,
    /// Seed of the generator.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Body bytes: each quote's for opra (default 66), the largest chunk's for upload
    /// (default 1024); browse has no bodies. Bytes, or a number with a unit: KiB, MiB, GiB
    /// (powers of 1,024) or kB, MB, GB (of 1,000), as in 64KiB.
    #[arg(long, value_name = "B", value_parser = parse_size_usize)]
    pub payload_size: Option<usize>,
    /// Write the server's responses to these requests instead of the requests.
    #[arg(long)]
    pub responses: bool,
    /// browse: the browser revalidates what it fetched before and sends a HEAD now and then
    /// (so its responses include 304s and a HEAD's).
    #[arg(long)]
    pub revalidate: bool,
    /// Responses a second, for their Date headers: the date moves on one second every R
    /// responses. (The requests carry no date: without --responses it changes nothing.)
    #[arg(long, value_name = "R", default_value = "1000", value_parser = parse_per_second)]
    pub rate: u64,
    /// Write to FILE instead of standard output (`-` is standard output). FILE is replaced
    /// only at the end: the output goes to a temporary file beside it (.FILE.streamline-PID.tmp)
    /// that is renamed over it on success; on an I/O error or an interrupt the temporary file is
    /// removed and FILE is left as it was.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show no progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The generators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenKind {
    /// OPRA-style quote feed.
    Opra,
    /// Browser-like session.
    Browse,
    /// Chunked uploads.
    Upload,
}

/// Measure encode and decode speed in this process, or (--link) a live link over loopback TCP:
/// messages/s, latency percentiles, wire bytes, CPU time.
///
/// Loads FILE (a request stream, plain or compact; default: the built-in OPRA-style feed,
/// generated in memory; a response stream is refused, `report` measures those) and prepares
/// both forms, each at most --max-input bytes. Then, for --duration seconds each, it encodes the plain form
/// (parser + lookahead encoder, as `encode` does) and decodes the compact form into canonical
/// plain bytes (as `decode` does), feeding the input in 64 KiB pieces and starting over at
/// its end, with output kept in memory.
///
/// Timing: the clock is read once per batch of 64 messages, never per message, so reading it
/// costs under 1 ns per message. Without --rate the codec runs flat out and a message's
/// latency is its batch's time divided by the messages in it (the service time). With
/// --rate R message i is due at start + i/R; the loop processes whatever is due (64 at most
/// between clock reads) and a message's latency runs from its due time to the end of the batch
/// that finished it, so queueing behind a slow batch counts. Encode latency includes the time
/// a request waits in the lookahead window: use --window-requests 0 --window-bytes 0 to
/// measure without it. "kept up" means the achieved rate was at least 99% of R.
///
/// MB/s counts input bytes (10^6 bytes per MB). Build with --release for meaningful figures.
///
/// Live link (--link): a client and a server in this process, each on a thread of its own
/// with a current-thread tokio runtime, over one loopback TCP connection to 127.0.0.1
/// (Nagle off), one peer after the other (--peers). The client sends OPRA quotes (the
/// built-in feed's, 66-byte bodies; message i carries i in the quote's sequence field) and the
/// server acknowledges each with an nginx-like `200 OK` (Server, Date once a second,
/// Content-Type, Content-Length: 3, Connection: keep-alive, body `OK` LF), made once and
/// cloned. The peers, all sending the same quotes and getting the same acknowledgement:
///
/// - compact: streamline-tokio's codecs (`link::connect` with prior knowledge, `link::accept`),
///   the compact syntax both ways; the client feeds requests and flushes per batch, the server
///   feeds an acknowledgement per request and flushes when no request is waiting.
///
/// - plain: the same codecs and loops in plain HTTP/1.1 (pipelined).
///
/// - hyper1: hyper 1's HTTP/1.1 client and server. hyper's client does not pipeline: each
///   connection has one request in flight, so this peer runs --hyper1-connections connections
///   (default 1) with one request in flight on each, and --in-flight does not apply.
///
/// - h2: hyper 1's HTTP/2 client and server, one connection, up to --in-flight streams at
///   once (the server's SETTINGS_MAX_CONCURRENT_STREAMS); no Connection field (HTTP/2 has none).
///
/// Each peer runs for --duration seconds (default 3), or sends --count messages. Without
/// --rate the client sends flat out, holding at most --in-flight requests unacknowledged. With
/// --rate R message i is due at start + i/R: the client sends what is due (and within the
/// window), flushes, and between messages sleeps on the runtime's timer while the next is more
/// than 2 ms away (its granularity is 1 ms), blocks its thread in a sleep with 1 ns of timer
/// slack while it is more than 60 µs away, and otherwise yields to the runtime, reading the
/// clock each time: from about 20,000 messages/s up it spins, using its core whole.
///
/// Per peer: messages; requests/s (messages over the time from the first send to the last
/// request read) and acks/s (to the last acknowledgement read); one-way latency of each
/// request, from the moment the client hands it to its codec or client (it records the time by
/// the sequence number) to the moment the server has read it whole, as p50, p99, p99.9 and max
/// in µs; bytes on the wire per message each way (everything each side wrote to its sockets,
/// set-up and control frames included, over the messages; head: minus the 66-byte or 3-byte
/// body); and CPU time per message (getrusage, user + system): the whole process, the client's
/// thread and the server's thread. Every request must be acknowledged, or the run fails. A
/// run with no acknowledgement for 10 s while requests are in flight fails.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  cargo run --release -- bench
  cargo run --release -- bench --rate 1000000 --duration 5
  cargo run --release -- bench capture.http --window-requests 0 --window-bytes 0
  cargo run --release -- bench --link                          # every peer flat out, 3 s each
  cargo run --release -- bench --link --peers compact --rate 1000000 --duration 5
  cargo run --release -- bench --link --count 100000 --peers compact,plain --format json")]
pub struct BenchArgs {
    /// Capture to measure (plain or compact). Default: the built-in OPRA-style feed.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Seconds to run each of encode and decode (with --link: each peer, unless --count is
    /// given).
    #[arg(long, value_name = "S", default_value = "3", value_parser = parse_seconds)]
    pub duration: f64,
    /// Pace messages at R per second and report whether the codec kept up (at most
    /// 1,000,000,000: one message per nanosecond, the clock's resolution).
    #[arg(long, value_name = "R", value_parser = parse_pace)]
    pub rate: Option<f64>,
    /// Quotes in the built-in feed (when no FILE is given; default 1,000,000). With --link:
    /// messages each peer sends, instead of running for --duration.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub count: Option<u64>,
    /// Largest input bench loads, in bytes, in either form: it holds the input in memory both
    /// as plain HTTP/1.1 and compact, so it may take twice this much memory. A larger FILE (or
    /// one that decodes to more plain bytes), or a built-in feed of more bytes, is refused.
    /// Bytes, or a number with a unit: KiB, MiB, GiB (powers of 1,024) or kB, MB, GB (of
    /// 1,000), as in 512MiB.
    #[arg(long, value_name = "BYTES", default_value = "1073741824", value_parser = parse_size)]
    pub max_input: u64,
    /// Output format: `text` for people, printed as each figure is ready; `json`, one object
    /// with the same figures at the end, for scripts (schema `streamline-bench/1` in the
    /// README; with --link `streamline-bench-link/1`).
    #[arg(long, value_enum, default_value_t = BenchFormat::Text)]
    pub format: BenchFormat,
    /// Measure a live link over loopback TCP instead of the codec alone (see "Live link"
    /// above).
    #[arg(
        long,
        help_heading = "Live link",
        conflicts_with_all = ["file", "max_input", "window_requests", "window_bytes", "no_editing", "sensitive", "effort"]
    )]
    pub link: bool,
    /// The peers --link measures, in this order, comma-separated.
    #[arg(
        long,
        value_enum,
        value_name = "PEERS",
        value_delimiter = ',',
        default_value = "compact,plain,hyper1,h2",
        requires = "link",
        help_heading = "Live link"
    )]
    pub peers: Vec<LinkPeer>,
    /// Most requests the client holds sent and not acknowledged (compact, plain, h2): it
    /// waits for acknowledgements there.
    #[arg(
        long,
        value_name = "N",
        default_value = "1024",
        value_parser = parse_in_flight,
        requires = "link",
        help_heading = "Live link"
    )]
    pub in_flight: u64,
    /// Connections of the hyper1 peer, one request in flight on each.
    #[arg(
        long,
        value_name = "N",
        default_value = "1",
        value_parser = parse_connections,
        requires = "link",
        help_heading = "Live link"
    )]
    pub hyper1_connections: usize,
    #[command(flatten)]
    pub window: WindowArgs,
    #[command(flatten)]
    pub editing: EditArgs,
}

/// The most requests in flight `bench --link` takes.
pub const MAX_IN_FLIGHT: u64 = 1 << 20;

/// The peers of `bench --link`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LinkPeer {
    /// streamline-tokio's codecs, the compact syntax.
    Compact,
    /// streamline-tokio's codecs, plain HTTP/1.1.
    Plain,
    /// hyper's HTTP/1.1 client and server.
    Hyper1,
    /// hyper's HTTP/2 client and server.
    H2,
}

/// Bench output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    /// Lines for people.
    Text,
    /// One JSON object (schema `streamline-bench/1`).
    Json,
}

/// Turn compact links back into plain HTTP/1.1 for an unmodified server (the consumers' side).
///
/// Listens on --listen for links from `streamline proxy` (compact from the first byte, or
/// after an `Upgrade: shttp/3` request; a plain HTTP/1.1 client is served on the same port
/// too, its `Expect: 100-continue` answered here) and forwards every request to the server at --upstream as plain HTTP/1.1, with the
/// hop-by-hop fields removed (RFC 9110 §7.6.1). Each link gets one keep-alive connection to
/// the upstream, pipelined: requests are written as they come and the responses read back in
/// order, then sent back on the link, compact, in the same order. That connection is the
/// whole pool: a link already carries many clients' requests, and a proxy that wants more
/// parallelism upstream opens more links (`proxy --links N`).
///
/// When the upstream refuses, resets or closes a connection without answering, each request
/// left unanswered gets a 502 (an idempotent one the upstream dropped without a byte of its
/// answer is sent again once; requests pipelined after a `Connection: close` response were
/// never processed and are sent again); the next request opens a fresh connection, so service
/// resumes as soon as the upstream is back. An upstream that sends nothing for
/// --upstream-timeout while a request waits gives that request 504 and loses its connection.
///
/// Logs go to standard error, one line per connection event (RUST_LOG=debug for more,
/// RUST_LOG=warn for less); --stats SECS adds a line of figures every SECS seconds. SIGTERM
/// or SIGINT: stop accepting, let the requests in flight be answered (at most
/// --drain-timeout), exit 0.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  streamline gateway --listen 127.0.0.1:7000 --upstream 127.0.0.1:8080
  streamline gateway --listen 0.0.0.0:7000 --upstream 10.0.0.5:80 --stats 10 --max-in-flight 4096
  curl -s http://127.0.0.1:7000/ -H 'Host: example'   # a plain client works too")]
pub struct GatewayArgs {
    /// Address to accept links on (HOST:PORT).
    #[arg(long, value_name = "ADDR")]
    pub listen: String,
    /// The plain HTTP/1.1 server requests are forwarded to (HOST:PORT).
    #[arg(long, value_name = "ADDR")]
    pub upstream: String,
    /// Seconds to wait for the upstream's next byte while a request is unanswered (as nginx's
    /// proxy_read_timeout); past it, that request gets 504 Gateway Timeout and the connection
    /// closes (the idempotent requests pipelined behind it are sent again once, on a fresh
    /// connection; the others get 502). Interim answers (1xx) do not count as progress: the
    /// final answer's head must begin within this of the first of them. It also bounds a
    /// connect to the upstream (as nginx's proxy_connect_timeout): one neither accepted nor
    /// refused in that time gives its request 504, and the upstream counts as down, as after a
    /// refusal.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds, help_heading = "Limits")]
    pub upstream_timeout: f64,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// Carry plain HTTP/1.1 clients over one persistent compact link (the producers' side).
///
/// Listens on --listen for unmodified HTTP/1.1 clients (many connections, keep-alive,
/// pipelining) and carries their requests over one persistent compact link (or --links N)
/// to `streamline gateway` at --link; each response comes back on the link in the order of
/// the requests and goes to its own client, in order. A steady feed's request costs a few
/// bytes of head on the link instead of its whole plain head.
///
/// What this hop owns, it answers itself: hop-by-hop fields (Connection and the fields it
/// names, Keep-Alive, Proxy-Connection, TE, Transfer-Encoding as a field, Upgrade) are
/// removed before forwarding (RFC 9110 §7.6.1); a request without a Host field, with two,
/// or with a value that is no host, or with a target that names another host than its Host
/// (absolute-form) or that no `http` request has (a fragment, `*` other than for OPTIONS),
/// gets 400 (RFC 9112 §3.2), as does a malformed one, and that client's connection closes
/// (no other client notices); a head slower than --header-timeout gets 408; a body over
/// --max-body gets 413; a head over --max-head, or of more than 256 field lines, 431; a head
/// the link could not carry gets 400 for a line within 11 bytes of the 64 KiB line limit
/// (its opcode line would pass it) or 431 for one of more than the link's --max-state bytes
/// of state (the link's encoder would refuse it, and every request after it);
/// `Expect: 100-continue` gets its 100 here.
///
/// A link opens with the first request it carries (so it is never idle before its first
/// byte, which the gateway would close). A lost link fails the requests it had in flight
/// with 502 (a request is never sent twice: the proxy cannot know what the upstream did with
/// it), requests that come while it is down get 502 at once, and it is reopened with the
/// next request, with backoff after a failed attempt (from 50 ms, doubling to 5 s). With
/// --link-timeout, a link that sends nothing back for that long while a request waits is
/// taken as lost too.
/// Everything is bounded: --max-connections clients, --max-pipeline requests read ahead
/// per client, --max-in-flight requests per link (past it, clients wait: backpressure, no
/// unbounded queue), --max-buffered bytes of messages held each way over all clients.
///
/// Logs go to standard error, one line per connection event (RUST_LOG=debug adds a line per
/// client connection); --stats SECS adds a line of figures every SECS seconds: requests and
/// responses per second, link bytes against plain bytes, in flight, errors. SIGTERM or
/// SIGINT: stop accepting, let the requests in flight be answered, exit 0.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  streamline proxy --listen 127.0.0.1:3128 --link 127.0.0.1:7000
  streamline proxy --listen 127.0.0.1:3128 --link gw.example:7000 --links 2 --stats 5
  curl -s http://127.0.0.1:3128/quote -H 'Host: feed' -d 'bid=1.25'")]
pub struct ProxyArgs {
    /// Address to accept plain HTTP/1.1 clients on (HOST:PORT).
    #[arg(long, value_name = "ADDR")]
    pub listen: String,
    /// The gateway to open links to (HOST:PORT).
    #[arg(long, value_name = "ADDR")]
    pub link: String,
    /// Links to the gateway; each new client takes the next one in turn, and keeps to it.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=streamline_gateway::MAX_LINKS as u64))]
    pub links: u64,
    /// Offer the upgrade on each link (a first request with `Upgrade: shttp/3`) instead of
    /// speaking compact from the first byte.
    #[arg(long)]
    pub upgrade: bool,
    /// Seconds a link may send nothing back while a request on it waits before it is taken
    /// as lost (a frozen gateway, a network gone quiet, which TCP notices only after many
    /// minutes): 502 for what is in flight, and the next request opens a new link. Off by
    /// default: the gateway sends each answer whole, so an answer slower than this to come
    /// whole (a large download, a long poll) counts as silence and fails every request on
    /// the link. For links whose answers are quick, such as a feed's acknowledgements; keep
    /// it above the gateway's --upstream-timeout.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, help_heading = "Limits")]
    pub link_timeout: Option<f64>,
    /// The least rate, in bytes a second, at which a client must send a request's body:
    /// a body may take --header-timeout from when it was first waited for, and a second
    /// more for every this many bytes that came (as Apache's mod_reqtimeout MinRate); past
    /// it, 408 and the connection closes. Without it a client sending a byte now and then
    /// would hold its connection for ever (--idle-timeout restarts at every byte). 0: none.
    #[arg(long, value_name = "BYTES", default_value = "500", value_parser = parse_size, help_heading = "Limits")]
    pub min_body_rate: u64,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// What bounds a service, and what it reports.
#[derive(Debug, Clone, Args)]
pub struct ServiceArgs {
    /// Log a line of figures every SECS seconds (messages/s each way, link and plain bytes,
    /// in flight, errors).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub stats: Option<f64>,
    /// Threads that run the service. 1 (the default): one thread runs every connection, with
    /// no hand-off between threads, which is what serves most requests per core (measured
    /// with nginx and wrk on the same 2 cores: about half the CPU per request of a runtime
    /// with a thread per core); more spread the connections over that many threads, for a
    /// machine with cores to spare.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: u16,
    /// Connections served at once (clients at the proxy, links and plain clients at the
    /// gateway); past it none is accepted until one closes. At the gateway, keep it above
    /// every proxy's --links: a link past it waits unserved (SECURITY.md).
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Limits")]
    pub max_connections: u32,
    /// Requests in flight on one link; past it, clients wait (backpressure).
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Limits")]
    pub max_in_flight: u32,
    /// Requests one client may have pipelined ahead of its responses.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..), help_heading = "Limits")]
    pub max_pipeline: u32,
    /// Largest body held, either way (a chunked body as it comes, its chunk framing
    /// included). Give the proxy and the gateway the same: a message over the other end's
    /// limit breaks the link for every request on it (SECURITY.md). Bytes, or a number with
    /// a unit (KiB, MiB, GiB; kB, MB, GB), as in 16MiB.
    #[arg(long, value_name = "BYTES", default_value = "16MiB", value_parser = parse_size, help_heading = "Limits")]
    pub max_body: u64,
    /// Bytes of messages held at once each way, over all connections: requests read and not
    /// yet passed on, responses read and not yet passed on (each counts its head and body, at
    /// least 1 KiB). Past it, no further message is read that way until others are passed on;
    /// at the proxy, a request whose bytes come when there is no room for them gets 503, and
    /// when the response budget stays spent (1 s at the proxy, 5 s at the gateway) the
    /// connection holding the most of it, if stuck writing, is closed, with every other
    /// holding at least half as much (clients; at the gateway links too). This, not the
    /// product of the other limits, is what bounds the messages a service holds
    /// (SECURITY.md). At least --max-body.
    #[arg(long, value_name = "BYTES", default_value = "256MiB", value_parser = parse_size, help_heading = "Limits")]
    pub max_buffered: u64,
    /// Largest request head passed on, in plain bytes (request-line and field lines): past
    /// it, 431. At the gateway it bounds what a few bytes on a link can make it send upstream
    /// (a link's state is re-issued whole by a four-byte `-:` line), as HTTP/2's
    /// SETTINGS_MAX_HEADER_LIST_SIZE bounds an HPACK block. Most servers take less (nginx
    /// about 32 KiB).
    #[arg(long, value_name = "BYTES", default_value = "64KiB", value_parser = parse_size_usize, help_heading = "Limits")]
    pub max_head: usize,
    /// Bytes of state (the current head and the saved registers, SPEC.md §7.2) one link may
    /// hold: what bounds a link's memory (within twice it), so the gateway's worst case is
    /// --max-connections times twice this, and what bounds the work one short line on a link
    /// can cost (an edit after a register save copies the header block). The default holds
    /// a head of --max-head's default and a register of it. Give the proxy and the gateway
    /// the same: the proxy's encoder keeps within its own, the gateway's decoder refuses past
    /// its own.
    #[arg(long, value_name = "BYTES", default_value = "128KiB", value_parser = parse_size_usize, help_heading = "Limits")]
    pub max_state: usize,
    /// Seconds a client may take to send a whole head once its first byte came (at the
    /// gateway: a connection's first head; a plain client's later ones, --idle-timeout).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds, help_heading = "Limits")]
    pub header_timeout: f64,
    /// Seconds a client connection may stay idle between requests, or before its first byte;
    /// also how long any peer (a client, or the other end of a link) may take none of the
    /// bytes written to it before its connection is closed.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds, help_heading = "Limits")]
    pub idle_timeout: f64,
    /// Seconds SIGTERM waits for the requests in flight before exiting anyway.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds, help_heading = "Limits")]
    pub drain_timeout: f64,
    /// Pack the lines written on the link, and name common ones by their static entry, where
    /// that is shorter (SPEC.md §4.11, §4.12; requests at the proxy, responses at the
    /// gateway): fewer link bytes for random text such as request ids and tokens and for a
    /// head's common fields, none saved on a steady feed. Either end reads packed and static
    /// lines whatever it is told here.
    #[arg(long)]
    pub pack: bool,
}

/// The request stream a response stream answers.
#[derive(Debug, Args)]
pub struct AnswersArgs {
    /// The request stream (plain or compact; `-` is standard input) that a plain response
    /// stream answers, read alongside it: it tells which responses answer a HEAD (no body,
    /// whatever Content-Length says) or a CONNECT (the HTTP stream ends after a 2xx). Without
    /// it every response is read as the answer to a method that is neither HEAD nor CONNECT.
    #[arg(long, value_name = "REQUESTS")]
    pub requests: Option<PathBuf>,
}

/// Input and output of the streaming commands.
#[derive(Debug, Args)]
pub struct IoArgs {
    /// Input file; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Write to FILE instead of standard output (`-` is standard output). FILE is replaced
    /// only at the end: the output goes to a temporary file beside it (.FILE.streamline-PID.tmp)
    /// that is renamed over it on success and after rejected input (exit 1: FILE then holds
    /// every request before the fault); on an I/O error or an interrupt the temporary file is
    /// removed and FILE is left as it was. FILE must not be the input.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show no progress bar (it only ever appears when standard error is a terminal).
    #[arg(short, long)]
    pub quiet: bool,
}

/// The encoder's lookahead window.
#[derive(Debug, Clone, Copy, Args)]
pub struct WindowArgs {
    /// Requests the encoder holds back to plan each one knowing what follows (0: none; with
    /// --window-bytes 0 as well, the lowest latency).
    #[arg(long, value_name = "N", default_value_t = Window::default().requests, help_heading = "Encoder window")]
    pub window_requests: usize,
    /// Bytes the encoder holds back at most (bodies, and heads counted as their method,
    /// target and header lines); past this it writes the oldest request (bodies wait for the
    /// next request's head until then, even with no requests held).
    /// Bytes, or a number with a unit: KiB, MiB, GiB (powers of 1,024) or kB, MB, GB (of
    /// 1,000), as in 64KiB.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = Window::default().bytes,
        value_parser = parse_size_usize,
        help_heading = "Encoder window"
    )]
    pub window_bytes: usize,
}

impl WindowArgs {
    /// The library's window.
    pub fn window(&self) -> Window {
        Window { requests: self.window_requests, bytes: self.window_bytes }
    }
}

/// How the encoder uses header editing (SPEC.md §4.10, §9.5).
#[derive(Debug, Clone, Args)]
pub struct EditArgs {
    /// Write only the opcodes of the format's first version (no header editing), for a
    /// decoder that predates it. Costs more bytes wherever a header line changes.
    #[arg(long, help_heading = "Encoder")]
    pub no_editing: bool,
    /// Field names whose values are never edited in part, only replaced whole (against
    /// CRIME-style attacks, SECURITY.md). Comma-separated; replaces the default.
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        default_value = "Authorization,Proxy-Authorization",
        value_parser = parse_field_name,
        help_heading = "Encoder"
    )]
    pub sensitive: Vec<String>,
    /// Registers (the most recently used) the encoder tries as the start of a header edit,
    /// besides the current state: more can find shorter edits, each costs time
    /// (BENCHMARKS.md).
    #[arg(long, value_name = "N", default_value_t = 8, help_heading = "Encoder")]
    pub effort: usize,
    /// Write a line as `~:LEN` and LEN bytes of HPACK's Huffman code (packed lines, SPEC.md
    /// §4.11), or as `~N` and the text after entry N of the format's list of common lines
    /// (static lines, §4.12, e.g. `~3` for `H:Accept: */*`), or both, where that is shorter:
    /// about a fifth off request ids, tokens and query strings, and most of a short
    /// connection's common fields, but the output is no longer text. `report` measures both
    /// ways whatever this says.
    #[arg(long, help_heading = "Encoder")]
    pub pack: bool,
}

impl EditArgs {
    /// An encoder with these settings and `limits`.
    pub fn encoder(&self, limits: Limits) -> Encoder {
        Encoder::with_limits(limits)
            .editing(!self.no_editing)
            .sensitive(self.sensitive.iter().filter(|n| !n.is_empty()))
            .effort(self.effort)
            .packing(self.pack)
    }
}

/// The codec limits (what a peer or capture can make the codec hold in memory).
#[derive(Debug, Clone, Copy, Args)]
pub struct LimitArgs {
    /// Longest line, CRLF included (request, header, opcode, chunk-size or trailer line).
    /// Bytes, or a number with a unit: KiB, MiB, GiB (powers of 1,024) or kB, MB, GB (of
    /// 1,000), as in 64KiB.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = Limits::default().get_max_line(),
        value_parser = parse_size_usize,
        help_heading = "Limits"
    )]
    pub max_line: usize,
    /// Most registers a compact stream may hold.
    #[arg(long, value_name = "N", default_value_t = Limits::default().get_max_registers(), help_heading = "Limits")]
    pub max_registers: usize,
    /// Most header lines in one request (and trailer lines in one chunked body).
    #[arg(long, value_name = "N", default_value_t = Limits::default().get_max_headers(), help_heading = "Limits")]
    pub max_headers: usize,
    /// Most bytes of state and registers together. Bytes, or a number with a unit: KiB, MiB,
    /// GiB (powers of 1,024) or kB, MB, GB (of 1,000), as in 16MiB.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = Limits::default().get_max_state_bytes(),
        value_parser = parse_size_usize,
        help_heading = "Limits"
    )]
    pub max_state_bytes: usize,
    /// Size of the table of recently sent header lines (each line counts its length plus 32);
    /// the encoder and the decoder must use the same. 0 turns it off. Bytes, or a number with
    /// a unit, as in 4KiB.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = Limits::default().get_table_bytes(),
        value_parser = parse_size_usize,
        help_heading = "Limits"
    )]
    pub table_bytes: usize,
}

impl LimitArgs {
    /// The library's limits. `max_body` is lifted: it bounds only the bodies the whole-request
    /// calls hold, and every command here streams a body that is not whole in its buffer, so
    /// the same bytes give the same result however the reads split.
    pub fn limits(&self) -> Limits {
        Limits::default()
            .max_body(u64::MAX)
            .max_line(self.max_line)
            .max_registers(self.max_registers)
            .max_headers(self.max_headers)
            .max_state_bytes(self.max_state_bytes)
            .table_bytes(self.table_bytes)
    }
}

/// The bounds of reading a capture (pcap, pcapng).
#[derive(Debug, Clone, Copy, Args)]
pub struct CaptureArgs {
    /// Most TCP flows open at once in a capture; past it the flow idle longest is closed
    /// (measured up to there) with a note.
    #[arg(
        long,
        value_name = "N",
        default_value_t = streamline_capture::Limits::default().max_flows,
        help_heading = "Captures"
    )]
    pub max_flows: usize,
    /// Bytes a flow keeps waiting for a missing segment (each waiting segment counts 64
    /// more); past it the missing bytes are given up as lost. Bytes, or a number with a unit:
    /// KiB, MiB, GiB (powers of 1,024) or kB, MB, GB (of 1,000), as in 256KiB.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = streamline_capture::Limits::default().max_out_of_order,
        value_parser = parse_size_usize,
        help_heading = "Captures"
    )]
    pub max_out_of_order: usize,
    /// Longest record of a capture (a packet with its record header, or a pcapng block).
    /// Bytes, or a number with a unit, as in 1MiB.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = streamline_capture::Limits::default().max_record,
        value_parser = parse_size_usize,
        help_heading = "Captures"
    )]
    pub max_record: usize,
    /// Most interfaces one pcapng section may declare.
    #[arg(
        long,
        value_name = "N",
        default_value_t = streamline_capture::Limits::default().max_interfaces,
        help_heading = "Captures"
    )]
    pub max_interfaces: u32,
    /// Bytes all the flows of a capture may hold of requests not read whole yet (a flow's
    /// unfinished head and its last piece, under 64 KiB); past it the flow holding the most
    /// is stopped (read up to there) with a note. Bytes, or a number with a unit, as in 256MiB.
    #[arg(
        long,
        value_name = "BYTES",
        default_value = "268435456",
        value_parser = parse_size_usize,
        help_heading = "Captures"
    )]
    pub max_held: usize,
}

impl CaptureArgs {
    /// The capture crate's limits.
    pub fn limits(&self) -> streamline_capture::Limits {
        streamline_capture::Limits::default()
            .max_flows(self.max_flows)
            .max_out_of_order(self.max_out_of_order)
            .max_record(self.max_record)
            .max_interfaces(self.max_interfaces)
    }
}

/// Seed of the generators when none is given.
pub const DEFAULT_SEED: u64 = 1;

/// A count: digits, optionally grouped with `_` or `,` (`1_000_000`).
/// A field name (RFC 9110 §5.1: a token), or nothing (`--sensitive ""`: no field).
fn parse_field_name(s: &str) -> Result<String, String> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if s.bytes().all(tchar) {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not a field name (letters, digits and !#$%&'*+-.^_`|~ only)"))
    }
}

fn parse_count(s: &str) -> Result<u64, String> {
    let digits: String = s.chars().filter(|&c| c != '_' && c != ',').collect();
    digits.parse().map_err(|_| format!("'{s}' is not a whole number"))
}

/// A size in bytes: a whole number (digits may be grouped with `_` or `,`), with or without a
/// unit after it (a space between is allowed, case does not matter): `B`; `KiB`, `MiB`,
/// `GiB`, `TiB`, powers of 1,024; `kB`, `MB`, `GB`, `TB`, powers of 1,000. So `64KiB` is
/// 65,536, `1MiB` 1,048,576 and `1MB` 1,000,000. A bare `K`, `M` or `G` is refused: it would
/// be either.
fn parse_size(s: &str) -> Result<u64, String> {
    let refused = || {
        format!(
            "'{s}' is not a size in bytes: give a whole number, or one with a unit, as in 65536, 64KiB, \
1MiB or 1MB (KiB MiB GiB TiB are powers of 1,024; kB MB GB TB of 1,000)"
        )
    };
    let number_end = s.find(|c: char| !(c.is_ascii_digit() || c == '_' || c == ',')).unwrap_or(s.len());
    let (number, unit) = s.split_at(number_end);
    let digits: String = number.chars().filter(|&c| c != '_' && c != ',').collect();
    let unit: u64 = match unit.trim_start().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(refused()),
    };
    let n: u64 = digits.parse().map_err(|_| refused())?;
    n.checked_mul(unit).ok_or_else(|| format!("'{s}' is more bytes than 64 bits can count"))
}

/// [`parse_size`] for a size held in a `usize`.
fn parse_size_usize(s: &str) -> Result<usize, String> {
    usize::try_from(parse_size(s)?).map_err(|_| format!("'{s}' is more bytes than this machine can address"))
}

/// A whole number of messages per second, at least 1 (`1_000`).
fn parse_per_second(s: &str) -> Result<u64, String> {
    match parse_count(s) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("'{s}' is not a whole number of messages per second, at least 1")),
    }
}

/// A positive rate in messages per second (`1_000_000`, `2.5e6`).
fn parse_rate(s: &str) -> Result<f64, String> {
    let digits: String = s.chars().filter(|&c| c != '_' && c != ',').collect();
    match digits.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("'{s}' is not a positive number of messages per second")),
    }
}

/// The fastest pace `bench --rate` takes: one message per nanosecond, the resolution of the
/// clock that schedules them. (Past it the due times of successive messages would not differ,
/// and the message counts the schedule computes would overflow.)
pub const MAX_PACE: f64 = 1e9;

/// A rate `bench` can pace: positive, at most [`MAX_PACE`].
fn parse_pace(s: &str) -> Result<f64, String> {
    let rate = parse_rate(s)?;
    if rate > MAX_PACE {
        return Err(format!(
            "'{s}' is more messages per second than bench can pace: at most 1,000,000,000 (one per nanosecond)"
        ));
    }
    Ok(rate)
}

/// A rate `report` prices bandwidth at: positive, at most [`MAX_PACE`] (past it the figures
/// would be hundreds of digits long, and mean nothing).
fn parse_report_rate(s: &str) -> Result<f64, String> {
    let rate = parse_rate(s)?;
    if rate > MAX_PACE {
        return Err(format!("'{s}' is more messages per second than a report prices: at most 1,000,000,000"));
    }
    Ok(rate)
}

/// A count from 1 to `most` of `what`.
fn parse_between(s: &str, most: u64, what: &str) -> Result<u64, String> {
    match parse_count(s) {
        Ok(n) if (1..=most).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a number of {what} from 1 to {}", crate::cli::output::group(most))),
    }
}

/// Requests in flight: 1 to [`MAX_IN_FLIGHT`].
fn parse_in_flight(s: &str) -> Result<u64, String> {
    parse_between(s, MAX_IN_FLIGHT, "requests in flight")
}

/// Connections: 1 to 1,024.
fn parse_connections(s: &str) -> Result<usize, String> {
    parse_between(s, 1024, "connections").map(|n| n as usize)
}

/// A duration in seconds: more than 0, at most a day.
fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(d) if d.is_finite() && d > 0.0 && d <= 86_400.0 => Ok(d),
        _ => Err(format!("'{s}' is not a number of seconds greater than 0 and at most 86,400 (a day)")),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn definition_is_valid() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("streamline").chain(args.iter().copied()))
    }

    #[test]
    fn encode_options() {
        let cli =
            parse(&["encode", "in.http", "-o", "out.shttp", "--window-requests", "0", "--max-line", "99"]).unwrap();
        let Command::Encode(args) = cli.command else { panic!("not encode") };
        assert_eq!(args.io.input.as_deref(), Some("in.http".as_ref()));
        assert_eq!(args.io.output.as_deref(), Some("out.shttp".as_ref()));
        assert_eq!(args.window.window(), Window { requests: 0, bytes: Window::default().bytes });
        assert_eq!(args.limits.limits(), Limits::default().max_line(99).max_body(u64::MAX));
        assert!(!args.io.quiet);
    }

    #[test]
    fn defaults_match_the_library() {
        let Command::Decode(args) = parse(&["decode"]).unwrap().command else { panic!("not decode") };
        assert_eq!(args.io.input, None);
        // Every limit but max_body, which the commands lift (they stream bodies).
        assert_eq!(args.limits.limits(), Limits::default().max_body(u64::MAX));
    }

    #[test]
    fn report_options() {
        let cli = parse(&["report", "a.http", "b.shttp", "--rate", "1_000", "--format", "json"]).unwrap();
        let Command::Report(args) = cli.command else { panic!("not report") };
        assert_eq!(args.files.len(), 2);
        assert_eq!(args.rate, 1000.0);
        assert_eq!(args.format, Format::Json);
        let Command::Report(args) = parse(&["report"]).unwrap().command else { panic!("not report") };
        assert!(args.files.is_empty());
        assert_eq!((args.rate, args.count, args.format), (1e6, 1_000_000, Format::Table));
    }

    #[test]
    fn gen_options() {
        let cli = parse(&["gen", "upload", "--count", "1,000", "--seed", "9", "--payload-size", "10"]).unwrap();
        let Command::Gen(args) = cli.command else { panic!("not gen") };
        assert_eq!((args.kind, args.count, args.seed, args.payload_size), (GenKind::Upload, 1000, 9, Some(10)));
        assert!(parse(&["gen", "opra"]).is_err(), "--count is required");
        assert!(!args.responses && !args.revalidate && args.rate == 1000);
        let cli = parse(&["gen", "browse", "-n", "5", "--responses", "--revalidate", "--rate", "250"]).unwrap();
        let Command::Gen(args) = cli.command else { panic!("not gen") };
        assert!(args.responses && args.revalidate && args.rate == 250);
        assert!(parse(&["gen", "opra", "-n", "5", "--responses", "--rate", "0"]).is_err());
        assert!(parse(&["gen", "video", "--count", "1"]).is_err());
    }

    #[test]
    fn bench_options() {
        let Command::Bench(args) = parse(&["bench", "--rate", "2.5e5", "--duration", "0.5"]).unwrap().command else {
            panic!("not bench")
        };
        assert_eq!((args.rate, args.duration, args.file), (Some(250_000.0), 0.5, None));
        assert_eq!(args.format, BenchFormat::Text);
        let Command::Bench(args) = parse(&["bench", "--rate", "1e9"]).unwrap().command else { panic!("not bench") };
        assert_eq!(args.rate, Some(MAX_PACE));
        let Command::Bench(args) = parse(&["bench", "--format", "json"]).unwrap().command else { panic!("not bench") };
        assert_eq!(args.format, BenchFormat::Json);
        assert_eq!((args.link, args.count), (false, None));
    }

    #[test]
    fn bench_link_options() {
        let Command::Bench(args) = parse(&["bench", "--link"]).unwrap().command else { panic!("not bench") };
        assert!(args.link);
        assert_eq!(args.peers, [LinkPeer::Compact, LinkPeer::Plain, LinkPeer::Hyper1, LinkPeer::H2]);
        assert_eq!((args.in_flight, args.hyper1_connections, args.count, args.duration), (1024, 1, None, 3.0));
        let cli = parse(&[
            "bench",
            "--link",
            "--peers",
            "h2,compact",
            "--in-flight",
            "64",
            "--hyper1-connections",
            "8",
            "--count",
            "1,000",
            "--rate",
            "1e6",
        ])
        .unwrap();
        let Command::Bench(args) = cli.command else { panic!("not bench") };
        assert_eq!(args.peers, [LinkPeer::H2, LinkPeer::Compact]);
        assert_eq!((args.in_flight, args.hyper1_connections, args.count, args.rate), (64, 8, Some(1000), Some(1e6)));
        for bad in [
            &["bench", "--peers", "compact"][..],
            &["bench", "--link", "f.http"],
            &["bench", "--link", "--no-editing"],
            &["bench", "--link", "--max-input", "1MiB"],
            &["bench", "--link", "--in-flight", "1048577"],
            &["bench", "--link", "--hyper1-connections", "1025"],
            &["bench", "--link", "--peers", "hyper2"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn capture_defaults_match_the_library() {
        let Command::Report(args) = parse(&["report"]).unwrap().command else { panic!("not report") };
        assert_eq!(args.capture.limits(), streamline_capture::Limits::default());
        assert_eq!(args.capture.max_held, 256 << 20);
        let Command::Encode(args) =
            parse(&["encode", "--max-flows", "7", "--max-out-of-order", "1MiB", "--max-record", "64KiB"])
                .unwrap()
                .command
        else {
            panic!("not encode")
        };
        let want = streamline_capture::Limits::default().max_flows(7).max_out_of_order(1 << 20).max_record(65_536);
        assert_eq!(args.capture.limits(), want);
    }

    #[test]
    fn sizes_take_units() {
        for (text, bytes) in [
            ("0", 0),
            ("65536", 65_536),
            ("1,048,576", 1 << 20),
            ("1_000", 1_000),
            ("12B", 12),
            ("64KiB", 64 << 10),
            ("1MiB", 1 << 20),
            ("1 MiB", 1 << 20),
            ("1mib", 1 << 20),
            ("2GiB", 2 << 30),
            ("1TiB", 1 << 40),
            ("1kB", 1_000),
            ("1KB", 1_000),
            ("1MB", 1_000_000),
            ("3GB", 3_000_000_000),
            ("1TB", 1_000_000_000_000),
        ] {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
        for bad in ["", "MiB", "1M", "1K", "1.5MiB", "-1", "1 MiBs", "0x10", "1 024", "16777216TiB"] {
            assert!(parse_size(bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(parse_size("16777216TiB"), Err("'16777216TiB' is more bytes than 64 bits can count".into()));
    }

    /// The services' counts are whole numbers from 1 to 4,294,967,295: 0 and larger numbers
    /// are refused with the range, not taken (a semaphore of more than about 2.3 × 10^18
    /// permits would panic).
    #[test]
    fn service_counts_are_bounded() {
        for flag in ["--max-connections", "--max-in-flight", "--max-pipeline"] {
            for (value, says) in [("0", "0 is not in 1..=4294967295"), ("18446744073709551615", "too large")] {
                let args = ["proxy", "--listen", "127.0.0.1:1", "--link", "127.0.0.1:2", flag, value];
                let err = parse(&args).unwrap_err().to_string();
                assert!(err.contains(says), "{flag} {value}: {err}");
            }
            let args = ["gateway", "--listen", "127.0.0.1:1", "--upstream", "127.0.0.1:2", flag, "4294967295"];
            assert!(parse(&args).is_ok(), "{flag}");
        }
    }

    /// The services' byte limits default to what the library's `Config` does (one source of
    /// truth: the command's help says the same numbers).
    #[test]
    fn service_byte_defaults_are_the_librarys() {
        let Command::Proxy(args) =
            parse(&["proxy", "--listen", "127.0.0.1:1", "--link", "127.0.0.1:2"]).unwrap().command
        else {
            panic!("not proxy")
        };
        let config = streamline_gateway::Config::default();
        assert_eq!(args.service.max_state, config.limits.get_max_state_bytes());
        assert_eq!(args.service.max_head, config.max_head);
        assert_eq!(args.service.max_buffered, config.max_buffered);
        assert_eq!(args.min_body_rate, config.min_body_rate);
    }

    #[test]
    fn byte_options_take_units() {
        let Command::Encode(args) =
            parse(&["encode", "--window-bytes", "64KiB", "--max-line", "1KiB", "--max-state-bytes", "16MB"])
                .unwrap()
                .command
        else {
            panic!("not encode")
        };
        assert_eq!(args.window.window().bytes, 65_536);
        assert_eq!(
            args.limits.limits(),
            Limits::default().max_body(u64::MAX).max_line(1024).max_state_bytes(16_000_000)
        );
        let Command::Bench(args) = parse(&["bench", "--max-input", "1GiB", "--window-bytes", "1MB"]).unwrap().command
        else {
            panic!("not bench")
        };
        assert_eq!((args.max_input, args.window.window_bytes), (1 << 30, 1_000_000));
        let Command::Report(args) = parse(&["report", "--window-bytes", "0"]).unwrap().command else {
            panic!("not report")
        };
        assert_eq!(args.window.window_bytes, 0);
        let Command::Gen(args) = parse(&["gen", "opra", "-n", "1", "--payload-size", "2KiB"]).unwrap().command else {
            panic!("not gen")
        };
        assert_eq!(args.payload_size, Some(2048));
        let err = parse(&["encode", "--window-bytes", "1M"]).unwrap_err().to_string();
        assert!(err.contains("'1M' is not a size in bytes"), "{err}");
    }

    #[test]
    fn rejects_bad_values() {
        for bad in [
            &["report", "--rate", "0"][..],
            &["report", "--rate", "fast"],
            &["report", "--format", "xml"],
            &["bench", "--format", "table"],
            &["bench", "--duration", "-1"],
            &["bench", "--duration", "0"],
            &["bench", "--duration", "86401"],
            &["bench", "--max-input", "1.5GiB"],
            &["bench", "--rate", "1e20"],
            &["bench", "--rate", "1000000001"],
            &["bench", "--rate", "inf"],
            &["bench", "--rate", "NaN"],
            &["bench", "--rate", "-5"],
            &["bench", "--rate", "0"],
            &["encode", "--max-line", "-5"],
            &["encode", "a", "b"],
            &["frobnicate"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
