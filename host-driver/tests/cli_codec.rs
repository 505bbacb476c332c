//! The `pagepress compress|decompress|corpus|bench` commands, run as a binary.

use pagepress_codec::PAGE_SIZE;
use pagepress_codec::corpus::{Corpus, SyntheticClass};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pagepress");

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("pp-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failed command: non-zero exit, exactly one line on stderr, no panic.
fn assert_one_line_error(o: &Output, needle: &str) {
    let e = stderr(o);
    assert!(!o.status.success(), "should fail: {e}");
    assert_eq!(e.trim_end().lines().count(), 1, "one line: {e:?}");
    assert!(e.contains(needle), "{e:?} should mention {needle:?}");
    assert!(!e.contains("panicked"), "{e}");
}

/// Pages of every synthetic class plus some heap-like ones.
fn input_pages() -> Vec<u8> {
    let mut v = Vec::new();
    for class in SyntheticClass::ALL {
        for i in 0..3 {
            v.extend_from_slice(&class.page(i)[..]);
        }
    }
    for i in 0..8u64 {
        let mut p = [0u8; PAGE_SIZE];
        for (k, c) in p.chunks_exact_mut(8).enumerate() {
            let v = if k % 3 == 0 {
                0x7f00_0000_1000 + (k as u64 * 48 + i)
            } else {
                k as u64 % 17
            };
            c.copy_from_slice(&v.to_le_bytes());
        }
        v.extend_from_slice(&p);
    }
    v
}

fn write(p: &Path, data: &[u8]) {
    std::fs::write(p, data).unwrap();
}

#[test]
fn help_everywhere() {
    for args in [
        &["--help"][..],
        &["compress", "--help"],
        &["decompress", "--help"],
        &["corpus", "--help"],
        &["corpus", "capture", "--help"],
        &["corpus", "build", "--help"],
        &["corpus", "info", "--help"],
        &["bench", "--help"],
        &["bench", "codec", "--help"],
    ] {
        let o = Command::new(BIN).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn compress_output_is_a_zstd_stream_of_the_input() {
    let d = Dir::new("zstd");
    let input = input_pages();
    let (i, c, o) = (d.path("in"), d.path("in.zst"), d.path("out"));
    write(&i, &input);
    let r = run(&[&"compress", &i, &"-o", &c, &"--stats"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let stats = String::from_utf8_lossy(&r.stdout);
    let pages = input.len() / PAGE_SIZE;
    assert!(
        stats.contains(&format!("pages:            {pages}")),
        "{stats}"
    );
    assert!(stats.contains("same-filled:      6"), "{stats}");
    assert!(stats.contains("raw:              3"), "{stats}");
    assert!(
        stats.contains("ratio:") && stats.contains("MB/s"),
        "{stats}"
    );

    let frames = std::fs::read(&c).unwrap();
    // What `zstd -d` does: decode the concatenated frames as one stream.
    let z = zstd::stream::decode_all(&frames[..]).unwrap();
    assert!(z == input, "zstd -d reproduces the input");

    let r = run(&[&"decompress", &c, &"-o", &o]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(std::fs::read(&o).unwrap() == input);
    assert_eq!(
        d.files(),
        ["in", "in.zst", "out"],
        "no temporary files left"
    );
}

#[test]
fn decompress_takes_frames_from_libzstd() {
    // Frames zstd itself wrote, one per page, outside the device subset.
    let d = Dir::new("libzstd");
    let input = input_pages();
    let mut frames = Vec::new();
    for p in input.chunks(PAGE_SIZE) {
        frames.extend(zstd::bulk::compress(p, 19).unwrap());
    }
    let (c, o) = (d.path("z"), d.path("out"));
    write(&c, &frames);
    let r = run(&[&"decompress", &c, &"-o", &o]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(std::fs::read(&o).unwrap() == input);
}

#[test]
fn errors_are_one_line_and_leave_no_output() {
    let d = Dir::new("errors");
    let (i, c, o) = (d.path("in"), d.path("in.zst"), d.path("out"));

    let r = run(&[&"compress", &d.path("missing"), &"-o", &o]);
    assert_one_line_error(&r, "missing");

    write(&i, &vec![1u8; PAGE_SIZE + 100]);
    let r = run(&[&"compress", &i, &"-o", &o]);
    assert_one_line_error(&r, "not a whole number of 4096-byte pages");

    write(&i, &[]);
    let r = run(&[&"compress", &i, &"-o", &o]);
    assert_one_line_error(&r, "empty");
    assert!(!o.exists());

    // A truncated stream: nothing is written, not even the good first pages.
    write(&i, &input_pages());
    assert!(run(&[&"compress", &i, &"-o", &c]).status.success());
    let frames = std::fs::read(&c).unwrap();
    write(&c, &frames[..frames.len() - 5]);
    let r = run(&[&"decompress", &c, &"-o", &o]);
    assert_one_line_error(&r, "frame");
    assert!(!o.exists());

    // A corrupt frame in the middle.
    let mut bad = frames.clone();
    bad[frames.len() / 2] ^= 0xff;
    bad[frames.len() / 2 + 1] ^= 0x55;
    write(&c, &bad);
    let r = run(&[&"decompress", &c, &"-o", &o]);
    if r.status.success() {
        // The damage happened to decode (e.g. inside literals): a full output.
        assert_eq!(std::fs::read(&o).unwrap().len(), input_pages().len());
        std::fs::remove_file(&o).unwrap();
    } else {
        assert_one_line_error(&r, "frame");
        assert!(!o.exists());
    }

    // Not zstd at all.
    write(&c, b"hello, world, this is not a frame");
    let r = run(&[&"decompress", &c, &"-o", &o]);
    assert_one_line_error(&r, "frame 0 at byte 0");
    assert!(!o.exists());

    // An existing OUT is left untouched by a failure.
    write(&o, b"keep");
    let r = run(&[&"decompress", &c, &"-o", &o]);
    assert!(!r.status.success());
    assert_eq!(std::fs::read(&o).unwrap(), b"keep");

    // A directory that does not exist for OUT.
    write(&i, &input_pages());
    let r = run(&[&"compress", &i, &"-o", &d.path("no/such/dir/out")]);
    assert_one_line_error(&r, "no/such/dir/out");

    let names = d.files();
    assert!(
        names.iter().all(|n| !n.contains(".tmp.")),
        "temporary files left: {names:?}"
    );
}

#[cfg(not(feature = "rtl"))]
#[test]
fn rtl_engine_needs_the_feature() {
    let d = Dir::new("rtl");
    let (i, o) = (d.path("in"), d.path("out"));
    write(&i, &input_pages());
    for cmd in ["compress", "decompress"] {
        let r = run(&[&cmd, &i, &"-o", &o, &"--engine", &"rtl"]);
        assert_one_line_error(&r, "cargo build --features rtl");
    }
    assert!(!o.exists());
}

#[test]
fn corpus_info_and_bench_on_a_file() {
    let d = Dir::new("corpus");
    let f = d.path("c.corpus");
    pagepress_codec::corpus::synthetic(4).save(&f).unwrap();
    let r = run(&[&"corpus", &"info", &f]);
    assert!(r.status.success(), "{}", stderr(&r));
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("synthetic:zero"), "{out}");
    assert!(out.contains("total"), "{out}");
    assert!(out.contains("50.0%"), "{out}"); // zero + same-filled of 4 classes

    let r = run(&[
        &"bench",
        &"codec",
        &"--corpus",
        &f,
        &"--synthetic-pages",
        &"2",
        &"--min-ms",
        &"0",
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    let out = String::from_utf8_lossy(&r.stdout);
    for codec in ["pagepress", "lz4", "zstd-1", "zstd-3"] {
        assert!(out.contains(&format!("| {codec} |")), "{out}");
    }
    assert!(out.contains("all real pages") && out.contains("Synthetic classes"));

    let bad = d.path("bad.corpus");
    write(&bad, b"PPCORPUX");
    let r = run(&[&"corpus", &"info", &bad]);
    assert_one_line_error(&r, "not a pagepress corpus file");
    assert!(Corpus::load(&f).is_ok());
}
