//! Device-memory allocator: a bitmap of allocation units with next-fit search.
//!
//! Device memory is divided into units of CAPS `ALLOC_UNIT` bytes; a frame
//! takes `ceil(len / unit)` contiguous units. One bit per unit, a cursor that
//! moves past each allocation (next fit), and a scan that skips full words —
//! the shape of a small hardware allocator walking a bitmap in BRAM.

/// The allocator. Not thread-safe: the device core's lock protects it.
#[derive(Debug)]
pub struct UnitAllocator {
    /// Bit `u % 64` of word `u / 64` set: unit `u` is in use.
    bitmap: Vec<u64>,
    units: u32,
    /// Where the next search starts.
    cursor: u32,
    used: u32,
}

impl UnitAllocator {
    pub fn new(units: u32) -> Self {
        UnitAllocator {
            bitmap: vec![0; units.div_ceil(64) as usize],
            units,
            cursor: 0,
            used: 0,
        }
    }

    /// Units in use.
    pub fn used(&self) -> u32 {
        self.used
    }

    fn is_set(&self, u: u32) -> bool {
        self.bitmap[(u / 64) as usize] & (1 << (u % 64)) != 0
    }

    fn set_range(&mut self, start: u32, n: u32, on: bool) {
        for u in start..start + n {
            let w = &mut self.bitmap[(u / 64) as usize];
            if on {
                *w |= 1 << (u % 64);
            } else {
                *w &= !(1 << (u % 64));
            }
        }
    }

    /// Allocates `n >= 1` contiguous units; returns the first.
    pub fn alloc(&mut self, n: u32) -> Option<u32> {
        debug_assert!(n >= 1);
        if n > self.units - self.used {
            return None;
        }
        // Two passes: cursor..end, then 0..cursor (+ n to allow a run that
        // ends past the old cursor).
        for (from, to) in [
            (self.cursor, self.units),
            (0, self.cursor.saturating_add(n).min(self.units)),
        ] {
            let mut run = 0u32;
            let mut u = from;
            while u < to {
                if u.is_multiple_of(64)
                    && run == 0
                    && u + 64 <= to
                    && self.bitmap[(u / 64) as usize] == u64::MAX
                {
                    u += 64;
                    continue;
                }
                if self.is_set(u) {
                    run = 0;
                } else {
                    run += 1;
                    if run == n {
                        let start = u + 1 - n;
                        self.set_range(start, n, true);
                        self.used += n;
                        self.cursor = if u + 1 >= self.units { 0 } else { u + 1 };
                        return Some(start);
                    }
                }
                u += 1;
            }
        }
        None
    }

    /// Frees `n` units from `start` (an earlier allocation).
    pub fn free(&mut self, start: u32, n: u32) {
        debug_assert!((start..start + n).all(|u| self.is_set(u)), "double free");
        self.set_range(start, n, false);
        self.used -= n;
    }

    /// Frees everything.
    pub fn clear(&mut self) {
        self.bitmap.fill(0);
        self.used = 0;
        self.cursor = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_exactly_and_reuses_freed_units() {
        let mut a = UnitAllocator::new(200);
        let mut got = Vec::new();
        while let Some(s) = a.alloc(7) {
            got.push(s);
        }
        assert_eq!(got.len(), 200 / 7);
        assert_eq!(a.used(), 7 * (200 / 7) as u32);
        a.free(got[3], 7);
        a.free(got[4], 7);
        assert_eq!(a.alloc(14), Some(got[3]));
        assert_eq!(a.alloc(5), None);
        assert_eq!(a.alloc(4), Some(196));
        assert_eq!(a.used(), 200);
    }
}
