//! The parameters of one device build.
//!
//! A board's bitstream, the Verilated device and the model are each built from
//! one [`DeviceParams`]; CAPS reports them, and the model configured from the
//! same value is the RTL's golden reference.

/// Bits of the slot number consumed by each index level below the top.
pub const INDEX_FANOUT_BITS: u32 = 6;
/// Children (interior) or entries (leaf) per index node.
pub const INDEX_FANOUT: usize = 1 << INDEX_FANOUT_BITS;
/// Largest on-chip top level of the index, in bits (1024 node pointers).
pub const INDEX_MAX_TOP_BITS: u32 = 10;
/// Bytes of device memory per index node: 64 slots of 16 bytes.
pub const INDEX_NODE_BYTES: u64 = (INDEX_FANOUT * INDEX_SLOT_BYTES) as u64;
/// Bytes per node slot: an interior child pointer or a leaf entry.
pub const INDEX_SLOT_BYTES: usize = 16;
/// Most queue pairs the RTL register block implements.
pub const RTL_MAX_QUEUES: u32 = 8;

/// Everything that sizes one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceParams {
    /// Queue pairs (and interrupt vectors).
    pub num_queues: u32,
    /// log2 of the largest ring a queue accepts.
    pub max_queue_log2: u32,
    /// Device memory for frames, bytes (a multiple of `64 * alloc_unit`).
    pub devmem_bytes: u64,
    /// Allocation unit of frame memory, bytes (a power of two, at least 8).
    pub alloc_unit: u32,
    /// Slots the index holds.
    pub max_slots: u32,
    /// Largest `nr_pages` per command.
    pub max_nr_pages: u32,
    /// Index nodes in device memory.
    pub index_nodes: u32,
    /// Compressor and decompressor engines.
    pub compressors: u32,
    pub decompressors: u32,
    /// IDENTITY `BUILD_ID`.
    pub build_id: u32,
}

/// The device that `--backend sim` Verilates: small enough that a test fills
/// its memory and its index in seconds of simulation, large enough for the
/// swap workload at sim sizes.
pub const SIM_DEVICE: DeviceParams = DeviceParams {
    num_queues: 4,
    max_queue_log2: 10,
    devmem_bytes: 8 << 20,
    alloc_unit: 64,
    max_slots: 1 << 20,
    max_nr_pages: 512,
    index_nodes: 512,
    compressors: 1,
    decompressors: 1,
    build_id: 2,
};

/// How a slot number splits over the index levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexGeometry {
    /// Levels of nodes below the on-chip top level (1 ..= 4).
    pub levels: u32,
    /// Bits of the slot that index the on-chip top level.
    pub top_bits: u32,
}

impl IndexGeometry {
    /// The geometry for slots `0 .. max_slots`.
    pub const fn for_slots(max_slots: u32) -> Self {
        let slot_bits = {
            let b = u32::BITS - max_slots.saturating_sub(1).leading_zeros();
            if b == 0 { 1 } else { b }
        };
        let below = slot_bits.saturating_sub(INDEX_MAX_TOP_BITS);
        let levels = {
            let l = below.div_ceil(INDEX_FANOUT_BITS);
            if l == 0 { 1 } else { l }
        };
        IndexGeometry {
            levels,
            top_bits: slot_bits.saturating_sub(levels * INDEX_FANOUT_BITS),
        }
    }

    /// Entries of the on-chip top level.
    pub const fn top_entries(&self) -> usize {
        1 << self.top_bits
    }
}

impl DeviceParams {
    pub const fn index_geometry(&self) -> IndexGeometry {
        IndexGeometry::for_slots(self.max_slots)
    }

    /// Allocation units of frame memory.
    pub const fn units(&self) -> u32 {
        (self.devmem_bytes / self.alloc_unit as u64) as u32
    }

    /// Device-memory byte address of index node 0 (nodes follow the frames).
    pub const fn index_base(&self) -> u64 {
        self.devmem_bytes
    }

    /// Total device memory: frames, then index nodes.
    pub const fn devmem_total_bytes(&self) -> u64 {
        self.index_base() + self.index_nodes as u64 * INDEX_NODE_BYTES
    }

    /// CAPS `ENGINES`.
    pub const fn engines_reg(&self) -> u32 {
        (self.compressors & 0xff) | (self.decompressors & 0xff) << 8
    }

    /// Checks the parameters an RTL build needs; the reason when they do not fit.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.num_queues == 0 || self.num_queues > RTL_MAX_QUEUES {
            return Err("num_queues must be 1..=8");
        }
        if !self.alloc_unit.is_power_of_two() || self.alloc_unit < 8 {
            return Err("alloc_unit must be a power of two >= 8");
        }
        if !self
            .devmem_bytes
            .is_multiple_of(64 * self.alloc_unit as u64)
        {
            return Err("devmem_bytes must be a multiple of 64 allocation units");
        }
        if self.max_nr_pages == 0 || self.max_nr_pages > 512 {
            return Err("max_nr_pages must be 1..=512");
        }
        if self.max_queue_log2 == 0 || self.max_queue_log2 > 15 {
            return Err("max_queue_log2 must be 1..=15");
        }
        if self.index_geometry().levels > 3 {
            return Err("max_slots needs more than 3 index levels");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_matches_the_slot_range() {
        assert_eq!(
            IndexGeometry::for_slots(1 << 20),
            IndexGeometry {
                levels: 2,
                top_bits: 8
            }
        );
        assert_eq!(
            IndexGeometry::for_slots(1 << 16),
            IndexGeometry {
                levels: 1,
                top_bits: 10
            }
        );
        assert_eq!(
            IndexGeometry::for_slots(100),
            IndexGeometry {
                levels: 1,
                top_bits: 1
            }
        );
        SIM_DEVICE.check().unwrap();
    }
}
