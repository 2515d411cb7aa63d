//! Shared pieces of the fuzz targets (`fuzz_targets/*.rs`).
//!
//! * [`fixtures`]: trust material loaded once per process from the public vectors
//!   (`SIGNET_VECTORS`, located by `signet-testdata`; never copied into the repository).
//! * [`frame`]: the small framing some targets use to feed one input to a parser that
//!   takes several byte strings (documented per target, and mirrored by `seeds.py`).
//!
//! A missing vector is a loud panic at start-up (as in the tests), never a silently
//! weaker target.

pub mod fixtures;
pub mod frame;
