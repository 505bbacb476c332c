//! Arbitrary bytes into the subset decoder: it must never panic or write
//! outside the page, and every frame it accepts must be one libzstd decodes
//! to the same page.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pagepress_codec::{PAGE_SIZE, Page, decode_frame, decompress_any, decompress_page};

fuzz_target!(|data: &[u8]| {
    let mut out: Page = [0; PAGE_SIZE];
    if let Ok(n) = decode_frame(data, &mut out) {
        assert!(n <= data.len());
        let z = zstd::bulk::decompress(&data[..n], PAGE_SIZE + 1)
            .expect("libzstd decodes every frame the subset decoder accepts");
        assert!(z[..] == out[..]);
    }
    let _ = decompress_page(data, &mut out);
    let _ = decompress_any(data, &mut out);
});
