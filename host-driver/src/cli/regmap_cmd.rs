//! `pagepress regmap`: the register map, as generated into docs/regmap.md.

use super::CliResult;

#[derive(clap::Args, Debug)]
pub struct RegmapArgs {}

pub fn run(_: RegmapArgs) -> CliResult {
    let mut s = String::new();
    pagepress_abi::regmap::render(&mut s)?;
    print!("{s}");
    Ok(())
}
