//! The on-device slot index: a radix tree with its top level on chip.
//!
//! A slot number is split into a top part, which indexes an on-chip array of
//! node pointers, and `levels` fields of `INDEX_FANOUT_BITS` bits, one per level of
//! 64-way nodes held in device memory (here a modelled node array). The last
//! level's nodes are leaves holding the entries. Every node read or write below
//! the top level is one *index access*, the figure CAPS `INDEX_LEVELS` and the
//! `INDEX_ACCESSES` counter report: a lookup of a present slot costs `levels`
//! reads; an empty top entry costs none.
//!
//! Nodes are allocated on first insert below them and freed when their last
//! child goes, so the index never holds empty nodes.
//!
//! The split is `params::IndexGeometry`, shared with the RTL index.

use crate::params::{INDEX_FANOUT as FANOUT, INDEX_FANOUT_BITS as FANOUT_BITS, IndexGeometry};

/// Marks an empty child pointer (node indices are below it).
const NO_NODE: u32 = u32::MAX;

/// What the index holds for a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Every 64-bit word of the page is this value; no device memory used.
    SameFilled(u64),
    /// A frame of `len` bytes at device-memory allocation unit `unit`.
    Compressed { unit: u32, len: u32 },
}

#[derive(Clone, Debug)]
enum Node {
    Interior {
        children: Box<[u32; FANOUT]>,
        used: u32,
    },
    Leaf {
        entries: Box<[Option<Entry>; FANOUT]>,
        used: u32,
    },
    Free,
}

/// The index. Not thread-safe: the device core's lock protects it.
#[derive(Debug)]
pub struct RadixIndex {
    /// Levels of nodes below the top.
    levels: u32,
    /// On-chip top level: node index of each subtree, or `NO_NODE`.
    top: Vec<u32>,
    /// The node array in device memory.
    nodes: Vec<Node>,
    free_nodes: Vec<u32>,
    /// Most nodes the node array may hold.
    max_nodes: usize,
    entries: u64,
    /// Node accesses since the last `take_accesses`.
    accesses: u64,
}

/// The index has no free node for an insert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexFull;

impl RadixIndex {
    /// An index for slots `0 .. max_slots` with at most `max_nodes` nodes.
    pub fn new(max_slots: u32, max_nodes: usize) -> Self {
        let IndexGeometry { levels, top_bits } = IndexGeometry::for_slots(max_slots);
        RadixIndex {
            levels,
            top: vec![NO_NODE; 1 << top_bits],
            nodes: Vec::new(),
            free_nodes: Vec::new(),
            max_nodes,
            entries: 0,
            accesses: 0,
        }
    }

    /// Levels below the on-chip top (CAPS `INDEX_LEVELS`).
    pub fn levels(&self) -> u32 {
        self.levels
    }

    /// Entries held.
    pub fn len(&self) -> u64 {
        self.entries
    }

    /// No entry held.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Index accesses since the last call.
    pub fn take_accesses(&mut self) -> u64 {
        std::mem::take(&mut self.accesses)
    }

    fn top_index(&self, slot: u32) -> usize {
        (slot as u64 >> (self.levels * FANOUT_BITS)) as usize
    }

    fn field(&self, slot: u32, level: u32) -> usize {
        // level counts down: levels-1 is just below the top, 0 is the leaf.
        ((slot >> (level * FANOUT_BITS)) as usize) & (FANOUT - 1)
    }

    /// The entry of `slot`; counts the nodes visited as index accesses.
    pub fn get(&mut self, slot: u32) -> Option<Entry> {
        let (entry, visited) = self.walk(slot);
        self.accesses += visited;
        entry
    }

    /// The entry of `slot` without counting accesses (inspection by tests
    /// and fault injection, which the device does not perform).
    pub fn peek(&self, slot: u32) -> Option<Entry> {
        self.walk(slot).0
    }

    /// Looks `slot` up; returns the entry and the nodes visited.
    fn walk(&self, slot: u32) -> (Option<Entry>, u64) {
        let Some(&top) = self.top.get(self.top_index(slot)) else {
            return (None, 0);
        };
        let mut node = top;
        let mut visited = 0;
        for level in (0..self.levels).rev() {
            if node == NO_NODE {
                return (None, visited);
            }
            visited += 1;
            match &self.nodes[node as usize] {
                Node::Interior { children, .. } => node = children[self.field(slot, level)],
                Node::Leaf { entries, .. } => return (entries[self.field(slot, level)], visited),
                Node::Free => unreachable!("index points at a free node"),
            }
        }
        (None, visited)
    }

    fn alloc_node(&mut self, leaf: bool) -> Result<u32, IndexFull> {
        let node = if leaf {
            Node::Leaf {
                entries: Box::new([None; FANOUT]),
                used: 0,
            }
        } else {
            Node::Interior {
                children: Box::new([NO_NODE; FANOUT]),
                used: 0,
            }
        };
        self.accesses += 1;
        if let Some(i) = self.free_nodes.pop() {
            self.nodes[i as usize] = node;
            return Ok(i);
        }
        if self.nodes.len() >= self.max_nodes {
            return Err(IndexFull);
        }
        self.nodes.push(node);
        Ok((self.nodes.len() - 1) as u32)
    }

    /// Nodes an insert of `slot` would have to allocate (no access counted:
    /// the allocator's free count is on chip).
    fn nodes_missing(&self, slot: u32) -> usize {
        let mut node = self.top[self.top_index(slot)];
        for level in (0..self.levels).rev() {
            if node == NO_NODE {
                return level as usize + 1;
            }
            match &self.nodes[node as usize] {
                Node::Interior { children, .. } => node = children[self.field(slot, level)],
                _ => return 0,
            }
        }
        0
    }

    /// Sets the entry of `slot` (inside the index's range); returns the old one.
    /// Fails without changing anything when the nodes it needs are not free.
    pub fn insert(&mut self, slot: u32, entry: Entry) -> Result<Option<Entry>, IndexFull> {
        let ti = self.top_index(slot);
        debug_assert!(ti < self.top.len(), "slot outside the index");
        let free = self.free_nodes.len() + self.max_nodes.saturating_sub(self.nodes.len());
        if self.nodes_missing(slot) > free {
            return Err(IndexFull);
        }
        if self.top[ti] == NO_NODE {
            self.top[ti] = self.alloc_node(self.levels == 1)?;
        }
        let mut node = self.top[ti];
        for level in (0..self.levels).rev() {
            let f = self.field(slot, level);
            self.accesses += 1;
            if level == 0 {
                let Node::Leaf { entries, used } = &mut self.nodes[node as usize] else {
                    unreachable!("level 0 holds leaves");
                };
                let old = entries[f].replace(entry);
                if old.is_none() {
                    *used += 1;
                    self.entries += 1;
                }
                return Ok(old);
            }
            let child = match &self.nodes[node as usize] {
                Node::Interior { children, .. } => children[f],
                _ => unreachable!("levels above 0 hold interior nodes"),
            };
            let child = if child == NO_NODE {
                let c = self.alloc_node(level == 1)?;
                let Node::Interior { children, used } = &mut self.nodes[node as usize] else {
                    unreachable!();
                };
                children[f] = c;
                *used += 1;
                c
            } else {
                child
            };
            node = child;
        }
        unreachable!("levels >= 1")
    }

    /// Removes the entry of `slot`; frees nodes left empty.
    pub fn remove(&mut self, slot: u32) -> Option<Entry> {
        let ti = self.top_index(slot);
        let mut path = Vec::with_capacity(self.levels as usize);
        let mut node = *self.top.get(ti)?;
        for level in (0..self.levels).rev() {
            if node == NO_NODE {
                return None;
            }
            self.accesses += 1;
            path.push(node);
            if level > 0 {
                match &self.nodes[node as usize] {
                    Node::Interior { children, .. } => node = children[self.field(slot, level)],
                    _ => unreachable!("levels above 0 hold interior nodes"),
                }
            }
        }
        let leaf = *path.last()?;
        let f = self.field(slot, 0);
        let Node::Leaf { entries, used } = &mut self.nodes[leaf as usize] else {
            unreachable!("level 0 holds leaves");
        };
        let old = entries[f].take()?;
        *used -= 1;
        self.entries -= 1;
        // Free empty nodes bottom up.
        let mut level = 0;
        while let Some(n) = path.pop() {
            let empty = match &self.nodes[n as usize] {
                Node::Leaf { used, .. } | Node::Interior { used, .. } => *used == 0,
                Node::Free => unreachable!(),
            };
            if !empty {
                break;
            }
            self.nodes[n as usize] = Node::Free;
            self.free_nodes.push(n);
            self.accesses += 1;
            match path.last() {
                Some(&parent) => {
                    let f = self.field(slot, level + 1);
                    if let Node::Interior { children, used } = &mut self.nodes[parent as usize] {
                        children[f] = NO_NODE;
                        *used -= 1;
                    }
                }
                None => self.top[ti] = NO_NODE,
            }
            level += 1;
        }
        Some(old)
    }

    /// Drops every entry and node.
    pub fn clear(&mut self) {
        self.top.fill(NO_NODE);
        self.nodes.clear();
        self.free_nodes.clear();
        self.entries = 0;
    }

    /// Nodes in use (for tests).
    pub fn nodes_in_use(&self) -> usize {
        self.nodes.len() - self.free_nodes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove_frees_nodes() {
        let mut ix = RadixIndex::new(1 << 20, 1 << 16);
        assert_eq!(ix.levels(), 2);
        for s in [0u32, 1, 63, 64, 4095, 4096, (1 << 20) - 1] {
            assert_eq!(ix.insert(s, Entry::SameFilled(s as u64)), Ok(None));
        }
        assert_eq!(ix.len(), 7);
        ix.take_accesses();
        assert_eq!(ix.get(4096), Some(Entry::SameFilled(4096)));
        assert_eq!(ix.take_accesses(), 2);
        assert_eq!(ix.get(12345), None);
        for s in [0u32, 1, 63, 64, 4095, 4096, (1 << 20) - 1] {
            assert_eq!(ix.remove(s), Some(Entry::SameFilled(s as u64)));
            assert_eq!(ix.remove(s), None);
        }
        assert_eq!(ix.len(), 0);
        assert_eq!(ix.nodes_in_use(), 0);
    }

    #[test]
    fn node_capacity_is_enforced() {
        let mut ix = RadixIndex::new(1 << 20, 3);
        assert!(ix.insert(0, Entry::SameFilled(0)).is_ok());
        // Needs two nodes, one is free: refused whole, nothing allocated.
        assert_eq!(ix.insert(1 << 12, Entry::SameFilled(0)), Err(IndexFull));
        assert_eq!(ix.nodes_in_use(), 2);
        // Needs one (a second leaf under the same interior node).
        assert!(ix.insert(64, Entry::SameFilled(0)).is_ok());
        assert_eq!(ix.nodes_in_use(), 3);
    }

    #[test]
    fn small_index_has_one_level() {
        let mut ix = RadixIndex::new(100, 16);
        assert_eq!(ix.levels(), 1);
        ix.insert(99, Entry::Compressed { unit: 3, len: 77 })
            .unwrap();
        assert_eq!(ix.get(99), Some(Entry::Compressed { unit: 3, len: 77 }));
    }
}
