//! Runs the transparency-dev/merkle proof vectors (`vectors/merkle/`, see the vectors README)
//! against `verify_inclusion` / `verify_consistency`, and regenerates every honest proof with
//! the proof plans.
//!
//! * `inclusion/` and `consistency/` are RFC 6962/9162 proofs: every file is run.
//! * `subtreeinclusion/` and `subtreeconsistency/` are the C2SP tlog-proof / Merkle Tree
//!   Certificates *subtree* construction (a subtree `[start, end)` of a larger tree). Only the
//!   cases with `start == 0` coincide with RFC 6962 proofs (inclusion in the tree of size
//!   `end`; consistency from size `end` to size `size`); those run, the others (and the
//!   empty subtree `[0, 0)`, which that construction accepts and RFC 6962 does not) are
//!   counted as skipped.
//!
//! The Go verifier takes hashes as byte slices, so some vectors use values that are not 32
//! bytes. Our API is typed (`Hash` = 32 bytes):
//! * a leaf hash that is not 32 bytes cannot be passed at all; Go rejects it too ("leafHash
//!   has unexpected size"), so such a case counts as rejected;
//! * a root or proof hash that is not 32 bytes ("don't care" roots, truncated hashes) is
//!   mapped to a stand-in that no honest computation produces but that keeps byte-equality
//!   (`SHA-256(marker || bytes)`): two equal odd-length roots stay equal (Go accepts
//!   `size1 == size2` with equal "don't care" roots), anything else never matches.

// Test crate: helpers outside #[test] fns unwrap too; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use signet_tlog_core::hash::{leaf_hash, Hash};
use signet_tlog_core::proof::{
    consistency_plan, inclusion_plan, verify_consistency, verify_inclusion, ProofPlan,
};
use signet_tlog_core::tree::{CompactRange, NodeId};

/// The leaves of the RFC 6962 reference tree the vectors' honest proofs are built over
/// (the certificate-transparency / transparency-dev test tree, hex-encoded).
const RFC6962_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

fn vectors_dir() -> PathBuf {
    signet_testdata::vectors_dir().join("merkle")
}

/// Every `*.json` under `dir`, recursively, sorted for stable output.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no vectors under {}", dir.display());
    out
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_else(|e| panic!("bad base64 {s:?}: {e}"))
}

/// Decodes a base64 root or proof hash; non-32-byte values become a stand-in (module docs).
fn hash(s: &str, odd: &mut usize) -> Hash {
    let bytes = b64(s);
    Hash::from_slice(&bytes).unwrap_or_else(|| {
        *odd += 1;
        let mut h = Sha256::new();
        h.update(b"signet-test: not a 32-byte hash:");
        h.update(&bytes);
        Hash(h.finalize().into())
    })
}

fn hashes(list: &Option<Vec<String>>, odd: &mut usize) -> Vec<Hash> {
    list.iter().flatten().map(|s| hash(s, odd)).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inclusion {
    leaf_idx: u64,
    #[serde(alias = "end")]
    tree_size: u64,
    #[serde(default)]
    start: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Consistency {
    #[serde(alias = "end")]
    size1: u64,
    #[serde(alias = "size")]
    size2: u64,
    #[serde(default)]
    start: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

/// Outcome counts for one folder.
#[derive(Default, Debug)]
struct Counts {
    accepted: usize,
    rejected: usize,
    skipped: usize,
    odd_hashes: usize,
    regenerated: usize,
}

/// The RFC 6962 reference tree: all its complete nodes and its root at every size.
struct ReferenceTree {
    nodes: std::collections::HashMap<NodeId, Hash>,
    roots: Vec<Hash>,
}

fn reference_tree() -> ReferenceTree {
    let mut range = CompactRange::new();
    let mut nodes = std::collections::HashMap::new();
    let mut roots = vec![range.root()];
    for leaf in RFC6962_LEAVES {
        let data = hex::decode(leaf).unwrap();
        range.append(leaf_hash(&data), &mut |id, h| {
            nodes.insert(id, h);
        });
        roots.push(range.root());
    }
    ReferenceTree { nodes, roots }
}

impl ReferenceTree {
    /// The proof a plan assembles from this tree's nodes, if the plan fits in it.
    fn assemble(&self, plan: &ProofPlan) -> Option<Vec<Hash>> {
        plan.assemble(|id| self.nodes.get(&id).copied()).ok()
    }
}

/// Subtree cases with no RFC 6962 counterpart: `start != 0`, and the empty subtree
/// `[0, 0)` (the subtree construction accepts it; RFC 6962 consistency from size 0 is
/// rejected, as the `consistency/additional` vectors require).
fn subtree_only(folder: Folder, start: u64, end: u64) -> bool {
    folder == Folder::Subtree && (start != 0 || end == 0)
}

/// Which construction a vector folder holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Folder {
    Rfc6962,
    Subtree,
}

fn run_inclusion(name: &str, folder: Folder, tree: &ReferenceTree) -> Counts {
    let mut c = Counts::default();
    for path in json_files(&vectors_dir().join(name)) {
        let v: Inclusion = read(&path);
        if subtree_only(folder, v.start, v.tree_size) {
            c.skipped += 1;
            continue;
        }
        let Some(leaf) = Hash::from_slice(&b64(&v.leaf_hash)) else {
            assert!(v.want_err, "{}: {}", path.display(), v.desc);
            c.rejected += 1;
            c.odd_hashes += 1;
            continue;
        };
        let root = hash(&v.root, &mut c.odd_hashes);
        let proof = hashes(&v.proof, &mut c.odd_hashes);
        let got = verify_inclusion(v.leaf_idx, v.tree_size, &leaf, &proof, &root);
        assert_eq!(
            got.is_err(),
            v.want_err,
            "{}: {} -> {got:?}",
            path.display(),
            v.desc
        );
        if got.is_ok() {
            c.accepted += 1;
            // Honest proofs over the reference tree must be exactly what our plan builds.
            if tree.roots.get(v.tree_size as usize) == Some(&root) {
                let plan = inclusion_plan(v.leaf_idx, v.tree_size).unwrap();
                assert_eq!(tree.assemble(&plan), Some(proof), "{}", path.display());
                c.regenerated += 1;
            }
        } else {
            c.rejected += 1;
        }
    }
    c
}

fn run_consistency(name: &str, folder: Folder, tree: &ReferenceTree) -> Counts {
    let mut c = Counts::default();
    for path in json_files(&vectors_dir().join(name)) {
        let v: Consistency = read(&path);
        if subtree_only(folder, v.start, v.size1) {
            c.skipped += 1;
            continue;
        }
        let root1 = hash(&v.root1, &mut c.odd_hashes);
        let root2 = hash(&v.root2, &mut c.odd_hashes);
        let proof = hashes(&v.proof, &mut c.odd_hashes);
        let got = verify_consistency(v.size1, v.size2, &proof, &root1, &root2);
        assert_eq!(
            got.is_err(),
            v.want_err,
            "{}: {} -> {got:?}",
            path.display(),
            v.desc
        );
        if got.is_ok() {
            c.accepted += 1;
            if tree.roots.get(v.size2 as usize) == Some(&root2) {
                let plan = consistency_plan(v.size1, v.size2).unwrap();
                assert_eq!(tree.assemble(&plan), Some(proof), "{}", path.display());
                c.regenerated += 1;
            }
        } else {
            c.rejected += 1;
        }
    }
    c
}

#[test]
fn reference_tree_matches_vector_roots() {
    // Independent anchor: the happy-path vectors' roots are MTH of these leaves.
    let tree = reference_tree();
    let b64 = |h: &Hash| base64::engine::general_purpose::STANDARD.encode(h.as_bytes());
    assert_eq!(
        b64(&tree.roots[8]),
        "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
    );
    assert_eq!(
        b64(&tree.roots[7]),
        "3bib5AOAnjJXUNPSY814kpwpQreUKjS3fhIslZSnTIw="
    );
    assert_eq!(
        b64(&tree.roots[5]),
        "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ="
    );
    assert_eq!(
        b64(&tree.roots[3]),
        "rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc="
    );
}

#[test]
fn inclusion_vectors() {
    let tree = reference_tree();
    let c = run_inclusion("inclusion", Folder::Rfc6962, &tree);
    println!("inclusion: {c:?}");
    assert!(c.accepted > 0 && c.rejected > 0, "{c:?}");
    assert!(c.regenerated > 0, "{c:?}");
    assert_eq!(c.skipped, 0);
}

#[test]
fn consistency_vectors() {
    let tree = reference_tree();
    let c = run_consistency("consistency", Folder::Rfc6962, &tree);
    println!("consistency: {c:?}");
    assert!(c.accepted > 0 && c.rejected > 0, "{c:?}");
    assert!(c.regenerated > 0, "{c:?}");
    assert_eq!(c.skipped, 0);
}

#[test]
fn subtree_vectors_starting_at_zero() {
    let tree = reference_tree();
    let inc = run_inclusion("subtreeinclusion", Folder::Subtree, &tree);
    let con = run_consistency("subtreeconsistency", Folder::Subtree, &tree);
    println!("subtreeinclusion (start == 0 only): {inc:?}");
    println!("subtreeconsistency (start == 0 only): {con:?}");
    for c in [&inc, &con] {
        assert!(c.accepted > 0 && c.rejected > 0, "{c:?}");
        assert!(c.regenerated > 0, "{c:?}");
    }
}
