//! The corpus file format: round trip, and a clear error for every malformed file.

use pagepress_codec::PAGE_SIZE;
use pagepress_codec::corpus::{
    Corpus, CorpusError, MAGIC, Source, SyntheticClass, VERSION, synthetic,
};

fn sample() -> Corpus {
    let mut c = synthetic(3);
    c.push(Source::new("empty source", Vec::new()).unwrap());
    c.push(Source::new("ünïcode label", vec![7u8; 2 * PAGE_SIZE]).unwrap());
    c
}

fn bytes(c: &Corpus) -> Vec<u8> {
    let mut v = Vec::new();
    c.write_to(&mut v).unwrap();
    v
}

#[test]
fn write_read_round_trip() {
    let c = sample();
    let v = bytes(&c);
    assert_eq!(&v[..8], &MAGIC);
    assert_eq!(u32::from_le_bytes(v[8..12].try_into().unwrap()), VERSION);
    assert_eq!(u32::from_le_bytes(v[12..16].try_into().unwrap()), 6);
    assert_eq!(u64::from_le_bytes(v[16..24].try_into().unwrap()), 14);
    let back = Corpus::read_from(&v[..]).unwrap();
    assert_eq!(back, c);
    assert_eq!(back.page_count(), 14);
    assert_eq!(back.sources()[5].label(), "ünïcode label");
    assert_eq!(back.pages().count(), 14);
}

#[test]
fn save_and_load_file() {
    let dir = std::env::temp_dir().join(format!("pp-corpus-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.corpus");
    let c = sample();
    c.save(&path).unwrap();
    assert_eq!(Corpus::load(&path).unwrap(), c);
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    let missing = dir.join("missing.corpus");
    let e = Corpus::load(&missing).unwrap_err();
    assert!(matches!(e, CorpusError::Io { .. }));
    assert!(e.to_string().contains("missing.corpus"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn info_counts_same_filled_and_zero_pages() {
    let c = synthetic(5);
    let info = c.info();
    let by = |l: &str| info.iter().find(|i| i.label == l).unwrap().clone();
    let z = by(SyntheticClass::Zero.label());
    assert_eq!((z.pages, z.zero, z.same_filled), (5, 5, 5));
    let s = by(SyntheticClass::SameFilled.label());
    assert_eq!((s.zero, s.same_filled), (0, 5));
    assert_eq!(s.same_filled_share(), 1.0);
    let r = by(SyntheticClass::Random.label());
    assert_eq!(r.same_filled, 0);
}

#[test]
fn synthetic_pages_are_deterministic_and_distinct() {
    for class in SyntheticClass::ALL {
        assert_eq!(class.page(3), class.page(3));
    }
    assert_ne!(
        SyntheticClass::Random.page(1),
        SyntheticClass::Random.page(2)
    );
    assert_ne!(SyntheticClass::Text.page(1), SyntheticClass::Text.page(2));
}

#[test]
fn malformed_files_are_rejected() {
    let good = bytes(&sample());
    let read = |v: &[u8]| Corpus::read_from(v).unwrap_err();

    let mut v = good.clone();
    v[0] = b'X';
    assert!(matches!(read(&v), CorpusError::BadMagic));

    let mut v = good.clone();
    v[8] = 9;
    assert!(matches!(read(&v), CorpusError::UnsupportedVersion(9)));

    // Every truncation is an error, never a panic.
    for cut in [0, 5, 8, 15, 23, 30, good.len() - PAGE_SIZE, good.len() - 1] {
        assert!(Corpus::read_from(&good[..cut]).is_err(), "cut {cut}");
    }
    assert!(matches!(
        read(&good[..good.len() - 1]),
        CorpusError::Truncated(_)
    ));

    let mut v = good.clone();
    v.push(0);
    assert!(matches!(read(&v), CorpusError::Corrupt(_)));

    // Total page count disagreeing with the sources.
    let mut v = good.clone();
    v[16] ^= 1;
    assert!(matches!(read(&v), CorpusError::Corrupt(_)));

    // A header announcing an absurd page count does not allocate it first.
    let mut v = Vec::new();
    v.extend_from_slice(&MAGIC);
    v.extend_from_slice(&VERSION.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes());
    v.extend_from_slice(&(1u64 << 40).to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.push(b'x');
    v.extend_from_slice(&(1u64 << 40).to_le_bytes());
    v.extend_from_slice(&[0u8; PAGE_SIZE]);
    assert!(Corpus::read_from(&v[..]).is_err());

    // A label that is not UTF-8.
    let mut c = Corpus::new();
    c.push(Source::new("ab", vec![0; PAGE_SIZE]).unwrap());
    let mut v = bytes(&c);
    v[26] = 0xff;
    assert!(matches!(read(&v), CorpusError::Corrupt(_)));
}

#[test]
fn sources_must_hold_whole_pages() {
    assert!(matches!(
        Source::new("x", vec![0; PAGE_SIZE + 1]),
        Err(CorpusError::NotWholePages(4097))
    ));
    assert!(matches!(
        Source::new("y".repeat(70_000), Vec::new()),
        Err(CorpusError::LabelTooLong(70_000))
    ));
    let mut s = Source::new("z", Vec::new()).unwrap();
    s.push_page(&[1; PAGE_SIZE]);
    assert_eq!(s.page_count(), 1);
}
