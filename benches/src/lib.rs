//! Shared helpers for the criterion benchmarks.

#![forbid(unsafe_code)]
pub mod protocol;

/// Page sets of the codec benchmark (`benches/benches/codec.rs`).
pub mod codec {
    use pagepress::corpus::{BuildOptions, Corpus, build, synthetic};
    use std::path::PathBuf;

    /// The real-page corpus: the file named by `PAGEPRESS_CORPUS`, else one
    /// built now from child processes (1024 pages per source, nothing cached).
    pub fn real_corpus() -> Corpus {
        match std::env::var_os("PAGEPRESS_CORPUS") {
            Some(p) => Corpus::load(&PathBuf::from(p)).expect("PAGEPRESS_CORPUS"),
            None => build(
                &BuildOptions {
                    max_pages_per_source: 1024,
                    ..BuildOptions::default()
                },
                &mut |m| eprintln!("corpus: {m}"),
            )
            .expect("building the real-page corpus"),
        }
    }

    /// The synthetic classes, `pages` pages each.
    pub fn synthetic_corpus(pages: usize) -> Corpus {
        synthetic(pages)
    }
}
