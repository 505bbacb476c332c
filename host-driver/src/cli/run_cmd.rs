//! `pagepress run`: the swap workload (owned by the swap-protocol work).

use super::CliResult;

#[derive(clap::Args, Debug)]
pub struct RunArgs {}

pub fn run(_: RunArgs) -> CliResult {
    Err("`pagepress run` is not built yet".into())
}
