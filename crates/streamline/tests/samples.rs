//! Golden files: the article's worked examples byte for byte (SPEC.md §10), and the project's
//! own samples decoding back to themselves.

mod common;
use common::*;

/// SPEC.md §10.1–§10.2: the encoder reproduces the article's encodings exactly.
#[test]
fn article_examples_encode_byte_identical() {
    for name in ["post-someurl", "post-someurl-x100", "opra-quote"] {
        let plain = read_sample(&format!("{name}.http"));
        let expected = read_sample(&format!("{name}.shttp"));
        let got = encode(&plain).unwrap();
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected), "{name}");
    }
}

/// SPEC.md §10.3: get-pair is at most the article's hand encoding (262 bytes) and round-trips.
#[test]
fn get_pair_no_longer_than_hand_encoding() {
    let plain = read_sample("get-pair.http");
    let got = encode(&plain).unwrap();
    assert!(got.len() <= 262, "{} bytes:\n{}", got.len(), String::from_utf8_lossy(&got));
    assert_eq!(decode(&got).unwrap(), plain);
}

/// SPEC.md §10: every .shttp decodes to its .http.
#[test]
fn every_compact_sample_decodes_to_its_plain_form() {
    let dir = format!("{}/../../samples", env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "shttp") {
            let name = path.file_name().unwrap().to_str().unwrap().trim_end_matches(".shttp").to_string();
            let plain = read_sample(&format!("{name}.http"));
            let compact = read_sample(&format!("{name}.shttp"));
            assert_eq!(decode(&compact).unwrap(), canonical(&plain).unwrap(), "{name}");
            assert_eq!(decode(&encode(&plain).unwrap()).unwrap(), canonical(&plain).unwrap(), "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} samples");
}

/// The article's figures: 130 bytes of set-up, then 20 per request.
#[test]
fn x100_setup_and_per_request_bytes() {
    let one = encode(&read_sample("post-someurl.http")).unwrap();
    let hundred = encode(&read_sample("post-someurl-x100.http")).unwrap();
    assert_eq!(one.len(), 150);
    assert_eq!(hundred.len(), 130 + 100 * 20);
}

/// The project's own samples: made by `streamline::gen` (so they are reproducible) and
/// encoded by this encoder. Set STREAMLINE_BLESS=1 to rewrite them after a deliberate change.
type Generator = fn() -> Vec<u8>;

const GENERATED: [(&str, Generator); 3] = [
    ("opra-feed-1000", || streamline_traffic::opra(1000, 1, 66)),
    ("browse-session", || streamline_traffic::browse(200, 1)),
    ("chunked-upload", || streamline_traffic::upload(20, 1, 300)),
];

#[test]
fn generated_samples_are_reproducible_and_encode_as_recorded() {
    let bless = std::env::var_os("STREAMLINE_BLESS").is_some();
    for (name, make) in GENERATED {
        let plain = make();
        let compact = encode(&plain).unwrap();
        let dir = format!("{}/../../samples", env!("CARGO_MANIFEST_DIR"));
        if bless {
            std::fs::write(format!("{dir}/{name}.http"), &plain).unwrap();
            std::fs::write(format!("{dir}/{name}.shttp"), &compact).unwrap();
        }
        assert!(read_sample(&format!("{name}.http")) == plain, "{name}.http differs from gen output");
        assert!(read_sample(&format!("{name}.shttp")) == compact, "{name}.shttp differs from encoder output");
        assert_eq!(decode(&compact).unwrap(), plain, "{name}");
    }
}

/// The OPRA feed's steady state is the article's 7 bytes of overhead per message.
#[test]
fn opra_feed_steady_state_is_seven_bytes() {
    let plain = read_sample("opra-feed-1000.http");
    let compact = read_sample("opra-feed-1000.shttp");
    assert_eq!(plain.len(), 1000 * 213);
    // Set-up (139 bytes, as in the article's opra-quote example) + 1000 x (7 + 66).
    assert_eq!(compact.len(), 139 + 1000 * 73);
}
