//! Arbitrary pages through the reference encoder: the subset decoder and
//! libzstd both give the page back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pagepress_codec::{PAGE_SIZE, Page, compress_page, decompress_page};

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    // Repeat the input to fill a page: short inputs make matchy pages.
    let mut page: Page = [0; PAGE_SIZE];
    for (i, b) in page.iter_mut().enumerate() {
        *b = data[i % data.len()];
    }
    let mut frame = Vec::new();
    compress_page(&page, &mut frame);
    let mut out: Page = [0; PAGE_SIZE];
    decompress_page(&frame, &mut out).expect("own frames decode");
    assert!(out == page);
    let z = zstd::bulk::decompress(&frame, PAGE_SIZE).expect("libzstd decodes own frames");
    assert!(z[..] == page[..]);
});
