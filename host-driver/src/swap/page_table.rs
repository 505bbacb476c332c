//! Address spaces: page tables of PTEs, one lock (PTL) per table.

use super::folio::Folio;
use super::lock;
use std::sync::{Arc, Mutex, MutexGuard};

/// PTEs per page table (one PTL each).
pub const PTES_PER_TABLE: u64 = 512;

/// A swap entry: device and slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SwapEntry {
    pub dev: u32,
    pub slot: u32,
}

impl SwapEntry {
    pub fn offset(self, i: u32) -> SwapEntry {
        SwapEntry {
            dev: self.dev,
            slot: self.slot + i,
        }
    }
}

/// A page-table entry.
#[derive(Clone, Debug, Default)]
pub enum Pte {
    /// Never touched (or unmapped).
    #[default]
    None,
    /// Subpage `idx` of a resident folio.
    Present { folio: Arc<Folio>, idx: u32 },
    /// Swapped out: the entry holds one count of the slot.
    Swap(SwapEntry),
}

impl Pte {
    pub fn swap_entry(&self) -> Option<SwapEntry> {
        match self {
            Pte::Swap(e) => Some(*e),
            _ => None,
        }
    }
    pub fn is_none(&self) -> bool {
        matches!(self, Pte::None)
    }
    /// Same contents (re-validation after a lock drop: `pte_same`).
    pub fn same(&self, other: &Pte) -> bool {
        match (self, other) {
            (Pte::None, Pte::None) => true,
            (Pte::Swap(a), Pte::Swap(b)) => a == b,
            (Pte::Present { folio: a, idx: i }, Pte::Present { folio: b, idx: j }) => {
                Arc::ptr_eq(a, b) && i == j
            }
            _ => false,
        }
    }
}

/// A page table: `PTES_PER_TABLE` PTEs; the Mutex is its PTL.
pub type PageTable = Mutex<Vec<Pte>>;
/// A held PTL.
pub type Ptl<'a> = MutexGuard<'a, Vec<Pte>>;

/// An address space of `nr_pages` pages.
#[derive(Debug)]
pub struct Mm {
    pub id: u32,
    nr_pages: u64,
    tables: Vec<PageTable>,
}

impl Mm {
    pub fn new(id: u32, nr_pages: u64) -> Mm {
        let n = nr_pages.div_ceil(PTES_PER_TABLE);
        Mm {
            id,
            nr_pages,
            tables: (0..n)
                .map(|_| Mutex::new(vec![Pte::None; PTES_PER_TABLE as usize]))
                .collect(),
        }
    }

    pub fn nr_pages(&self) -> u64 {
        self.nr_pages
    }

    pub fn nr_tables(&self) -> usize {
        self.tables.len()
    }

    /// Locks the table holding page `va`; index it with [`pte_index`].
    pub fn ptl(&self, va: u64) -> Ptl<'_> {
        assert!(va < self.nr_pages, "page {va} outside the address space");
        lock(&self.tables[(va / PTES_PER_TABLE) as usize])
    }

    /// Locks table `t`.
    pub fn ptl_table(&self, t: usize) -> Ptl<'_> {
        lock(&self.tables[t])
    }

    /// A snapshot of one PTE (may change once the PTL is dropped).
    pub fn pte(&self, va: u64) -> Pte {
        self.ptl(va)[pte_index(va)].clone()
    }
}

/// Index of page `va` inside its table.
pub fn pte_index(va: u64) -> usize {
    (va % PTES_PER_TABLE) as usize
}
