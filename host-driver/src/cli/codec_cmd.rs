//! `pagepress compress` / `pagepress decompress`.
//!
//! `compress` turns a file of whole 4 KiB pages into the pages' zstd frames,
//! back to back: a valid multi-frame zstd stream, so `zstd -d` gives the input
//! back. `decompress` decodes such a stream page by page with the subset
//! decoder, handing frames outside the subset to libzstd. Output is written
//! to a temporary file beside OUT and renamed on success: an error never
//! leaves a partial OUT.

use super::CliResult;
use pagepress_abi::format as f;
use pagepress_codec::{PAGE_SIZE, Page, compress_page, decompress_any, same_filled};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Which engine runs the codec.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// The reference codec on the CPU.
    #[default]
    Soft,
    /// The Verilated RTL engines (needs `cargo build --features rtl`).
    Rtl,
}

#[derive(clap::Args, Debug)]
pub struct CompressArgs {
    /// Input file: a whole number of 4 KiB pages.
    input: PathBuf,
    /// Output file: one zstd frame per page, concatenated (`zstd -d` restores IN).
    #[arg(short, long)]
    output: PathBuf,
    /// Print pages, same-filled/raw/compressed counts, ratio and MB/s.
    #[arg(long)]
    stats: bool,
    /// Engine that compresses.
    #[arg(long, value_enum, default_value_t = Engine::Soft)]
    engine: Engine,
}

#[derive(clap::Args, Debug)]
pub struct DecompressArgs {
    /// Input file: concatenated zstd frames of one page each.
    input: PathBuf,
    /// Output file: the pages.
    #[arg(short, long)]
    output: PathBuf,
    /// Engine that decompresses (frames outside the device subset always go
    /// through libzstd on the CPU).
    #[arg(long, value_enum, default_value_t = Engine::Soft)]
    engine: Engine,
}

/// The one-line error of `--engine rtl` in a build without the `rtl` feature.
#[cfg(not(feature = "rtl"))]
const NO_RTL: &str =
    "this pagepress was built without the RTL engines: rebuild with `cargo build --features rtl`";

pub fn compress(a: CompressArgs) -> CliResult {
    let input = read_input(&a.input)?;
    if input.is_empty() {
        return Err(format!("{}: empty file, no page to compress", a.input.display()).into());
    }
    if !input.len().is_multiple_of(PAGE_SIZE) {
        return Err(format!(
            "{}: {} bytes is not a whole number of 4096-byte pages",
            a.input.display(),
            input.len()
        )
        .into());
    }
    let t = Instant::now();
    let (frames, engine_line) = match a.engine {
        Engine::Soft => {
            let pages = input.as_chunks::<PAGE_SIZE>().0;
            let mut out = Vec::with_capacity(input.len() / 2);
            for p in pages {
                compress_page(p, &mut out);
            }
            (out, None)
        }
        Engine::Rtl => rtl_compress(&input)?,
    };
    let elapsed = t.elapsed();
    write_atomic(&a.output, &frames)?;
    if a.stats {
        print_stats(&input, &frames, elapsed)?;
        if let Some(line) = engine_line {
            println!("{line}");
        }
    }
    Ok(())
}

pub fn decompress(a: DecompressArgs) -> CliResult {
    let input = read_input(&a.input)?;
    let pages = match a.engine {
        Engine::Soft => decompress_soft(&input)?,
        Engine::Rtl => rtl_decompress(&input)?,
    };
    write_atomic(&a.output, &pages)?;
    Ok(())
}

/// Decodes every frame of `input` into one page each.
fn decompress_soft(input: &[u8]) -> Result<Vec<u8>, String> {
    if input.is_empty() {
        return Err("empty input, no frame to decompress".into());
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    let mut page: Page = [0; PAGE_SIZE];
    let mut pos = 0;
    let mut n = 0usize;
    while pos < input.len() {
        let len = decompress_any(&input[pos..], &mut page)
            .map_err(|e| format!("frame {n} at byte {pos}: {e}"))?;
        out.extend_from_slice(&page);
        pos += len;
        n += 1;
    }
    Ok(out)
}

#[cfg(feature = "rtl")]
fn rtl_compress(input: &[u8]) -> Result<(Vec<u8>, Option<String>), String> {
    // The Verilated RTL compressor (`pagepress::rtl_engine`, owned by the RTL
    // work): whole pages in, the concatenated frames out — the same bytes as
    // `compress_page` — and the core's cycle counts.
    let (frames, st) =
        pagepress::rtl_engine::compress_pages(input).map_err(|e| format!("RTL compressor: {e}"))?;
    let line = format!(
        "rtl cycles:       {} ({:.2} bytes/cycle; slowest page {} cycles)",
        st.cycles,
        st.bytes_per_cycle(),
        st.max_page_cycles
    );
    Ok((frames, Some(line)))
}

#[cfg(not(feature = "rtl"))]
fn rtl_compress(_: &[u8]) -> Result<(Vec<u8>, Option<String>), String> {
    Err(NO_RTL.into())
}

#[cfg(feature = "rtl")]
fn rtl_decompress(input: &[u8]) -> Result<Vec<u8>, String> {
    // The Verilated RTL decompressor (`pagepress::rtl_engine`): the concatenated
    // frames in, the pages out; frames outside the device subset go through
    // libzstd there too.
    pagepress::rtl_engine::decompress_frames(input)
        .map(|(pages, _stats)| pages)
        .map_err(|e| format!("RTL decompressor: {e}"))
}

#[cfg(not(feature = "rtl"))]
fn rtl_decompress(_: &[u8]) -> Result<Vec<u8>, String> {
    Err(NO_RTL.into())
}

fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `data` to a temporary file beside `path`, then renames it over `path`.
fn write_atomic(path: &Path, data: &[u8]) -> Result<(), String> {
    let tmp = pagepress_codec::corpus::temp_path(path);
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

/// Kind of each frame of `frames`: (RLE, raw, compressed) counts.
fn frame_kinds(frames: &[u8]) -> Result<(usize, usize, usize), String> {
    let (mut rle, mut raw, mut cmp) = (0, 0, 0);
    let mut pos = 0;
    while pos < frames.len() {
        let hdr = frames
            .get(pos..pos + f::FRAME_HEADER_SIZE + f::BLOCK_HEADER_SIZE)
            .ok_or("engine output ends inside a frame")?;
        let bh = u32::from_le_bytes([hdr[7], hdr[8], hdr[9], 0]);
        let size = (bh >> 3) as usize;
        let body = match ((bh >> 1) & 3) as u8 {
            f::BLOCK_TYPE_RLE => {
                rle += 1;
                1
            }
            f::BLOCK_TYPE_RAW => {
                raw += 1;
                size
            }
            _ => {
                cmp += 1;
                size
            }
        };
        pos += f::FRAME_HEADER_SIZE + f::BLOCK_HEADER_SIZE + body;
    }
    Ok((rle, raw, cmp))
}

fn print_stats(input: &[u8], frames: &[u8], elapsed: Duration) -> Result<(), String> {
    let pages = input.as_chunks::<PAGE_SIZE>().0;
    let same = pages
        .iter()
        .filter(|p| same_filled(&p[..]).is_some())
        .count();
    let (rle, raw, cmp) = frame_kinds(frames)?;
    let secs = elapsed.as_secs_f64().max(1e-9);
    println!("pages:            {}", pages.len());
    println!(
        "same-filled:      {same} ({:.1}%; {rle} as RLE frames)",
        100.0 * same as f64 / pages.len() as f64
    );
    println!("compressed:       {cmp}");
    println!("raw:              {raw}");
    println!("input bytes:      {}", input.len());
    println!("output bytes:     {}", frames.len());
    println!(
        "ratio:            {:.3}",
        input.len() as f64 / frames.len().max(1) as f64
    );
    println!(
        "speed:            {:.1} MB/s",
        input.len() as f64 / 1e6 / secs
    );
    Ok(())
}
