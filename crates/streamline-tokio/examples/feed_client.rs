//! A feed client: sends OPRA quotes to a feed server over one link and counts the
//! acknowledgements. `--upgrade` opens the link with the shttp/3 upgrade (SPEC.md §14.2);
//! without it, compact by prior knowledge.
//!
//! ```text
//! cargo run -p streamline-tokio --example feed_client -- 127.0.0.1:7000 100000 [--upgrade]
//! ```

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use streamline::{http1, Limits};
use streamline_tokio::link::{self, Offer};
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let addr = args.get(1).map_or("127.0.0.1:7000", String::as_str);
    let count: u64 = args.get(2).map_or(Ok(100_000), |n| n.parse())?;
    let upgrade = args.iter().any(|a| a == "--upgrade");
    let started = std::time::Instant::now();
    let acks = run(addr, count, upgrade).await?;
    let upgraded = if upgrade { " (the first through the upgrade)" } else { "" };
    println!("{acks} acknowledgements{upgraded} in {:.3} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Sends `count` quotes over one link to `addr` and returns the acknowledgements read.
pub async fn run(addr: &str, count: u64, upgrade: bool) -> Result<u64, Box<dyn std::error::Error>> {
    // The quotes, read from a generated feed (each is `POST /receiver` with a 66-byte body).
    let mut feed = BytesMut::from(&streamline_traffic::opra(count, 1, 66)[..]);
    let mut parser = http1::Parser::new();
    let mut quotes = Vec::new();
    while let Some(quote) = parser.decode_eof(&mut feed)? {
        quotes.push(quote);
    }
    let offer = match upgrade {
        true => Offer::Upgrade(quotes.remove(0)),
        false => Offer::PriorKnowledge,
    };
    let link = link::connect(TcpStream::connect(addr).await?, Limits::default(), offer).await?;
    println!("speaking {:?}", link.codec().syntax());
    let (mut tx, mut rx) = link.split();
    let sender = tokio::spawn(async move {
        for quote in quotes {
            tx.feed(quote).await?;
        }
        tx.flush().await?;
        Ok::<_, streamline_tokio::Error>(tx)
    });
    let mut acks = 0;
    while acks < count {
        match rx.next().await {
            Some(ack) => {
                ack?;
                acks += 1;
            }
            None => break,
        }
    }
    let _tx = sender.await??;
    Ok(acks)
}
