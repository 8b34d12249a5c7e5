//! Deterministic synthetic captures in plain form: an OPRA-style feed, a browsing session,
//! chunked uploads. Same seed, same bytes, whatever the dependency versions (own PRNG).

/// SplitMix64: tiny, well-mixed, and ours, so output never shifts with a dependency bump.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One OPRA-style quote request: `POST /receiver` with the article's three header lines and a
/// body of `payload` bytes (a readable quote record, padded or cut to size).
pub fn opra_quote(rng: &mut Rng, seq: u64, payload: usize, dst: &mut Vec<u8>) {
    let padding = opra_quote_start(rng, seq, payload, dst);
    dst.resize(dst.len() + padding, b'.');
}

/// The start of [`opra_quote`]: the head and the quote record, cut to `payload` bytes.
/// Returns how many padding bytes (`.`) the body still needs, so that a caller can write a
/// body of any size in pieces.
pub fn opra_quote_start(rng: &mut Rng, seq: u64, payload: usize, dst: &mut Vec<u8>) -> usize {
    dst.extend_from_slice(
        b"POST /receiver HTTP/1.1\r\nHost: opra-receiver.example.com\r\n\
Content-Type: application/x-opra-quote\r\nAccept-Encoding: identity\r\nContent-Length: ",
    );
    dst.extend_from_slice(payload.to_string().as_bytes());
    dst.extend_from_slice(b"\r\n\r\n");
    const ROOTS: [&str; 8] = ["AAPL", "MSFT", "SPY", "QQQ", "TSLA", "AMZN", "NVDA", "IWM"];
    let root = rng.pick(&ROOTS);
    let strike = 50 + rng.below(400);
    let bid = rng.below(100_000);
    let ask = bid + 1 + rng.below(500);
    let record = format!(
        "Q|{seq:010}|{root:<4}|{strike:05}{}|{bid:08}|{ask:08}|{:04}x{:04}|",
        if rng.below(2) == 0 { 'C' } else { 'P' },
        rng.below(10_000),
        rng.below(10_000)
    );
    let bytes = record.as_bytes();
    let start = bytes.get(..payload).unwrap_or(bytes);
    dst.extend_from_slice(start);
    payload - start.len()
}

/// An OPRA-style feed of `count` quotes.
pub fn opra(count: u64, seed: u64, payload: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count as usize * (147 + payload));
    for seq in 0..count {
        opra_quote(&mut rng, seq, payload, &mut out);
    }
    out
}

/// A browser-like session, one request at a time: pages and their resources, `Accept`
/// varying by type, a cookie that changes now and then, `Referer`, and `Sec-Fetch-*` headers.
#[derive(Debug, Clone)]
pub struct Browse {
    rng: Rng,
    session: u64,
    page: String,
    count: u64,
}

impl Browse {
    /// A session from a seed.
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let session = rng.next_u64();
        Browse { rng, session, page: String::from("/"), count: 0 }
    }

    /// Appends the next request.
    pub fn next_request(&mut self, out: &mut Vec<u8>) {
        const PAGES: [&str; 6] = ["/", "/news", "/news/today", "/account", "/search?q=streamline", "/docs/start"];
        const KINDS: [(&str, &str, &str); 4] = [
            ("css/site.css", "text/css,*/*;q=0.1", "style"),
            ("js/app.js", "*/*", "script"),
            ("img/logo.png", "image/avif,image/webp,image/png,image/*;q=0.8,*/*;q=0.5", "image"),
            ("fonts/body.woff2", "*/*", "font"),
        ];
        let (rng, i) = (&mut self.rng, self.count);
        self.count += 1;
        if rng.below(20) == 0 {
            self.session = rng.next_u64();
        }
        let navigate = i == 0 || rng.below(5) == 0;
        let (target, accept, dest, referer) = if navigate {
            let next = rng.pick(&PAGES).to_string();
            let referer = if i == 0 { None } else { Some(self.page.clone()) };
            self.page = next.clone();
            (next, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "document", referer)
        } else {
            let (path, accept, dest) = *rng.pick(&KINDS);
            (format!("/static/{path}"), accept, dest, Some(self.page.clone()))
        };
        out.extend_from_slice(format!("GET {target} HTTP/1.1\r\nHost: www.example.com\r\n").as_bytes());
        out.extend_from_slice(
            b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n",
        );
        out.extend_from_slice(format!("Accept: {accept}\r\n").as_bytes());
        out.extend_from_slice(b"Accept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n");
        if let Some(r) = referer {
            out.extend_from_slice(format!("Referer: https://www.example.com{r}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("Cookie: session={:016x}; theme=dark\r\n", self.session).as_bytes());
        out.extend_from_slice(format!("Sec-Fetch-Dest: {dest}\r\n").as_bytes());
        let mode = if navigate { "navigate" } else { "no-cors" };
        out.extend_from_slice(format!("Sec-Fetch-Mode: {mode}\r\nSec-Fetch-Site: same-origin\r\n\r\n").as_bytes());
    }
}

/// A browsing session of `count` requests (see [`Browse`]).
pub fn browse(count: u64, seed: u64) -> Vec<u8> {
    let mut session = Browse::new(seed);
    let mut out = Vec::new();
    for _ in 0..count {
        session.next_request(&mut out);
    }
    out
}

/// Chunked uploads, one at a time: `PUT /upload/N` with `Transfer-Encoding: chunked`, a few
/// chunks of at most `payload` bytes (binary-ish, CRLF inside), sometimes a chunk extension
/// or a trailer.
#[derive(Debug, Clone)]
pub struct Upload {
    rng: Rng,
    payload: usize,
    count: u64,
    /// The request [`Upload::write_some`] is in the middle of.
    open: Option<OpenUpload>,
}

/// Where a request being written stands.
#[derive(Debug, Clone)]
struct OpenUpload {
    /// Chunks still to start.
    chunks: u64,
    /// Data bytes of the current chunk still to write.
    left: usize,
    /// No chunk started yet.
    first: bool,
}

impl Upload {
    /// Uploads from a seed.
    pub fn new(seed: u64, payload: usize) -> Self {
        Upload { rng: Rng::new(seed), payload, count: 0, open: None }
    }

    /// Appends the next request (or the rest of the one [`Upload::write_some`] began).
    pub fn next_request(&mut self, out: &mut Vec<u8>) {
        while !self.write_some(out, usize::MAX) {}
    }

    /// Appends the next request, or as much of it as holds at most `budget` bytes of chunk
    /// data (every other byte of the request besides), so that a chunk of any size is written
    /// in bounded memory. Returns whether the request is now whole; if not, the next call goes
    /// on with it. The bytes are those of [`Upload::next_request`] whatever the budgets.
    pub fn write_some(&mut self, out: &mut Vec<u8>, budget: usize) -> bool {
        let Upload { rng, payload, count, open } = self;
        let open = match open {
            Some(open) => open,
            None => {
                let i = *count;
                *count += 1;
                out.extend_from_slice(
                    format!(
                        "PUT /upload/{i} HTTP/1.1\r\nHost: files.example.com\r\nContent-Type: application/octet-stream\r\n\
Transfer-Encoding: chunked\r\n\r\n"
                    )
                    .as_bytes(),
                );
                open.insert(OpenUpload { chunks: 1 + rng.below(4), left: 0, first: true })
            }
        };
        let mut written = 0;
        loop {
            if open.left == 0 {
                if open.chunks == 0 {
                    break;
                }
                open.chunks -= 1;
                let len = 1 + rng.below((*payload).max(1) as u64) as usize;
                let ext = if open.first && rng.below(3) == 0 { ";part=first" } else { "" };
                open.first = false;
                out.extend_from_slice(format!("{len:x}{ext}\r\n").as_bytes());
                open.left = len;
            }
            let n = open.left.min(budget - written);
            if n == 0 {
                return false;
            }
            for _ in 0..n {
                let b = match rng.below(16) {
                    0 => b'\r',
                    1 => b'\n',
                    _ => b'a' + rng.below(26) as u8,
                };
                out.push(b);
            }
            open.left -= n;
            written += n;
            if open.left == 0 {
                out.extend_from_slice(b"\r\n");
            }
        }
        self.open = None;
        out.extend_from_slice(b"0\r\n");
        if self.rng.below(2) == 0 {
            out.extend_from_slice(format!("Digest: sha-256=:{:016x}:\r\n", self.rng.next_u64()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        true
    }
}

/// `count` chunked uploads (see [`Upload`]).
pub fn upload(count: u64, seed: u64, payload: usize) -> Vec<u8> {
    let mut uploads = Upload::new(seed, payload);
    let mut out = Vec::new();
    for _ in 0..count {
        uploads.next_request(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_in_pieces_are_the_same_bytes() {
        let whole = upload(40, 3, 3000);
        for budget in [1, 7, 1000, 4096] {
            let mut uploads = Upload::new(3, 3000);
            let mut pieces = Vec::new();
            for _ in 0..40 {
                while !uploads.write_some(&mut pieces, budget) {}
            }
            assert_eq!(pieces, whole, "budget {budget}");
        }
    }

    #[test]
    fn quote_starts_and_their_padding_are_the_quotes() {
        for payload in [0, 10, 53, 66, 1000] {
            let (mut a, mut b) = (Rng::new(5), Rng::new(5));
            let (mut whole, mut started) = (Vec::new(), Vec::new());
            for seq in 0..20 {
                opra_quote(&mut a, seq, payload, &mut whole);
                let padding = opra_quote_start(&mut b, seq, payload, &mut started);
                started.resize(started.len() + padding, b'.');
            }
            assert_eq!(started, whole, "payload {payload}");
            assert!(whole.starts_with(b"POST /receiver HTTP/1.1\r\n"));
        }
    }
}
