//! `pagepress compress` / `pagepress decompress`.

use super::CliResult;

#[derive(clap::Args, Debug)]
pub struct CompressArgs {}

#[derive(clap::Args, Debug)]
pub struct DecompressArgs {}

pub fn compress(_: CompressArgs) -> CliResult {
    Err("`pagepress compress` is not built yet".into())
}

pub fn decompress(_: DecompressArgs) -> CliResult {
    Err("`pagepress decompress` is not built yet".into())
}
