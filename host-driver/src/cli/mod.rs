//! The `pagepress` command line. One file per subcommand.

mod bench_cmd;
mod codec_cmd;
mod corpus_cmd;
mod regmap_cmd;
mod run_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Result of a subcommand; the error is printed as one line.
pub type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// pagepress: compressed-memory offload — a swap protocol over a page-compressing
/// device (soft model, Verilated RTL, or PCIe through VFIO).
#[derive(Parser, Debug)]
#[command(name = "pagepress", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run the swap workload against a device backend (the main job).
    Run(run_cmd::RunArgs),
    /// Compress a file of whole 4 KiB pages into concatenated zstd frames.
    Compress(codec_cmd::CompressArgs),
    /// Decompress concatenated page frames back into pages.
    Decompress(codec_cmd::DecompressArgs),
    /// Capture and inspect real-page corpora.
    #[command(subcommand)]
    Corpus(corpus_cmd::CorpusCmd),
    /// Benchmarks with tables for the docs (`bench codec`: ratio and MB/s vs lz4/zstd).
    #[command(subcommand)]
    Bench(bench_cmd::BenchCmd),
    /// Print the register map generated from the ABI crate (docs/regmap.md).
    Regmap(regmap_cmd::RegmapArgs),
}

/// A value parser accepting one of `names` (listed in `--help` and in the
/// error for anything else) and parsing it with the target's `FromStr`.
fn one_of<T>(names: [&'static str; 3]) -> impl clap::builder::TypedValueParser<Value = T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Debug,
{
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(names)
        .map(|s| s.parse::<T>().expect("a listed name parses"))
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Run(a) => run_cmd::run(a),
        Cmd::Compress(a) => codec_cmd::compress(a),
        Cmd::Decompress(a) => codec_cmd::decompress(a),
        Cmd::Corpus(c) => corpus_cmd::run(c),
        Cmd::Bench(c) => bench_cmd::run(c),
        Cmd::Regmap(a) => regmap_cmd::run(a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pagepress: error: {e}");
            ExitCode::FAILURE
        }
    }
}
