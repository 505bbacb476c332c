//! Page sets for the RTL tests and the report: real pages (a corpus file, or
//! the anonymous memory of a Python child process), the synthetic classes of
//! `pagepress_codec::corpus`, and generated edge-case pages.

use pagepress_abi::format::PAGE_SIZE;
use pagepress_codec::Page;
use pagepress_codec::capture::{CaptureOptions, capture_process};
use pagepress_codec::corpus::{Corpus, SyntheticClass};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// A labelled page.
pub type Labelled = (String, Box<Page>);

/// Deterministic generator (SplitMix64, shared with the codec's synthetic classes).
pub use pagepress_codec::corpus::SplitMix64 as Rng;

/// The generated edge-case classes (see [`generated_page`]).
pub const GENERATED_CLASSES: [&str; 10] = [
    "incompressible",
    "all-same",
    "word-filled",
    "long-matches",
    "window-edge",
    "max-literals",
    "small-alphabet",
    "sparse",
    "short-period",
    "mixed",
];

/// Page `index` of a generated class.
///
/// - `incompressible`: random bytes (raw frames);
/// - `all-same`: one byte value (RLE frames);
/// - `word-filled`: one 8-byte word repeated;
/// - `long-matches`: a random block of 16..2048 bytes repeated (matches up to
///   the page length);
/// - `window-edge`: random bytes with the first bytes repeated at the end, so
///   matches have offsets up to 4095;
/// - `max-literals`: a long random run (up to the whole page minus a few bytes)
///   then a short repeat: literal lengths up to 4096;
/// - `small-alphabet`: bytes from 2..16 symbols (many short matches);
/// - `sparse`: zeros with random bytes sprinkled in;
/// - `short-period`: a period of 1..8 bytes (overlapping matches, offset 1..8);
/// - `mixed`: random spans of the other kinds.
pub fn generated_page(class: &str, index: u64) -> Box<Page> {
    let class_seed = class.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01B3)
    });
    let mut rng = Rng(index.wrapping_mul(0xA076_1D64_78BD_642F) ^ class_seed);
    let mut p = Box::new([0u8; PAGE_SIZE]);
    fill(&mut p[..], class, &mut rng);
    p
}

fn fill(p: &mut [u8], class: &str, rng: &mut Rng) {
    let n = p.len();
    match class {
        "incompressible" => p.iter_mut().for_each(|b| *b = rng.next_u64() as u8),
        "all-same" => p.fill(rng.next_u64() as u8),
        "word-filled" => {
            let w = rng.next_u64().to_le_bytes();
            for (i, b) in p.iter_mut().enumerate() {
                *b = w[i % 8];
            }
        }
        "long-matches" => {
            let period = 16 + rng.below(2033) as usize;
            let block: Vec<u8> = (0..period).map(|_| rng.next_u64() as u8).collect();
            for (i, b) in p.iter_mut().enumerate() {
                *b = block[i % period];
            }
        }
        "window-edge" => {
            p.iter_mut().for_each(|b| *b = rng.next_u64() as u8);
            let k = (4 + rng.below(12) as usize).min(n / 2);
            let (head, _) = p.split_at(k);
            let head = head.to_vec();
            p[n - k..].copy_from_slice(&head);
            // Also a match at offset exactly 4095 when the page is a page.
            if n == PAGE_SIZE {
                let m = 4 + rng.below(2) as usize;
                let src: Vec<u8> = p[1..1 + m].to_vec();
                p[PAGE_SIZE - m..].copy_from_slice(&src);
                p[PAGE_SIZE - m - 1] ^= 0x55;
            }
        }
        "max-literals" => {
            p.iter_mut().for_each(|b| *b = rng.next_u64() as u8);
            let tail = (4 + rng.below(64) as usize).min(n / 2);
            let src: Vec<u8> = p[..tail].to_vec();
            p[n - tail..].copy_from_slice(&src);
        }
        "small-alphabet" => {
            let k = 2 + rng.below(15);
            p.iter_mut().for_each(|b| *b = b'a' + rng.below(k) as u8);
        }
        "sparse" => {
            let density = 1 + rng.below(64);
            for b in p.iter_mut() {
                if rng.below(256) < density {
                    *b = rng.next_u64() as u8;
                }
            }
        }
        "short-period" => {
            let period = 1 + rng.below(8) as usize;
            let block: Vec<u8> = (0..period).map(|_| rng.next_u64() as u8).collect();
            for (i, b) in p.iter_mut().enumerate() {
                *b = block[i % period];
            }
            // A few breaks so it is not RLE / word-filled.
            for _ in 0..rng.below(4) {
                let i = rng.below(n as u64) as usize;
                p[i] = p[i].wrapping_add(1);
            }
        }
        _ => {
            let mut i = 0;
            while i < n {
                let len = (1 + rng.below(600) as usize).min(n - i);
                let kind = GENERATED_CLASSES[rng.below(9) as usize];
                fill(&mut p[i..i + len], kind, rng);
                i += len;
            }
        }
    }
}

/// `per_class` pages of every generated class.
pub fn generated(per_class: usize) -> Vec<Labelled> {
    let mut v = Vec::new();
    for class in GENERATED_CLASSES {
        for i in 0..per_class {
            v.push((class.to_string(), generated_page(class, i as u64)));
        }
    }
    v
}

/// `per_class` pages of every synthetic class of `pagepress_codec::corpus`.
pub fn synthetic(per_class: usize) -> Vec<Labelled> {
    let mut v = Vec::new();
    for class in SyntheticClass::ALL {
        for i in 0..per_class {
            v.push((class.label().to_string(), class.page(i as u64)));
        }
    }
    v
}

/// Real pages: the corpus file named by `PAGEPRESS_CORPUS` if set, else the
/// anonymous memory of a Python child process. At most `max` pages.
pub fn real(max: usize) -> Result<Vec<Labelled>, String> {
    if let Some(path) = std::env::var_os("PAGEPRESS_CORPUS") {
        let c = Corpus::load(std::path::Path::new(&path)).map_err(|e| e.to_string())?;
        return Ok(c
            .labelled_pages()
            .take(max)
            .map(|(l, p)| (l.to_string(), Box::new(*p)))
            .collect());
    }
    python_child_pages(max)
}

/// A Python workload: dicts, strings, lists, bytecode; prints `ready` when its
/// heap is built and exits when its stdin closes.
const PY_WORKLOAD: &str = r#"
import sys, json, random
random.seed(7)
words = ["page", "swap", "slot", "frame", "zstd", "device", "memory", "offset", "literal"]
d = {f"key{i}": {"id": i, "name": random.choice(words) * (i % 5 + 1), "vals": list(range(i % 40))} for i in range(20000)}
s = json.dumps(d)
l = [random.random() for _ in range(50000)]
t = [str(i) * (i % 7) for i in range(30000)]
b = bytearray(random.getrandbits(8) for _ in range(200000))
print("ready", flush=True)
sys.stdin.read()
"#;

fn python_child_pages(max: usize) -> Result<Vec<Labelled>, String> {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(PY_WORKLOAD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("python3: {e}"))?;
    let pid = child.id();
    let result = (|| {
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if line.trim() != "ready" {
            return Err("python workload did not start".to_string());
        }
        let opts = CaptureOptions {
            max_pages: max.saturating_mul(2),
            resident_only: true,
        };
        let src = capture_process(pid, "python-child", &opts).map_err(|e| e.to_string())?;
        let mut pages = Vec::new();
        let mut zero = 0usize;
        for p in src.pages().iter().take(max) {
            let is_zero = p.iter().all(|&x| x == 0);
            // Keep the zero pages to about a tenth of the set.
            if !is_zero || zero * 10 < pages.len() {
                zero += is_zero as usize;
                pages.push(("python-child".to_string(), Box::new(*p)));
            }
        }
        if pages.is_empty() {
            return Err("no readable anonymous pages in the child".to_string());
        }
        Ok(pages)
    })();
    let _ = child.stdin.take().map(|mut s| s.write_all(b""));
    let _ = child.kill();
    let _ = child.wait();
    result
}
