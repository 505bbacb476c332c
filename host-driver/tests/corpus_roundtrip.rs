//! Every page of a corpus captured at test time from a real Python child
//! round-trips through the subset decoder and through libzstd; the corpus
//! survives its file format.

use pagepress::corpus::{BuildOptions, Corpus, Workload, build};
use pagepress_codec::{PAGE_SIZE, Page, compress_page, decompress_page};

#[test]
fn python_corpus_round_trips_through_both_decoders() {
    if !Workload::Python.available() {
        eprintln!("python3 not installed: skipped");
        return;
    }
    let opts = BuildOptions {
        workloads: vec![Workload::Python],
        max_pages_per_source: 1500,
        scale: 1,
    };
    let corpus = build(&opts, &mut |m| eprintln!("{m}")).expect("python corpus");
    assert_eq!(corpus.sources().len(), 1);
    let src = &corpus.sources()[0];
    assert_eq!(src.label(), Workload::Python.label());
    assert!(src.page_count() > 100, "{} pages", src.page_count());
    assert!(src.page_count() <= 1500);

    // Real pages: mostly compressible, not all same-filled.
    let info = src.info();
    assert!(info.same_filled < info.pages);

    let mut frame = Vec::new();
    let mut out: Page = [0; PAGE_SIZE];
    let mut total = 0usize;
    let mut d = zstd::bulk::Decompressor::new().unwrap();
    for (i, p) in src.pages().iter().enumerate() {
        frame.clear();
        compress_page(p, &mut frame);
        total += frame.len();
        decompress_page(&frame, &mut out).unwrap_or_else(|e| panic!("page {i}: {e}"));
        assert!(out == *p, "page {i}: subset decoder");
        let z = d.decompress(&frame, PAGE_SIZE).unwrap();
        assert!(z[..] == p[..], "page {i}: libzstd");
    }
    assert!(total < src.page_count() * PAGE_SIZE, "real pages compress");

    let mut bytes = Vec::new();
    corpus.write_to(&mut bytes).unwrap();
    assert_eq!(Corpus::read_from(&bytes[..]).unwrap(), corpus);
}

#[test]
fn load_or_build_reads_a_given_file() {
    let path = std::env::temp_dir().join(format!("pp-lob-{}.corpus", std::process::id()));
    let c = pagepress_codec::corpus::synthetic(2);
    c.save(&path).unwrap();
    let got = pagepress::corpus::load_or_build(Some(&path)).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(got, c);
    let e = pagepress::corpus::load_or_build(Some(&path)).unwrap_err();
    assert!(e.to_string().contains("pp-lob-"), "{e}");
}
