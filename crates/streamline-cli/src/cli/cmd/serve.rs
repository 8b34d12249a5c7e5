//! `streamline gateway` and `streamline proxy`: the services of streamline-gateway, with
//! their logs on standard error.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use streamline::Limits;
use streamline_gateway::{gateway, proxy, Config};

use crate::cli::args::{GatewayArgs, ProxyArgs, ServiceArgs};

/// Runs the gateway until SIGTERM or SIGINT.
pub fn gateway(args: GatewayArgs) -> Result<()> {
    let upstream = resolve(&args.upstream, "--upstream")?;
    let config =
        Config { upstream_timeout: Duration::from_secs_f64(args.upstream_timeout), ..config(&args.service, 1, false)? };
    serve(&args.listen, args.service.threads, move |listener| gateway::run(listener, upstream, config))
}

/// Runs the proxy until SIGTERM or SIGINT.
pub fn proxy(args: ProxyArgs) -> Result<()> {
    let link = resolve(&args.link, "--link")?;
    let config = Config {
        link_timeout: args.link_timeout.map_or(Duration::MAX, Duration::from_secs_f64),
        min_body_rate: args.min_body_rate,
        ..config(&args.service, args.links as usize, args.upgrade)?
    };
    serve(&args.listen, args.service.threads, move |listener| proxy::run(listener, link, config))
}

fn config(args: &ServiceArgs, links: usize, upgrade: bool) -> Result<Config> {
    // A request is charged to the budget whole, head and body: one of --max-body would never
    // fit a smaller budget (the proxy would answer it 503 however idle).
    if args.max_buffered < args.max_body {
        anyhow::bail!(
            "--max-buffered {} is less than --max-body {}: a body of --max-body could never be held",
            args.max_buffered,
            args.max_body
        );
    }
    // Below a kilobyte no real request passes (and no link state holds one).
    for (option, value) in [("--max-head", args.max_head), ("--max-state", args.max_state)] {
        if value < 1024 {
            anyhow::bail!("{option} {value} is less than 1KiB: no real request would pass");
        }
    }
    Ok(Config {
        limits: Limits::default().max_body(args.max_body).max_state_bytes(args.max_state),
        max_connections: args.max_connections as usize,
        max_in_flight: args.max_in_flight as usize,
        max_pipeline: args.max_pipeline as usize,
        links,
        header_timeout: Duration::from_secs_f64(args.header_timeout),
        idle_timeout: Duration::from_secs_f64(args.idle_timeout),
        upgrade,
        drain_timeout: Duration::from_secs_f64(args.drain_timeout),
        stats_every: args.stats.map(Duration::from_secs_f64),
        pack: args.pack,
        max_buffered: args.max_buffered,
        max_head: args.max_head,
        ..Config::default()
    })
}

/// HOST:PORT to one address (the first the resolver gives).
fn resolve(addr: &str, option: &str) -> Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .with_context(|| format!("{option} {addr}: not a HOST:PORT that resolves"))?
        .next()
        .with_context(|| format!("{option} {addr}: resolves to no address"))
}

/// Logs to standard error, a runtime of `threads` threads, the listener, then the service
/// until it returns.
fn serve<F, Fut>(listen: &str, threads: u16, service: F) -> Result<()>
where
    F: FnOnce(tokio::net::TcpListener) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>>,
{
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // A log line that cannot be written (standard error closed, full, or a pipe nobody reads
    // any more) is dropped: the subscriber's own report of it would panic, and a service that
    // panics in its tasks answers nothing and ignores SIGTERM.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .try_init();
    let mut builder = match threads {
        1 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut multi = tokio::runtime::Builder::new_multi_thread();
            multi.worker_threads(usize::from(n));
            multi
        }
    };
    let runtime = builder.enable_all().build().context("starting the runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("--listen {listen}"))?;
        service(listener).await.context("serving")
    })
}
