//! Not written yet: see docs/device-rtl.md.
