//! DMA-able host memory and the IOVA space a device sees it through.
//!
//! A [`DmaSpace`] is the model of an IOMMU domain: it hands out [`DmaRegion`]s,
//! each mapped at an IOVA, and resolves device-side accesses by IOVA with bounds
//! checks. An access that is not wholly inside one mapped region is a
//! [`DmaFault`], which a device reports as `Status::DmaFault`.
//!
//! Region memory is an array of `AtomicU64` words. The host and the device
//! touch the same words from different threads, so every access is atomic;
//! plain (`Relaxed`) accesses carry the bulk data and the rings use
//! `Acquire`/`Release` on the word that publishes an entry (the completion
//! word holding the phase bit) plus the fence before a doorbell. This needs no
//! `unsafe`: the same words could be handed to a VFIO container for mapping,
//! because a boxed slice never moves.
//!
//! Byte order within a word is little-endian, so a byte offset maps to word
//! `offset / 8`, byte `offset % 8` on any host.
//!
//! Locking: `DmaSpace::regions` (an `RwLock`) protects the IOVA map; it is
//! taken for read on every device-side access and for write only when a region
//! is mapped or unmapped. Region contents are never under a lock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// A device access outside every mapped region (or straddling two).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("DMA fault at IOVA {iova:#x} (+{len} bytes)")]
pub struct DmaFault {
    pub iova: u64,
    pub len: usize,
}

/// First IOVA handed out. Nonzero so that an IOVA of 0 (an unprogrammed ring
/// base, a zeroed descriptor) always faults.
const IOVA_BASE: u64 = 0x1_0000_0000;
/// IOVAs are aligned to this and regions are separated by at least one unmapped
/// guard of this size, so an access that runs off a region's end faults.
const IOVA_ALIGN: u64 = 4096;

/// The words of one region, shared by the host handle and the IOVA map.
#[derive(Debug)]
struct RegionWords {
    /// Length in bytes as allocated (the words cover it rounded up to 8).
    len: usize,
    words: Box<[AtomicU64]>,
}

/// The IOVA map of one device.
#[derive(Debug)]
struct SpaceInner {
    /// IOVA of a region's first byte -> the region. Protected by the lock.
    regions: RwLock<BTreeMap<u64, Arc<RegionWords>>>,
    /// Next IOVA to hand out (bump allocation; IOVAs are never reused, so a
    /// stale device access after an unmap faults instead of hitting new data).
    next_iova: AtomicU64,
    /// Bumped on every unmap: an [`Iotlb`] that saw an older value drops its
    /// cached translations.
    unmap_generation: AtomicU64,
}

/// An IOMMU domain: the host memory a device may reach, by IOVA.
#[derive(Clone, Debug)]
pub struct DmaSpace {
    inner: Arc<SpaceInner>,
}

impl Default for DmaSpace {
    fn default() -> Self {
        Self::new()
    }
}

impl DmaSpace {
    pub fn new() -> Self {
        DmaSpace {
            inner: Arc::new(SpaceInner {
                regions: RwLock::new(BTreeMap::new()),
                next_iova: AtomicU64::new(IOVA_BASE),
                unmap_generation: AtomicU64::new(0),
            }),
        }
    }

    /// Allocates and maps a zeroed region of `len` bytes (`len > 0`).
    pub fn alloc(&self, len: usize) -> DmaRegion {
        debug_assert!(len > 0);
        let words: Box<[AtomicU64]> = (0..len.div_ceil(8)).map(|_| AtomicU64::new(0)).collect();
        let span = (len as u64).div_ceil(IOVA_ALIGN) * IOVA_ALIGN + IOVA_ALIGN;
        let iova = self.inner.next_iova.fetch_add(span, Ordering::Relaxed);
        let region = Arc::new(RegionWords { len, words });
        self.inner
            .regions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(iova, Arc::clone(&region));
        DmaRegion {
            iova,
            region,
            space: Arc::clone(&self.inner),
        }
    }

    /// Bytes currently mapped (for tests and diagnostics).
    pub fn mapped_regions(&self) -> usize {
        self.inner
            .regions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Resolves `iova .. iova + len` to a region and the byte offset in it.
    fn resolve(&self, iova: u64, len: usize) -> Result<(Arc<RegionWords>, usize), DmaFault> {
        let fault = DmaFault { iova, len };
        let map = self.inner.regions.read().unwrap_or_else(|e| e.into_inner());
        let (&base, region) = map.range(..=iova).next_back().ok_or(fault)?;
        let offset = usize::try_from(iova - base).map_err(|_| fault)?;
        let end = offset.checked_add(len).ok_or(fault)?;
        if end > region.len {
            return Err(fault);
        }
        Ok((Arc::clone(region), offset))
    }

    /// Like `resolve`, through a device-side translation cache.
    fn resolve_cached(
        &self,
        tlb: &mut Iotlb,
        iova: u64,
        len: usize,
    ) -> Result<(Arc<RegionWords>, usize), DmaFault> {
        let generation = self.inner.unmap_generation.load(Ordering::SeqCst);
        if tlb.generation != generation {
            tlb.entries.clear();
            tlb.generation = generation;
        }
        for (base, region) in &tlb.entries {
            if iova >= *base {
                let offset = (iova - base) as usize;
                if offset.checked_add(len).is_some_and(|end| end <= region.len) {
                    return Ok((Arc::clone(region), offset));
                }
            }
        }
        let (region, offset) = self.resolve(iova, len)?;
        if tlb.entries.len() >= IOTLB_ENTRIES {
            tlb.entries.remove(0);
        }
        tlb.entries
            .push((iova - offset as u64, Arc::clone(&region)));
        Ok((region, offset))
    }

    /// [`DmaSpace::read`] through `tlb`.
    pub fn read_cached(&self, tlb: &mut Iotlb, iova: u64, out: &mut [u8]) -> Result<(), DmaFault> {
        let (region, offset) = self.resolve_cached(tlb, iova, out.len())?;
        read_bytes(&region.words, offset, out);
        Ok(())
    }

    /// [`DmaSpace::write`] through `tlb`.
    pub fn write_cached(&self, tlb: &mut Iotlb, iova: u64, data: &[u8]) -> Result<(), DmaFault> {
        let (region, offset) = self.resolve_cached(tlb, iova, data.len())?;
        write_bytes(&region.words, offset, data);
        Ok(())
    }

    /// Reads consecutive aligned words at `iova` through `tlb`, the last one
    /// with `last_order` (the others `Relaxed`).
    pub fn load_words_cached(
        &self,
        tlb: &mut Iotlb,
        iova: u64,
        out: &mut [u64],
    ) -> Result<(), DmaFault> {
        if !iova.is_multiple_of(8) {
            return Err(DmaFault {
                iova,
                len: out.len() * 8,
            });
        }
        let (region, offset) = self.resolve_cached(tlb, iova, out.len() * 8)?;
        for (i, w) in out.iter_mut().enumerate() {
            *w = region.words[offset / 8 + i].load(Ordering::Relaxed);
        }
        Ok(())
    }

    /// Writes consecutive aligned words at `iova` through `tlb`: every word
    /// but the first `Relaxed`, then the first with `Release` (it publishes
    /// the others, as a completion's phase word does).
    pub fn store_words_publish_first(
        &self,
        tlb: &mut Iotlb,
        iova: u64,
        words: &[u64],
    ) -> Result<(), DmaFault> {
        if !iova.is_multiple_of(8) || words.is_empty() {
            return Err(DmaFault {
                iova,
                len: words.len() * 8,
            });
        }
        let (region, offset) = self.resolve_cached(tlb, iova, words.len() * 8)?;
        for (i, w) in words.iter().enumerate().skip(1) {
            region.words[offset / 8 + i].store(*w, Ordering::Relaxed);
        }
        region.words[offset / 8].store(words[0], Ordering::Release);
        Ok(())
    }

    /// Device-side read of `out.len()` bytes at `iova`.
    pub fn read(&self, iova: u64, out: &mut [u8]) -> Result<(), DmaFault> {
        let (region, offset) = self.resolve(iova, out.len())?;
        read_bytes(&region.words, offset, out);
        Ok(())
    }

    /// Device-side write of `data` at `iova`.
    pub fn write(&self, iova: u64, data: &[u8]) -> Result<(), DmaFault> {
        let (region, offset) = self.resolve(iova, data.len())?;
        write_bytes(&region.words, offset, data);
        Ok(())
    }

    /// Device-side aligned 64-bit load (`iova` 8-aligned).
    pub fn load_u64(&self, iova: u64, order: Ordering) -> Result<u64, DmaFault> {
        if !iova.is_multiple_of(8) {
            return Err(DmaFault { iova, len: 8 });
        }
        let (region, offset) = self.resolve(iova, 8)?;
        Ok(region.words[offset / 8].load(order))
    }

    /// Device-side aligned 64-bit store (`iova` 8-aligned).
    pub fn store_u64(&self, iova: u64, value: u64, order: Ordering) -> Result<(), DmaFault> {
        if !iova.is_multiple_of(8) {
            return Err(DmaFault { iova, len: 8 });
        }
        let (region, offset) = self.resolve(iova, 8)?;
        region.words[offset / 8].store(value, order);
        Ok(())
    }
}

/// Translations a device engine caches (its IOTLB): a few recently used
/// regions, dropped whenever any region is unmapped. Saves the map lookup on
/// the rings and bounce buffers a queue uses over and over.
#[derive(Debug, Default)]
pub struct Iotlb {
    generation: u64,
    entries: Vec<(u64, Arc<RegionWords>)>,
}

const IOTLB_ENTRIES: usize = 8;

/// Host handle of one mapped region. Dropping it unmaps the IOVA range: later
/// device accesses to it fault.
#[derive(Debug)]
pub struct DmaRegion {
    iova: u64,
    region: Arc<RegionWords>,
    space: Arc<SpaceInner>,
}

impl Drop for DmaRegion {
    fn drop(&mut self) {
        let mut map = self
            .space
            .regions
            .write()
            .unwrap_or_else(|e| e.into_inner());
        map.remove(&self.iova);
        // Under the map lock, so a translation cached after this bump was
        // made without the region.
        self.space.unmap_generation.fetch_add(1, Ordering::SeqCst);
    }
}

impl DmaRegion {
    /// The IOVA of byte 0, as programmed into the device.
    pub fn iova(&self) -> u64 {
        self.iova
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.region.len
    }

    pub fn is_empty(&self) -> bool {
        self.region.len == 0
    }

    /// Host-side copy out of the region. `offset + out.len() <= len()`.
    pub fn read_bytes(&self, offset: usize, out: &mut [u8]) {
        assert!(
            offset + out.len() <= self.region.len,
            "DmaRegion read out of bounds"
        );
        read_bytes(&self.region.words, offset, out);
    }

    /// Host-side copy into the region. `offset + data.len() <= len()`.
    pub fn write_bytes(&self, offset: usize, data: &[u8]) {
        assert!(
            offset + data.len() <= self.region.len,
            "DmaRegion write out of bounds"
        );
        write_bytes(&self.region.words, offset, data);
    }

    /// Host-side aligned 64-bit load; `offset` is 8-aligned and in bounds.
    pub fn load_u64(&self, offset: usize, order: Ordering) -> u64 {
        debug_assert!(offset.is_multiple_of(8) && offset + 8 <= self.region.len);
        self.region.words[offset / 8].load(order)
    }

    /// Host-side aligned 64-bit store; `offset` is 8-aligned and in bounds.
    pub fn store_u64(&self, offset: usize, value: u64, order: Ordering) {
        debug_assert!(offset.is_multiple_of(8) && offset + 8 <= self.region.len);
        self.region.words[offset / 8].store(value, order);
    }
}

/// Copies bytes out of little-endian words starting at byte `offset`.
fn read_bytes(words: &[AtomicU64], offset: usize, out: &mut [u8]) {
    let mut pos = offset;
    let mut done = 0;
    // Leading partial word.
    if !pos.is_multiple_of(8) && done < out.len() {
        let w = words[pos / 8].load(Ordering::Relaxed).to_le_bytes();
        let start = pos % 8;
        let n = (8 - start).min(out.len());
        out[..n].copy_from_slice(&w[start..start + n]);
        done += n;
        pos += n;
    }
    // Whole words.
    let whole = (out.len() - done) / 8;
    let first = pos / 8;
    for (chunk, word) in out[done..done + whole * 8]
        .chunks_exact_mut(8)
        .zip(&words[first..first + whole])
    {
        chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
    }
    done += whole * 8;
    pos += whole * 8;
    // Trailing partial word.
    if done < out.len() {
        let w = words[pos / 8].load(Ordering::Relaxed).to_le_bytes();
        let n = out.len() - done;
        out[done..].copy_from_slice(&w[..n]);
    }
}

/// Copies bytes into little-endian words starting at byte `offset`. Partial
/// words are merged with an atomic read-modify-write so the untouched bytes of
/// the word keep whatever the other side wrote there.
fn write_bytes(words: &[AtomicU64], offset: usize, data: &[u8]) {
    let mut pos = offset;
    let mut done = 0;
    let merge = |word: &AtomicU64, start: usize, bytes: &[u8]| {
        let mut value = [0u8; 8];
        let mut mask = [0u8; 8];
        value[start..start + bytes.len()].copy_from_slice(bytes);
        mask[start..start + bytes.len()].fill(0xff);
        let (value, mask) = (u64::from_le_bytes(value), u64::from_le_bytes(mask));
        // fetch_update never fails with a closure that always returns Some.
        let _ = word.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
            Some((old & !mask) | value)
        });
    };
    if !pos.is_multiple_of(8) && done < data.len() {
        let start = pos % 8;
        let n = (8 - start).min(data.len());
        merge(&words[pos / 8], start, &data[..n]);
        done += n;
        pos += n;
    }
    let whole = (data.len() - done) / 8;
    let first = pos / 8;
    for (chunk, word) in data[done..done + whole * 8]
        .chunks_exact(8)
        .zip(&words[first..first + whole])
    {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        word.store(u64::from_le_bytes(b), Ordering::Relaxed);
    }
    done += whole * 8;
    pos += whole * 8;
    if done < data.len() {
        merge(&words[pos / 8], 0, &data[done..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unaligned_round_trip_and_bounds() {
        let space = DmaSpace::new();
        let r = space.alloc(37);
        let data: Vec<u8> = (0..30u8).collect();
        r.write_bytes(3, &data);
        let mut back = vec![0u8; 30];
        space.read(r.iova() + 3, &mut back).unwrap();
        assert_eq!(back, data);
        let mut b2 = vec![0u8; 30];
        r.read_bytes(3, &mut b2);
        assert_eq!(b2, data);
        // Neighbouring bytes untouched.
        let mut edge = [0xffu8; 3];
        r.read_bytes(0, &mut edge);
        assert_eq!(edge, [0, 0, 0]);
        assert!(space.read(r.iova() + 30, &mut [0u8; 8]).is_err());
        assert!(space.read(r.iova() - 1, &mut [0u8; 1]).is_err());
        assert!(space.read(0, &mut [0u8; 1]).is_err());
        let iova = r.iova();
        drop(r);
        assert!(space.read(iova, &mut [0u8; 1]).is_err());
        assert_eq!(space.mapped_regions(), 0);
    }
}
