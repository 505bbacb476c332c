//! Real-page corpora: capture the anonymous memory of live processes, build a
//! corpus from programs started for the purpose, load a corpus file.
//!
//! The corpus file format and the synthetic page classes live in
//! [`pagepress_codec::corpus`] (readable by the RTL and simulator tests
//! without this crate).
//!
//! ```no_run
//! // A corpus file if one is given, else a fresh one built from child processes.
//! let corpus = pagepress::corpus::load_or_build(None).unwrap();
//! for page in corpus.pages() { /* ... */ }
//! ```

pub mod builder;
pub mod codecs;

pub use builder::{BuildOptions, Workload, build};
pub use pagepress_codec::capture::{CaptureError, CaptureOptions, capture_process};
pub use pagepress_codec::corpus::{
    Corpus, CorpusError, Source, SourceInfo, SyntheticClass, synthetic,
};

use std::path::Path;

/// Why a corpus could not be captured, built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum CorpusBuildError {
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("{what}: {msg}")]
    Workload { what: &'static str, msg: String },
    #[error("no corpus source could be captured ({0})")]
    Nothing(String),
}

/// The corpus in the file at `path`, or — without a path — a corpus built
/// now from the default workloads ([`BuildOptions::default`]); nothing is
/// cached. Progress of a build goes to standard error.
pub fn load_or_build(path: Option<&Path>) -> Result<Corpus, CorpusBuildError> {
    match path {
        Some(p) => Ok(Corpus::load(p)?),
        None => build(&BuildOptions::default(), &mut |m| {
            eprintln!("pagepress: corpus: {m}")
        }),
    }
}
