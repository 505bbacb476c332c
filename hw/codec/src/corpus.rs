//! Page corpora: sets of real 4 KiB pages, labelled by where they came from.
//!
//! A corpus is what the ratio and throughput figures are measured on, and
//! what the RTL and simulator tests replay: it is kept here, in the codec
//! crate, so any of them can read it without depending on the host driver.
//! The host driver captures corpora from live processes
//! (`pagepress corpus capture|build`); [`synthetic`] makes the classes
//! (zero, same-filled, text, random) reported beside them.
//!
//! # File format (version 1, all integers little-endian)
//!
//! ```text
//! header   magic "PPCORPUS" (8 bytes), version u32 = 1, source count u32,
//!          total page count u64
//! sources  per source: label length u16, label (UTF-8), page count u64
//! pages    the raw pages, 4096 bytes each, source after source in header order
//! ```
//!
//! A reader checks the magic, the version, that the per-source counts add up
//! to the total, that labels are UTF-8, and that the file holds exactly the
//! pages announced — no fewer and no trailing bytes.

use crate::{Page, same_filled};
use pagepress_abi::format::PAGE_SIZE;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;

/// The 8 bytes every corpus file starts with.
pub const MAGIC: [u8; 8] = *b"PPCORPUS";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// Longest source label, in bytes.
pub const MAX_LABEL_LEN: usize = u16::MAX as usize;

/// Why a corpus could not be read, written or built.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: io::Error,
    },
    #[error("corpus I/O: {0}")]
    Stream(#[from] io::Error),
    #[error("not a pagepress corpus file (bad magic)")]
    BadMagic,
    #[error("corpus format version {0} is not supported (this build reads version {VERSION})")]
    UnsupportedVersion(u32),
    #[error("corpus file truncated: {0}")]
    Truncated(&'static str),
    #[error("corpus file corrupt: {0}")]
    Corrupt(String),
    #[error("source data is {0} bytes, not a whole number of 4 KiB pages")]
    NotWholePages(usize),
    #[error("source label is {0} bytes, longer than {MAX_LABEL_LEN}")]
    LabelTooLong(usize),
}

impl CorpusError {
    fn at(path: &Path) -> impl FnOnce(io::Error) -> CorpusError + '_ {
        move |source| CorpusError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The pages of one source (a process, a synthetic class).
#[derive(Clone, PartialEq, Eq)]
pub struct Source {
    label: String,
    data: Vec<u8>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("label", &self.label)
            .field("pages", &self.page_count())
            .finish()
    }
}

impl Source {
    /// A source from whole pages of `data`.
    pub fn new(label: impl Into<String>, data: Vec<u8>) -> Result<Source, CorpusError> {
        let label = label.into();
        if label.len() > MAX_LABEL_LEN {
            return Err(CorpusError::LabelTooLong(label.len()));
        }
        if !data.len().is_multiple_of(PAGE_SIZE) {
            return Err(CorpusError::NotWholePages(data.len()));
        }
        Ok(Source { label, data })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn page_count(&self) -> usize {
        self.data.len() / PAGE_SIZE
    }

    /// The pages, in capture order.
    pub fn pages(&self) -> &[Page] {
        self.data.as_chunks::<PAGE_SIZE>().0
    }

    /// The pages as one byte slice.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// Appends one page.
    pub fn push_page(&mut self, page: &Page) {
        self.data.extend_from_slice(page);
    }

    /// Page counts of this source.
    pub fn info(&self) -> SourceInfo {
        let mut info = SourceInfo {
            label: self.label.clone(),
            pages: self.page_count(),
            zero: 0,
            same_filled: 0,
        };
        for p in self.pages() {
            match same_filled(p) {
                Some(0) => {
                    info.zero += 1;
                    info.same_filled += 1;
                }
                Some(_) => info.same_filled += 1,
                None => {}
            }
        }
        info
    }
}

/// Page counts of one source, as `pagepress corpus info` prints them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    pub label: String,
    pub pages: usize,
    /// Pages of zero bytes (also counted in `same_filled`).
    pub zero: usize,
    /// Pages whose 64-bit words are all equal, zero pages included.
    pub same_filled: usize,
}

impl SourceInfo {
    /// Same-filled pages as a fraction of all pages (0 for an empty source).
    pub fn same_filled_share(&self) -> f64 {
        if self.pages == 0 {
            0.0
        } else {
            self.same_filled as f64 / self.pages as f64
        }
    }
}

/// A labelled set of pages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Corpus {
    sources: Vec<Source>,
}

impl Corpus {
    pub fn new() -> Corpus {
        Corpus::default()
    }

    /// Adds a source (its label need not be unique).
    pub fn push(&mut self, source: Source) {
        self.sources.push(source);
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    pub fn into_sources(self) -> Vec<Source> {
        self.sources
    }

    /// Total pages over all sources.
    pub fn page_count(&self) -> usize {
        self.sources.iter().map(Source::page_count).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.page_count() == 0
    }

    /// Every page, source after source.
    pub fn pages(&self) -> impl Iterator<Item = &Page> + '_ {
        self.sources.iter().flat_map(|s| s.pages().iter())
    }

    /// Every page as `(source label, page)`.
    pub fn labelled_pages(&self) -> impl Iterator<Item = (&str, &Page)> + '_ {
        self.sources
            .iter()
            .flat_map(|s| s.pages().iter().map(move |p| (s.label(), p)))
    }

    /// Per-source page counts.
    pub fn info(&self) -> Vec<SourceInfo> {
        self.sources.iter().map(Source::info).collect()
    }

    /// Writes the corpus in the file format of this module.
    pub fn write_to<W: Write>(&self, mut w: W) -> Result<(), CorpusError> {
        w.write_all(&MAGIC)?;
        w.write_all(&VERSION.to_le_bytes())?;
        let nsrc = u32::try_from(self.sources.len())
            .map_err(|_| CorpusError::Corrupt("more than 2^32 sources".into()))?;
        w.write_all(&nsrc.to_le_bytes())?;
        w.write_all(&(self.page_count() as u64).to_le_bytes())?;
        for s in &self.sources {
            w.write_all(&(s.label.len() as u16).to_le_bytes())?;
            w.write_all(s.label.as_bytes())?;
            w.write_all(&(s.page_count() as u64).to_le_bytes())?;
        }
        for s in &self.sources {
            w.write_all(&s.data)?;
        }
        w.flush()?;
        Ok(())
    }

    /// Reads a corpus; the stream must hold exactly one corpus.
    pub fn read_from<R: Read>(mut r: R) -> Result<Corpus, CorpusError> {
        let mut magic = [0u8; 8];
        read_exact(&mut r, &mut magic, "header")?;
        if magic != MAGIC {
            return Err(CorpusError::BadMagic);
        }
        let version = read_u32(&mut r, "header")?;
        if version != VERSION {
            return Err(CorpusError::UnsupportedVersion(version));
        }
        let nsrc = read_u32(&mut r, "header")? as usize;
        let total = read_u64(&mut r, "header")?;
        let mut heads = Vec::with_capacity(nsrc.min(1 << 16));
        let mut sum = 0u64;
        for _ in 0..nsrc {
            let len = read_u16(&mut r, "source table")? as usize;
            let mut label = vec![0u8; len];
            read_exact(&mut r, &mut label, "source table")?;
            let label = String::from_utf8(label)
                .map_err(|_| CorpusError::Corrupt("source label is not UTF-8".into()))?;
            let pages = read_u64(&mut r, "source table")?;
            sum = sum
                .checked_add(pages)
                .ok_or_else(|| CorpusError::Corrupt("page counts overflow".into()))?;
            heads.push((label, pages));
        }
        if sum != total {
            return Err(CorpusError::Corrupt(format!(
                "header announces {total} pages, the sources {sum}"
            )));
        }
        let mut corpus = Corpus::new();
        for (label, pages) in heads {
            let bytes = usize::try_from(pages)
                .ok()
                .and_then(|p| p.checked_mul(PAGE_SIZE))
                .ok_or_else(|| CorpusError::Corrupt("page count too large".into()))?;
            // Read in chunks so a lying header cannot make us allocate first.
            let mut data = Vec::new();
            let got = (&mut r).take(bytes as u64).read_to_end(&mut data)?;
            if got != bytes {
                return Err(CorpusError::Truncated("fewer pages than announced"));
            }
            corpus.push(Source { label, data });
        }
        let mut extra = [0u8; 1];
        if r.read(&mut extra)? != 0 {
            return Err(CorpusError::Corrupt(
                "trailing bytes after the last page".into(),
            ));
        }
        Ok(corpus)
    }

    /// Writes the corpus to `path` (through a temporary file in the same
    /// directory, renamed on success, so a failed write leaves no partial file).
    pub fn save(&self, path: &Path) -> Result<(), CorpusError> {
        let tmp = temp_path(path);
        let res = (|| {
            let f = std::fs::File::create(&tmp).map_err(CorpusError::at(&tmp))?;
            let mut w = io::BufWriter::new(f);
            self.write_to(&mut w)?;
            let f = w
                .into_inner()
                .map_err(|e| CorpusError::Stream(e.into_error()))?;
            f.sync_all().map_err(CorpusError::at(&tmp))?;
            std::fs::rename(&tmp, path).map_err(CorpusError::at(path))
        })();
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        res
    }

    /// Reads the corpus file at `path`.
    pub fn load(path: &Path) -> Result<Corpus, CorpusError> {
        let f = std::fs::File::open(path).map_err(CorpusError::at(path))?;
        Corpus::read_from(io::BufReader::new(f)).map_err(|e| match e {
            CorpusError::Stream(source) => CorpusError::Io {
                path: path.to_path_buf(),
                source,
            },
            e => e,
        })
    }
}

/// `DIR/.NAME.tmp.PID`: a sibling of `path` for write-then-rename.
pub fn temp_path(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.tmp.{}", std::process::id()))
}

fn read_exact<R: Read>(r: &mut R, buf: &mut [u8], what: &'static str) -> Result<(), CorpusError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            CorpusError::Truncated(what)
        } else {
            CorpusError::Stream(e)
        }
    })
}

fn read_u16<R: Read>(r: &mut R, what: &'static str) -> Result<u16, CorpusError> {
    let mut b = [0u8; 2];
    read_exact(r, &mut b, what)?;
    Ok(u16::from_le_bytes(b))
}

fn read_u32<R: Read>(r: &mut R, what: &'static str) -> Result<u32, CorpusError> {
    let mut b = [0u8; 4];
    read_exact(r, &mut b, what)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64<R: Read>(r: &mut R, what: &'static str) -> Result<u64, CorpusError> {
    let mut b = [0u8; 8];
    read_exact(r, &mut b, what)?;
    Ok(u64::from_le_bytes(b))
}

// ---- synthetic classes ----------------------------------------------------------

/// Synthetic page classes, reported separately from real pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyntheticClass {
    /// All zero bytes.
    Zero,
    /// One non-zero 64-bit word repeated (zswap's same-filled pages).
    SameFilled,
    /// English-like text from a small vocabulary.
    Text,
    /// Uniformly random bytes (incompressible).
    Random,
}

impl SyntheticClass {
    pub const ALL: [SyntheticClass; 4] = [
        SyntheticClass::Zero,
        SyntheticClass::SameFilled,
        SyntheticClass::Text,
        SyntheticClass::Random,
    ];

    /// The source label of the class in a synthetic corpus.
    pub fn label(self) -> &'static str {
        match self {
            SyntheticClass::Zero => "synthetic:zero",
            SyntheticClass::SameFilled => "synthetic:same-filled",
            SyntheticClass::Text => "synthetic:text",
            SyntheticClass::Random => "synthetic:random",
        }
    }

    /// Page `index` of the class (deterministic).
    pub fn page(self, index: u64) -> Box<Page> {
        let mut p = Box::new([0u8; PAGE_SIZE]);
        let mut rng = SplitMix64(index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self as u64);
        match self {
            SyntheticClass::Zero => {}
            SyntheticClass::SameFilled => {
                let w = rng.next_u64() | 1 << 63;
                for c in p.chunks_exact_mut(8) {
                    c.copy_from_slice(&w.to_le_bytes());
                }
            }
            SyntheticClass::Text => {
                const WORDS: [&str; 24] = [
                    "the ",
                    "memory ",
                    "page ",
                    "of ",
                    "a ",
                    "process ",
                    "is ",
                    "swapped ",
                    "out ",
                    "to ",
                    "the ",
                    "device, ",
                    "which ",
                    "compresses ",
                    "it ",
                    "and ",
                    "stores ",
                    "it ",
                    "by ",
                    "slot. ",
                    "When ",
                    "faulted ",
                    "back, ",
                    "\n",
                ];
                let mut i = 0;
                while i < PAGE_SIZE {
                    let w = WORDS[(rng.next_u64() % WORDS.len() as u64) as usize].as_bytes();
                    let n = w.len().min(PAGE_SIZE - i);
                    p[i..i + n].copy_from_slice(&w[..n]);
                    i += n;
                }
            }
            SyntheticClass::Random => {
                for c in p.chunks_exact_mut(8) {
                    c.copy_from_slice(&rng.next_u64().to_le_bytes());
                }
            }
        }
        p
    }

    /// `pages` pages of the class as a source.
    pub fn source(self, pages: usize) -> Source {
        let mut data = Vec::with_capacity(pages * PAGE_SIZE);
        for i in 0..pages {
            data.extend_from_slice(&self.page(i as u64)[..]);
        }
        Source {
            label: self.label().to_string(),
            data,
        }
    }
}

/// A corpus of `pages_per_class` pages of every synthetic class.
pub fn synthetic(pages_per_class: usize) -> Corpus {
    Corpus {
        sources: SyntheticClass::ALL
            .iter()
            .map(|c| c.source(pages_per_class))
            .collect(),
    }
}

/// SplitMix64: the deterministic generator behind the synthetic classes, also
/// used by the workload and the RTL page sets so that one generator serves all.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `next_u64() % n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
