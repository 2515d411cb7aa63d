//! What a [`super::Verifier`] has already established and need not establish again.
//!
//! Some checks depend only on bytes and the trusted root, never on the signing time or
//! the caller's policy: that a leaf certificate is a well-formed Fulcio leaf signed by a
//! trusted CA whose chain is well-formed, that its embedded SCT verifies, and that a
//! checkpoint note carries the log's valid signature. A release signed in one CI job
//! shares one certificate across all its artefacts, and entries the log sequenced in
//! one batch share one checkpoint, so a verifier given many bundles repeats these
//! signature checks for identical inputs.
//!
//! The memo remembers such facts, keyed by SHA-256 over a domain tag and every input
//! the fact depends on. Invariants:
//!
//! * A fact is recorded only after the full check succeeded; a failure is never
//!   remembered, so a hit can only skip work that would have succeeded.
//! * Everything that depends on the signing time, the artefact or the policy is checked
//!   on every bundle: certificate and CA validity at each signing time, the CA's
//!   `validFor`, the identity, the artefact's signature, the inclusion proof, the SET.
//! * A hit gives the same verdict as a miss: where a remembered certificate fails its
//!   time checks, the caller runs the full chain verification to report the exact error.
//! * The memo is bounded (`capacity` facts, S3-FIFO eviction) and lives as long as the
//!   `Verifier`, whose trusted root never changes; capacity 0 disables it.

use aws_lc_rs::digest;
use signet_tlog_core::checkpoint::Checkpoint;

use crate::chain::LeafValidity;

/// Facts kept by default: a few hundred bytes each.
pub const DEFAULT_MEMO_CAPACITY: usize = 4096;

/// A remembered fact.
#[derive(Clone, Debug)]
enum Fact {
    /// The leaf passed every time-independent check under trusted CA `ca_index`: leaf
    /// profile, signature by the CA's first certificate, the CA chain's extensions and
    /// path length, and its embedded SCTs against the trusted CT logs. Its validity
    /// window is kept so that the per-bundle time checks need not parse it again.
    Certificate {
        ca_index: usize,
        validity: LeafValidity,
    },
    /// The note is a checkpoint validly signed by the trusted log at this position.
    Checkpoint(Checkpoint),
}

/// Domain tags: a fact of one kind can never be read as the other.
const CERTIFICATE_TAG: &[u8] = b"signet-verifier memo v1: certificate\0";
const CHECKPOINT_TAG: &[u8] = b"signet-verifier memo v1: checkpoint\0";

type Key = [u8; 32];

/// The bounded memo; see the module documentation.
pub(crate) struct Memo {
    facts: Option<quick_cache::sync::Cache<Key, Fact>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("capacity", &self.facts.as_ref().map_or(0, |c| c.capacity()))
            .field("len", &self.facts.as_ref().map_or(0, |c| c.len()))
            .finish()
    }
}

impl Memo {
    /// A memo of at most `capacity` facts (0: none kept).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            facts: (capacity > 0).then(|| quick_cache::sync::Cache::new(capacity)),
        }
    }

    /// Facts currently kept.
    pub(crate) fn len(&self) -> usize {
        self.facts.as_ref().map_or(0, |c| c.len())
    }

    /// The trusted CA under which `leaf_der` passed its time-independent checks, and the
    /// leaf's validity window.
    pub(crate) fn certificate(&self, leaf_der: &[u8]) -> Option<(usize, LeafValidity)> {
        let facts = self.facts.as_ref()?;
        match facts.get(&certificate_key(leaf_der))? {
            Fact::Certificate { ca_index, validity } => Some((ca_index, validity)),
            Fact::Checkpoint(_) => None,
        }
    }

    /// Records that `leaf_der` (valid over `validity`) passed its time-independent
    /// checks under `ca_index`.
    pub(crate) fn remember_certificate(
        &self,
        leaf_der: &[u8],
        ca_index: usize,
        validity: LeafValidity,
    ) {
        if let Some(facts) = &self.facts {
            facts.insert(
                certificate_key(leaf_der),
                Fact::Certificate { ca_index, validity },
            );
        }
    }

    /// The checkpoint of `note_text` if it was verified for the trusted log at `log`.
    pub(crate) fn checkpoint(&self, log: usize, note_text: &str) -> Option<Checkpoint> {
        let facts = self.facts.as_ref()?;
        match facts.get(&checkpoint_key(log, note_text))? {
            Fact::Checkpoint(c) => Some(c),
            Fact::Certificate { .. } => None,
        }
    }

    /// Records that `note_text` verified as `checkpoint` for the trusted log at `log`.
    pub(crate) fn remember_checkpoint(&self, log: usize, note_text: &str, checkpoint: &Checkpoint) {
        if let Some(facts) = &self.facts {
            facts.insert(
                checkpoint_key(log, note_text),
                Fact::Checkpoint(checkpoint.clone()),
            );
        }
    }
}

fn certificate_key(leaf_der: &[u8]) -> Key {
    key(&[CERTIFICATE_TAG, leaf_der])
}

fn checkpoint_key(log: usize, note_text: &str) -> Key {
    let position = u64::try_from(log).unwrap_or(u64::MAX).to_be_bytes();
    key(&[CHECKPOINT_TAG, &position, note_text.as_bytes()])
}

fn key(parts: &[&[u8]]) -> Key {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn v() -> LeafValidity {
        LeafValidity {
            not_before: UNIX_EPOCH,
            not_after: UNIX_EPOCH + Duration::from_secs(600),
        }
    }

    fn checkpoint(size: u64) -> Checkpoint {
        Checkpoint {
            origin: "log.example - 1".to_owned(),
            size,
            root: [7; 32].into(),
            extensions: Vec::new(),
        }
    }

    #[test]
    fn facts_are_kept_per_kind_and_input() {
        let memo = Memo::new(16);
        assert_eq!(memo.certificate(b"leaf"), None);
        memo.remember_certificate(b"leaf", 2, v());
        assert_eq!(memo.certificate(b"leaf"), Some((2, v())));
        assert_eq!(memo.certificate(b"leaf2"), None);

        memo.remember_checkpoint(0, "note", &checkpoint(5));
        assert_eq!(memo.checkpoint(0, "note"), Some(checkpoint(5)));
        // Another trusted log, or another text: not known.
        assert_eq!(memo.checkpoint(1, "note"), None);
        assert_eq!(memo.checkpoint(0, "note\n"), None);
        assert_eq!(memo.len(), 2);
    }

    #[test]
    fn a_certificate_is_never_read_as_a_checkpoint() {
        let memo = Memo::new(16);
        memo.remember_certificate(b"x", 0, v());
        memo.remember_checkpoint(0, "x", &checkpoint(1));
        assert_eq!(memo.certificate(b"x"), Some((0, v())));
        assert_eq!(memo.checkpoint(0, "x"), Some(checkpoint(1)));
        assert_ne!(certificate_key(b"x"), checkpoint_key(0, "x"));
    }

    #[test]
    fn capacity_bounds_the_memo_and_zero_disables_it() {
        let memo = Memo::new(8);
        for i in 0..1000u32 {
            memo.remember_certificate(&i.to_be_bytes(), 0, v());
        }
        assert!(memo.len() <= 8, "{} facts kept", memo.len());

        let off = Memo::new(0);
        off.remember_certificate(b"leaf", 0, v());
        off.remember_checkpoint(0, "note", &checkpoint(1));
        assert_eq!(off.certificate(b"leaf"), None);
        assert_eq!(off.checkpoint(0, "note"), None);
        assert_eq!(off.len(), 0);
    }
}
