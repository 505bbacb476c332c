//! `pagepress bench codec`: ratio and single-core MB/s of the page codec beside
//! lz4 and zstd levels 1 and 3, on a real-page corpus and the synthetic classes.

use super::CliResult;
use pagepress::corpus::codecs::{Codec, Measurement, Row, measure, render_table};
use pagepress::corpus::{load_or_build, synthetic};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Subcommand, Debug)]
pub enum BenchCmd {
    /// Compare the page codec with lz4 and zstd -1/-3 (ratio, MB/s per core).
    ///
    /// Every codec compresses each 4 KiB page on its own, on one core. Without
    /// --corpus a corpus is built first from child processes (see
    /// `pagepress corpus build`). Build with --release for meaningful figures.
    Codec(CodecArgs),
}

#[derive(clap::Args, Debug)]
pub struct CodecArgs {
    /// Real-page corpus file (default: build one now, nothing is cached).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Pages per synthetic class (zero, same-filled, text, random).
    #[arg(long, default_value_t = 1024)]
    synthetic_pages: usize,
    /// Minimum time per codec, direction and page set, in milliseconds.
    #[arg(long, default_value_t = 100)]
    min_ms: u64,
}

pub fn run(cmd: BenchCmd) -> CliResult {
    match cmd {
        BenchCmd::Codec(a) => codec(a),
    }
}

fn codec(a: CodecArgs) -> CliResult {
    let corpus = load_or_build(a.corpus.as_deref())?;
    if corpus.is_empty() {
        return Err("the corpus holds no pages".into());
    }
    let min = Duration::from_millis(a.min_ms);
    let row = |label: &str, src: &pagepress::corpus::Source| -> Result<Row, String> {
        let info = src.info();
        Ok(Row {
            label: label.to_string(),
            pages: info.pages,
            same_filled: info.same_filled,
            results: Codec::ALL
                .iter()
                .map(|&c| measure(c, src.pages(), min))
                .collect::<Result<_, _>>()?,
        })
    };

    let mut real = Vec::new();
    for s in corpus.sources().iter().filter(|s| s.page_count() > 0) {
        real.push(row(s.label(), s)?);
    }
    let all = Row {
        label: "all real pages".into(),
        pages: real.iter().map(|r| r.pages).sum(),
        same_filled: real.iter().map(|r| r.same_filled).sum(),
        results: Codec::ALL
            .iter()
            .enumerate()
            .map(|(i, &c)| Measurement::sum(c, real.iter().map(|r| &r.results[i])))
            .collect(),
    };
    real.insert(0, all);

    let syn = synthetic(a.synthetic_pages.max(1));
    let mut synth = Vec::new();
    for s in syn.sources() {
        synth.push(row(s.label(), s)?);
    }
    print!(
        "{}",
        render_table(
            "Real pages (ratio = page bytes / compressed bytes; MB/s of page bytes, one core)",
            &real
        )
    );
    println!();
    print!("{}", render_table("Synthetic classes", &synth));
    Ok(())
}
