//! Codec benchmark: the page codec beside lz4 and zstd levels 1 and 3, each
//! compressing every 4 KiB page on its own, on one core, on the same pages:
//! the real-page corpus (all sources together) and each synthetic class.
//!
//! ```text
//! cargo bench -p pagepress-benches --bench codec -- --warm-up-time 1 --measurement-time 2
//! PAGEPRESS_CORPUS=pages.corpus cargo bench -p pagepress-benches --bench codec
//! ```
//!
//! Throughput is in page bytes; the ratio of each codec on each page set is
//! printed once at the start (the same figures as `pagepress bench codec`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pagepress::corpus::codecs::{Codec, Compressed, Engine};
use pagepress_benches::codec::{real_corpus, synthetic_corpus};
use pagepress_codec::{PAGE_SIZE, Page};

fn page_sets() -> Vec<(String, Vec<Page>)> {
    let real = real_corpus();
    let mut sets = vec![("real".to_string(), real.pages().copied().collect())];
    for s in synthetic_corpus(256).sources() {
        sets.push((s.label().replace(':', "-"), s.pages().to_vec()));
    }
    sets
}

fn bench(c: &mut Criterion) {
    for (name, pages) in page_sets() {
        let mut g = c.benchmark_group(format!("codec/{name}"));
        g.throughput(Throughput::Bytes((pages.len() * PAGE_SIZE) as u64));
        for codec in Codec::ALL {
            let mut e = Engine::new(codec);
            let mut comp = Compressed::default();
            e.compress(&pages, &mut comp);
            let mut out = vec![[0u8; PAGE_SIZE]; pages.len()];
            assert!(
                e.decompress(&comp, &mut out) && out == pages,
                "{}",
                codec.name()
            );
            eprintln!(
                "codec/{name}: {} ratio {:.3} ({} pages)",
                codec.name(),
                (pages.len() * PAGE_SIZE) as f64 / comp.bytes.len() as f64,
                pages.len()
            );
            g.bench_function(BenchmarkId::new("compress", codec.name()), |b| {
                b.iter(|| e.compress(&pages, &mut comp))
            });
            e.compress(&pages, &mut comp);
            g.bench_function(BenchmarkId::new("decompress", codec.name()), |b| {
                b.iter(|| e.decompress(&comp, &mut out))
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
