//! A feed server: accepts links on 127.0.0.1:7000 (or the address given), compact by prior
//! knowledge or by upgrade, plain otherwise, and acknowledges every request.
//!
//! ```text
//! cargo run -p streamline-tokio --example feed_server -- 127.0.0.1:7000
//! ```

use bytes::BytesMut;
use futures_util::{FutureExt, SinkExt, StreamExt};
use streamline::{http1, Limits, Response};
use streamline_tokio::link::{self, Upgrades};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7000".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let ack = ack()?;
    loop {
        let (socket, peer) = listener.accept().await?;
        let ack = ack.clone();
        tokio::spawn(async move {
            match serve(socket, ack).await {
                Ok(n) => println!("{peer}: {n} requests"),
                Err(err) => eprintln!("{peer}: {err}"),
            }
        });
    }
}

/// One acknowledgement, made once: every clone shares its bytes.
pub fn ack() -> Result<Response, Box<dyn std::error::Error>> {
    let plain = "HTTP/1.1 200 OK\r\nServer: feed\r\nContent-Length: 3\r\n\r\nOK\n";
    Ok(http1::ResponseParser::new().decode_eof(&mut BytesMut::from(plain))?.ok_or("no ack")?)
}

/// Serves one connection: negotiates, then acknowledges every request.
pub async fn serve(socket: tokio::net::TcpStream, ack: Response) -> Result<u64, streamline_tokio::Error> {
    let mut link = link::accept(socket, Limits::default(), Upgrades::Accept).await?;
    println!("a link speaking {:?}", link.codec().syntax());
    let mut n = 0;
    while let Some(request) = link.next().await {
        // Answer every request already read without flushing; flush once caught up, so no
        // acknowledgement waits for a later request.
        let mut request = Some(request);
        while let Some(quote) = request.take() {
            let _quote = quote?;
            link.feed(ack.clone()).await?;
            n += 1;
            request = link.next().now_or_never().flatten();
        }
        link.flush().await?;
    }
    Ok(n)
}
