//! Deterministic synthetic captures in plain form: an OPRA-style feed, a browsing session,
//! chunked uploads, and the responses a server (nginx-like) sends back to each. Same seed,
//! same bytes, whatever the dependency versions (own PRNG).

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

/// A generator of messages, one at a time: what [`many`] and a streaming writer take.
pub trait Generate {
    /// Appends the next message, whole.
    fn write_next(&mut self, out: &mut Vec<u8>);
}

/// `count` messages of `generator`, in one buffer.
pub fn many(count: u64, mut generator: impl Generate) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..count {
        generator.write_next(&mut out);
    }
    out
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
///
/// [`Browse::revalidating`] makes the same session revalidate what it fetched before.
#[derive(Debug, Clone)]
pub struct Browse {
    rng: Rng,
    session: u64,
    page: String,
    count: u64,
    /// A revalidating session: its own generator (so the pages and resources are those of
    /// the session without it) and which static resources it holds a copy of.
    revalidate: Option<(Rng, [bool; STATIC.len()])>,
}

/// The pages of the browsed site.
const PAGES: [&str; 6] = ["/", "/news", "/news/today", "/account", "/search?q=streamline", "/docs/start"];

/// A static resource of the site: its path under `/static/`, the `Accept` and
/// `Sec-Fetch-Dest` a browser sends for it, its content type and size.
struct Static {
    path: &'static str,
    accept: &'static str,
    dest: &'static str,
    content_type: &'static str,
    size: usize,
}

/// The site's static resources.
const STATIC: [Static; 4] = [
    Static { path: "css/site.css", accept: "text/css,*/*;q=0.1", dest: "style", content_type: "text/css", size: 6154 },
    Static { path: "js/app.js", accept: "*/*", dest: "script", content_type: "application/javascript", size: 18_730 },
    Static {
        path: "img/logo.png",
        accept: "image/avif,image/webp,image/png,image/*;q=0.8,*/*;q=0.5",
        dest: "image",
        content_type: "image/png",
        size: 5321,
    },
    Static { path: "fonts/body.woff2", accept: "*/*", dest: "font", content_type: "font/woff2", size: 21_944 },
];

/// When the static resources last changed (Tue, 14 May 2024 08:00:00 GMT): their
/// Last-Modified, and the first half of their ETag.
const MODIFIED: u64 = 1_715_673_600;

/// One request of a browsing session, as its response needs to know it.
#[derive(Debug, Clone)]
struct Visit {
    /// `HEAD` or `GET`.
    method: &'static str,
    target: String,
    accept: &'static str,
    dest: &'static str,
    referer: Option<String>,
    session: u64,
    navigate: bool,
    /// The static resource asked for (an index into [`STATIC`]).
    resource: Option<usize>,
    /// Sent with If-Modified-Since and If-None-Match: the browser holds a copy.
    conditional: bool,
}

impl Browse {
    /// A session from a seed.
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let session = rng.next_u64();
        Browse { rng, session, page: String::from("/"), count: 0, revalidate: None }
    }

    /// The session of [`Browse::new`]`(seed)`, the same pages and resources in the same
    /// order, as a browser with a cache asks for them: a static resource it fetched before is
    /// asked for again with `If-Modified-Since` and `If-None-Match` (a server answers 304),
    /// and about one static request in sixteen is a `HEAD` (a link checker's).
    pub fn revalidating(seed: u64) -> Self {
        let plain = Browse::new(seed);
        Browse { revalidate: Some((Rng::new(seed ^ REVALIDATE), [false; STATIC.len()])), ..plain }
    }

    /// Appends the next request.
    pub fn next_request(&mut self, out: &mut Vec<u8>) {
        self.next_visit().write_request(out);
    }

    /// The next request's parts.
    fn next_visit(&mut self) -> Visit {
        let (rng, i) = (&mut self.rng, self.count);
        self.count += 1;
        if rng.below(20) == 0 {
            self.session = rng.next_u64();
        }
        let navigate = i == 0 || rng.below(5) == 0;
        let mut visit = Visit {
            method: "GET",
            target: String::new(),
            accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            dest: "document",
            referer: Some(self.page.clone()),
            session: self.session,
            navigate,
            resource: None,
            conditional: false,
        };
        if navigate {
            let next = rng.pick(&PAGES).to_string();
            if i == 0 {
                visit.referer = None;
            }
            self.page = next.clone();
            visit.target = next;
        } else {
            let index = rng.below(STATIC.len() as u64) as usize;
            let resource = &STATIC[index];
            (visit.target, visit.accept, visit.dest) =
                (format!("/static/{}", resource.path), resource.accept, resource.dest);
            visit.resource = Some(index);
            if let Some((rng, held)) = &mut self.revalidate {
                if rng.below(16) == 0 {
                    visit.method = "HEAD";
                } else {
                    visit.conditional = held[index];
                    held[index] = true;
                }
            }
        }
        visit
    }
}

/// Mixed into the seed of a revalidating session's own generator.
const REVALIDATE: u64 = 0x0005_eed0_f0ca_c4e5;

impl Visit {
    /// The request, as a Firefox sends it.
    fn write_request(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            format!("{} {} HTTP/1.1\r\nHost: www.example.com\r\n", self.method, self.target).as_bytes(),
        );
        out.extend_from_slice(
            b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n",
        );
        out.extend_from_slice(format!("Accept: {}\r\n", self.accept).as_bytes());
        out.extend_from_slice(b"Accept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n");
        if let Some(r) = &self.referer {
            out.extend_from_slice(format!("Referer: https://www.example.com{r}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("Cookie: session={:016x}; theme=dark\r\n", self.session).as_bytes());
        out.extend_from_slice(format!("Sec-Fetch-Dest: {}\r\n", self.dest).as_bytes());
        let mode = if self.navigate { "navigate" } else { "no-cors" };
        out.extend_from_slice(format!("Sec-Fetch-Mode: {mode}\r\nSec-Fetch-Site: same-origin\r\n").as_bytes());
        if let (true, Some(index)) = (self.conditional, self.resource) {
            out.extend_from_slice(b"If-Modified-Since: ");
            http_date(MODIFIED, out);
            out.extend_from_slice(format!("\r\nIf-None-Match: {}\r\n", etag(&STATIC[index])).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// A static resource's ETag, as nginx makes it: its modification time and size in hex.
fn etag(resource: &Static) -> String {
    format!("\"{MODIFIED:x}-{:x}\"", resource.size)
}

impl Generate for Browse {
    fn write_next(&mut self, out: &mut Vec<u8>) {
        self.next_request(out);
    }
}

/// A browsing session of `count` requests (see [`Browse`]).
pub fn browse(count: u64, seed: u64) -> Vec<u8> {
    many(count, Browse::new(seed))
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

impl Generate for Upload {
    fn write_next(&mut self, out: &mut Vec<u8>) {
        self.next_request(out);
    }
}

/// `count` chunked uploads (see [`Upload`]).
pub fn upload(count: u64, seed: u64, payload: usize) -> Vec<u8> {
    many(count, Upload::new(seed, payload))
}

/// The second the server's clock starts at: Sat, 05 Dec 2026 08:35:18 GMT, when
/// `samples/responses` were recorded.
pub const START: u64 = 1_796_459_718;

/// A server's clock as its `Date` headers show it: `rate` messages a second, so the date
/// moves on one second every `rate` messages, from [`START`] and a phase within the first
/// second drawn from the seed (a connection seldom starts at the turn of a second).
#[derive(Debug, Clone)]
pub struct Clock {
    rate: u64,
    /// Messages the first second had had before the first of this connection.
    phase: u64,
    /// Messages dated so far.
    messages: u64,
}

impl Clock {
    /// A clock at `rate` messages a second (at least 1), its phase drawn from `rng`.
    pub fn new(rng: &mut Rng, rate: u64) -> Clock {
        let rate = rate.max(1);
        Clock { rate, phase: rng.below(rate), messages: 0 }
    }

    /// The second (from the Unix epoch) of the next message.
    pub fn tick(&mut self) -> u64 {
        let second = START + (self.phase + self.messages) / self.rate;
        self.messages += 1;
        second
    }

    /// Appends `Date: ` and the next message's date, CRLF.
    fn date_line(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"Date: ");
        http_date(self.tick(), out);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends the IMF-fixdate of `seconds` after the Unix epoch (RFC 9110 §5.6.7), as in
/// `Sat, 05 Dec 2026 08:35:18 GMT`.
pub fn http_date(seconds: u64, out: &mut Vec<u8>) {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (days, time) = (seconds / 86_400, seconds % 86_400);
    // Days to a civil date (Howard Hinnant's algorithm), with eras of 400 years from 0000-03-01.
    let z = days + 719_468;
    let (era, day_of_era) = (z / 146_097, z % 146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    out.extend_from_slice(
        format!(
            "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
            DAYS[(days % 7) as usize],
            MONTHS[(month - 1) as usize],
            time / 3600,
            time / 60 % 60,
            time % 60
        )
        .as_bytes(),
    );
}

/// nginx's acknowledgements of the OPRA-style feed, one a quote: `200 OK` with `Server`,
/// `Date`, `Content-Type: text/plain`, `Content-Length: 3`, `Connection: keep-alive` and the
/// body `OK` LF, what `return 200 "OK\n"` sends (as in `samples/responses/opra-acks.http`).
#[derive(Debug, Clone)]
pub struct Acks {
    clock: Clock,
}

impl Acks {
    /// Acknowledgements sent at `rate` a second, the clock's phase from `seed`.
    pub fn new(seed: u64, rate: u64) -> Acks {
        Acks { clock: Clock::new(&mut Rng::new(seed), rate) }
    }

    /// Appends the next acknowledgement.
    pub fn next_response(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n");
        self.clock.date_line(out);
        out.extend_from_slice(b"Content-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nOK\n");
    }
}

impl Generate for Acks {
    fn write_next(&mut self, out: &mut Vec<u8>) {
        self.next_response(out);
    }
}

/// `count` acknowledgements (see [`Acks`]).
pub fn acks(count: u64, seed: u64, rate: u64) -> Vec<u8> {
    many(count, Acks::new(seed, rate))
}

/// An nginx-like server's responses to a browsing session ([`Browse`]), one a request, in
/// its order: a page is `200 OK` with a generated HTML body in chunks (a dynamic page, its
/// length unknown up front); a static resource `200 OK` with `Content-Length`,
/// `Last-Modified` and an `ETag`, or `304 Not Modified` to a request that revalidates it, or
/// its head alone to a `HEAD`. Dated by a [`Clock`].
#[derive(Debug, Clone)]
pub struct BrowseResponses {
    session: Browse,
    clock: Clock,
    rng: Rng,
}

impl BrowseResponses {
    /// The responses to `session` (as [`Browse::new`] or [`Browse::revalidating`] makes it,
    /// before its first request), sent at `rate` a second; `seed` draws the clock's phase and
    /// the pages' sizes.
    pub fn new(session: Browse, seed: u64, rate: u64) -> BrowseResponses {
        let mut rng = Rng::new(seed);
        let clock = Clock::new(&mut rng, rate);
        BrowseResponses { session, clock, rng }
    }

    /// Appends the response to the next request.
    pub fn next_response(&mut self, out: &mut Vec<u8>) {
        let visit = self.session.next_visit();
        let Some(index) = visit.resource else { return self.page(out) };
        let resource = &STATIC[index];
        let status = if visit.conditional { "304 Not Modified" } else { "200 OK" };
        out.extend_from_slice(format!("HTTP/1.1 {status}\r\nServer: nginx/1.22.1\r\n").as_bytes());
        self.clock.date_line(out);
        if !visit.conditional {
            out.extend_from_slice(
                format!("Content-Type: {}\r\nContent-Length: {}\r\n", resource.content_type, resource.size).as_bytes(),
            );
        }
        out.extend_from_slice(b"Last-Modified: ");
        http_date(MODIFIED, out);
        out.extend_from_slice(format!("\r\nConnection: keep-alive\r\nETag: {}\r\n", etag(resource)).as_bytes());
        if !visit.conditional {
            out.extend_from_slice(b"Accept-Ranges: bytes\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !visit.conditional && visit.method == "GET" {
            resource_content(index, out);
        }
    }

    /// A page: its HTML, generated, in chunks of at most 4 KiB.
    fn page(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n");
        self.clock.date_line(out);
        out.extend_from_slice(
            b"Content-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\
Cache-Control: no-cache\r\n\r\n",
        );
        const WORDS: [&str; 12] =
            ["quote", "option", "strike", "market", "stream", "header", "session", "page", "price", "feed", "the", "a"];
        let size = 1500 + self.rng.below(4500) as usize;
        let mut html = String::from("<!doctype html>\n<html><head><title>Example</title></head><body>\n");
        while html.len() < size {
            html.push_str("<p>");
            for _ in 0..8 + self.rng.below(24) {
                html.push_str(self.rng.pick::<&str>(&WORDS));
                html.push(' ');
            }
            html.push_str("</p>\n");
        }
        html.push_str("</body></html>\n");
        for chunk in html.as_bytes().chunks(4096) {
            out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    }
}

/// The bytes of static resource `index`, the same every time: text for a style sheet or a
/// script, arbitrary bytes for an image or a font.
fn resource_content(index: usize, out: &mut Vec<u8>) {
    let resource = &STATIC[index];
    let mut rng = Rng::new(index as u64 + 1);
    let text = resource.content_type.starts_with("text/") || resource.content_type.ends_with("javascript");
    const TEXT: &[u8] = b"abcdefghijklmnopqrstuvwxyz{};:.#-()0123456789 \n";
    out.extend((0..resource.size).map(|_| {
        let byte = rng.next_u64() as u8;
        if text {
            TEXT[usize::from(byte) % TEXT.len()]
        } else {
            byte
        }
    }));
}

/// A browsing session's responses (see [`BrowseResponses`]): to [`browse`]`(count, seed)`,
/// or with `revalidate` to the requests of [`Browse::revalidating`]`(seed)`.
pub fn browse_responses(count: u64, seed: u64, revalidate: bool, rate: u64) -> Vec<u8> {
    let session = if revalidate { Browse::revalidating(seed) } else { Browse::new(seed) };
    many(count, BrowseResponses::new(session, seed, rate))
}

impl Generate for BrowseResponses {
    fn write_next(&mut self, out: &mut Vec<u8>) {
        self.next_response(out);
    }
}

/// A file server's answers to the chunked uploads ([`Upload`]): `201 Created` with no
/// body, the new file's `Location`.
#[derive(Debug, Clone)]
pub struct UploadResponses {
    clock: Clock,
    count: u64,
}

impl UploadResponses {
    /// Answers sent at `rate` a second, the clock's phase from `seed`.
    pub fn new(seed: u64, rate: u64) -> UploadResponses {
        UploadResponses { clock: Clock::new(&mut Rng::new(seed), rate), count: 0 }
    }

    /// Appends the answer to the next upload.
    pub fn next_response(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 201 Created\r\nServer: nginx/1.22.1\r\n");
        self.clock.date_line(out);
        out.extend_from_slice(
            format!(
                "Content-Length: 0\r\nLocation: https://files.example.com/upload/{}\r\nConnection: keep-alive\r\n\r\n",
                self.count
            )
            .as_bytes(),
        );
        self.count += 1;
    }
}

impl Generate for UploadResponses {
    fn write_next(&mut self, out: &mut Vec<u8>) {
        self.next_response(out);
    }
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

    fn date(seconds: u64) -> String {
        let mut out = Vec::new();
        http_date(seconds, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn dates() {
        assert_eq!(date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(date(951_782_399), "Mon, 28 Feb 2000 23:59:59 GMT");
        assert_eq!(date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(date(MODIFIED), "Tue, 14 May 2024 08:00:00 GMT");
        assert_eq!(date(START), "Sat, 05 Dec 2026 08:35:18 GMT");
        assert_eq!(date(4_102_444_800), "Fri, 01 Jan 2100 00:00:00 GMT");
    }

    #[test]
    fn the_date_moves_on_a_second_every_rate_messages() {
        let acks = acks(1000, 1, 250);
        let text = String::from_utf8(acks).unwrap();
        let dates: Vec<&str> = text.lines().filter(|l| l.starts_with("Date: ")).collect();
        assert_eq!(dates.len(), 1000);
        let mut runs: Vec<usize> = Vec::new();
        for (i, d) in dates.iter().enumerate() {
            if i == 0 || *d != dates[i - 1] {
                runs.push(0);
            }
            *runs.last_mut().unwrap() += 1;
        }
        // A phase in the first second, then 250 a second.
        assert!(runs[0] >= 1 && runs[0] <= 250, "{runs:?}");
        assert!(runs[1..runs.len() - 1].iter().all(|&n| n == 250), "{runs:?}");
        assert_eq!(runs.iter().sum::<usize>(), 1000);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 05 Dec 2026 08:35:"));
        assert!(text.ends_with("Connection: keep-alive\r\n\r\nOK\n"));
    }

    #[test]
    fn a_plain_session_is_the_sample_it_always_was() {
        let sample = include_bytes!("../../../samples/browse-session.http");
        assert_eq!(&browse(200, 1)[..], &sample[..]);
    }

    #[test]
    fn a_revalidating_session_visits_what_the_plain_one_does() {
        let (mut plain, mut cached) = (Browse::new(4), Browse::revalidating(4));
        let (mut heads, mut conditional) = (0, 0);
        for _ in 0..300 {
            let (a, b) = (plain.next_visit(), cached.next_visit());
            assert_eq!((&a.target, a.session, &a.referer), (&b.target, b.session, &b.referer));
            assert!(!a.conditional && a.method == "GET");
            heads += usize::from(b.method == "HEAD");
            conditional += usize::from(b.conditional);
        }
        assert!(heads > 3 && conditional > 100, "{heads} HEADs, {conditional} revalidations");
    }

    #[test]
    fn responses_answer_their_requests() {
        let text = String::from_utf8_lossy(&browse_responses(300, 4, true, 1000)).into_owned();
        let statuses = |code: &str| text.matches(&format!("HTTP/1.1 {code}")).count();
        assert_eq!(statuses("200 OK") + statuses("304 Not Modified"), 300);
        assert!(statuses("304 Not Modified") > 100);
        assert_eq!(text.matches("Transfer-Encoding: chunked").count(), text.matches("text/html").count());
        let plain = String::from_utf8_lossy(&browse_responses(300, 4, false, 1000)).into_owned();
        assert_eq!(plain.matches("HTTP/1.1 200 OK").count(), 300, "no revalidation, no 304");
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
