//! Pure core of the auditor (`signet audit`, issue 5): everything a replay decides, with
//! no I/O. The binary fetches; this crate checks.
//!
//! * [`bundle`]: C2SP entry bundles and hash tiles (tlog-tiles), and Signet's entry-meta
//!   bundles (integrated time, SET and stored extra per entry), split with hard limits;
//! * [`process`]: one bundle → its leaf hashes, its subtree root, and every entry
//!   re-verified ([`signet_verifier::audit`]); pure and independent per bundle, so a
//!   replay runs bundles in parallel;
//! * [`tree`]: the bundles' hashes folded, in order, into the tree (from scratch or from a
//!   saved compact range), the level-0 hash tiles compared with the re-hashed entries, and
//!   the verdict against the signed checkpoint;
//! * [`report`]: failures and the report (human table and JSON);
//! * [`expect`]: the expected-signer inventory and the identities outside it.

pub mod bundle;
pub mod expect;
pub mod process;
pub mod report;
pub mod tree;
