//! The mutation table: for every check of `Verifier::verify` (and of `Bundle::from_json`,
//! which `verify` relies on), a valid fresh bundle with exactly the input that check
//! guards changed — everything downstream of it signed again — and the typed error
//! variant path the failure must have (`mutation_support::verify_path`/`parse_path`).
//!
//! Split by step: [`parse`] (bundle shape and limits, PROTOCOL.md §6), [`tlog`] (the log
//! entry, §4–§5, §8.1 steps 4–6), [`time`] (RFC 3161 timestamps and signing times, §7.5,
//! §8.1 step 0), [`cert`] (chain, SCT, identity, §3, §8.1 steps 1–3), [`content`]
//! (signature and binding, §7.4, §8.1 steps 8–9).
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use base64::Engine as _;
use serde_json::Value;

use crate::mutation_support::*;

/// Changes the scene's bundle, trust or policy.
pub type Edit = fn(&World, &mut Scene);

/// One mutation and the failure it must cause.
pub struct Case {
    pub name: &'static str,
    pub base: Base,
    pub edit: Edit,
    /// The variant path of the failure (`Parse/…` or the `VerifyError` step and below).
    pub want: &'static str,
}

/// The valid bundle a case starts from.
#[derive(Clone, Copy, Debug)]
pub enum Base {
    /// [`World::message_scene`].
    Message,
    /// [`World::dsse_scene`].
    Dsse,
    /// [`World::v2_scene`].
    V2,
    /// [`World::key_scene`].
    Key,
    /// [`World::v01_chain_scene`].
    V01,
}

impl Base {
    pub fn scene(self, w: &World) -> Scene {
        match self {
            Base::Message => w.message_scene(),
            Base::Dsse => w.dsse_scene(),
            Base::V2 => w.v2_scene(),
            Base::Key => w.key_scene(),
            Base::V01 => w.v01_chain_scene(),
        }
    }
}

/// `case!("name", Base => "Want/Path", |w, s| { … })`.
macro_rules! case {
    ($name:literal, $base:ident => $want:literal, |$w:ident, $s:ident| $body:block) => {
        Case {
            name: $name,
            base: Base::$base,
            want: $want,
            edit: |$w: &World, $s: &mut Scene| {
                let _ = (&$w, &$s);
                $body
            },
        }
    };
}

mod cert;
mod content;
mod parse;
mod time;
mod tlog;

/// Every case.
pub fn all() -> Vec<Case> {
    [
        parse::cases(),
        tlog::cases(),
        time::cases(),
        cert::cases(),
        content::cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

// ---- helpers for the edits ----

/// Edits the bundle as JSON (for shapes [`Parts`] cannot express).
pub fn json_edit(s: &mut Scene, f: impl FnOnce(&mut Value)) {
    let mut v = s.parts.to_json();
    f(&mut v);
    s.raw_json = Some(serde_json::to_vec(&v).unwrap());
}

/// Rebuilds the message bundle around another leaf certificate (body and timestamp made
/// again for it), so that only the leaf's own checks can fail.
pub fn with_leaf(w: &World, s: &mut Scene, leaf: Vec<u8>) {
    s.parts = w.build(
        ARTEFACT,
        &Build {
            leaf: Some(leaf),
            ..Build::message()
        },
    );
}

/// Timestamps made again over the bundle's (possibly new) signature.
pub fn restamp(w: &World, s: &mut Scene) {
    let signature = s.parts.signature();
    for t in &mut s.parts.timestamps {
        *t = w.timestamp(&signature, GEN_TIME);
    }
}

/// The entry's proof, checkpoint and SET signed again for its (changed) body or time.
pub fn reseal(w: &World, s: &mut Scene) {
    w.seal(&mut s.parts.entries[0]);
}

pub fn flip_last(bytes: &mut [u8]) {
    let n = bytes.len();
    bytes[n - 1] ^= 0x01;
}

/// A signed note with the last byte of its (first) signature flipped.
pub fn flip_note_signature(note: &str) -> String {
    let (text, sigs) = note.split_once("\n\n").unwrap();
    let line = sigs.lines().next().unwrap();
    let (prefix, sig) = line.rsplit_once(' ').unwrap();
    let mut raw = B64.decode(sig).unwrap();
    flip_last(&mut raw);
    format!("{text}\n\n{prefix} {}\n", B64.encode(raw))
}

/// The entry's body as JSON.
pub fn body_json(e: &EntryParts) -> Value {
    serde_json::from_slice(&e.body).unwrap()
}

/// The trusted root with `tsa`'s chain as its one timestamp authority.
pub fn trust_tsa(s: &mut Scene, chain: &[Vec<u8>]) {
    let certs: Vec<Value> = chain
        .iter()
        .map(|c| serde_json::json!({"rawBytes": b64(c)}))
        .collect();
    s.root["timestampAuthorities"][0]["certChain"]["certificates"] = Value::Array(certs);
}

/// The trusted root with `chain` (issuing CA first) as its one certificate authority.
pub fn trust_ca(s: &mut Scene, chain: &[&[u8]]) {
    let certs: Vec<Value> = chain
        .iter()
        .map(|c| serde_json::json!({"rawBytes": b64(c)}))
        .collect();
    s.root["certificateAuthorities"][0]["certChain"]["certificates"] = Value::Array(certs);
}

/// The one timestamp replaced by `resp` from the trusted TSA over the bundle's signature.
pub fn stamp_with(w: &World, s: &mut Scene, resp: &tsa::Resp) {
    let signature = s.parts.signature();
    s.parts.timestamps = vec![tsa::respond(&w.tsa, &signature, resp, Some(&w.rogue_tsa))];
}

/// The one timestamp replaced by a valid one from `chain`'s TSA, which the trusted root
/// then trusts instead.
pub fn stamp_by(w: &World, s: &mut Scene, spec: &tsa::ChainSpec) {
    let other = tsa::make_tsa("Other TSA", spec);
    let signature = s.parts.signature();
    s.parts.timestamps = vec![tsa::respond(
        &other,
        &signature,
        &tsa::Resp::at(unix(GEN_TIME)),
        None,
    )];
    trust_tsa(s, &other.chain);
    let _ = w;
}
