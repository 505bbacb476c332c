//! `pagepress corpus ...`.

use super::CliResult;

#[derive(clap::Subcommand, Debug)]
pub enum CorpusCmd {
    /// Capture the anonymous pages of a live process.
    Capture {},
}

pub fn run(_: CorpusCmd) -> CliResult {
    Err("`pagepress corpus` is not built yet".into())
}
