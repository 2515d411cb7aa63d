//! A bundle built from an entry exactly as Signet's Rekor v1 log returns it parses, with
//! int64 fields as strings or numbers; no prefix or byte flip of a real bundle panics.

use base64::Engine as _;
use serde_json::{json, Value};
use signet_rekor::set::sign_set;
use signet_tlog_core::{
    checkpoint::{rekor_v1_origin, Checkpoint},
    hash::{leaf_hash, node_hash, Hash},
    keys::EcdsaP256Signer,
};

use super::B64;
use crate::bundle::{Bundle, BundleVersion, Content};

/// How the hand-built bundle writes int64 fields.
#[derive(Clone, Copy)]
enum Int64As {
    String,
    Number,
}

/// What the hand-built bundle carries.
struct Built {
    json: Value,
    body: Vec<u8>,
    root: Hash,
    sibling: Hash,
    set: Vec<u8>,
    key_id: [u8; 32],
    checkpoint: String,
}

/// A bundle built from an entry exactly as Signet's Rekor v1 log returns it (real
/// ECDSA log key, real signed checkpoint, real SET; PROTOCOL.md §4.4.1 mapping).
fn signet_shaped_bundle(ints: Int64As) -> Built {
    let key = EcdsaP256Signer::from_pkcs8(&EcdsaP256Signer::generate_pkcs8().unwrap(), "127.0.0.1")
        .unwrap();
    let bodies = [
        b"{\"kind\":\"first\"}".to_vec(),
        b"{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\"}".to_vec(),
    ];
    let (l0, l1) = (leaf_hash(&bodies[0]), leaf_hash(&bodies[1]));
    let root = node_hash(&l0, &l1);
    let checkpoint = Checkpoint {
        origin: rekor_v1_origin("127.0.0.1", 7),
        size: 2,
        root,
        extensions: vec![],
    }
    .sign(&[&key])
    .unwrap();
    let body_b64 = B64.encode(&bodies[1]);
    let set = sign_set(&key, &body_b64, 1_760_000_000, 1).unwrap();
    let n = |v: u64| match ints {
        Int64As::String => json!(v.to_string()),
        Int64As::Number => json!(v),
    };
    let json = json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": B64.encode(b"leaf certificate DER")},
            "tlogEntries": [{
                "logIndex": n(1),
                "logId": {"keyId": B64.encode(key.key_id())},
                "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                "integratedTime": n(1_760_000_000),
                "inclusionPromise": {"signedEntryTimestamp": B64.encode(&set)},
                "inclusionProof": {
                    "logIndex": n(1),
                    "rootHash": B64.encode(root.as_bytes()),
                    "treeSize": n(2),
                    "hashes": [B64.encode(l0.as_bytes())],
                    "checkpoint": {"envelope": checkpoint.clone()}
                },
                "canonicalizedBody": body_b64
            }]
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode([7u8; 32])},
            "signature": B64.encode(b"artifact signature")
        }
    });
    Built {
        json,
        body: bodies[1].clone(),
        root,
        sibling: l0,
        set,
        key_id: key.key_id(),
        checkpoint,
    }
}

#[test]
fn a_bundle_in_signets_own_shape_parses_with_int64_as_strings_or_numbers() {
    for ints in [Int64As::String, Int64As::Number] {
        let built = signet_shaped_bundle(ints);
        let b = Bundle::from_json(&serde_json::to_vec(&built.json).unwrap()).unwrap();
        assert_eq!(b.version, BundleVersion::V0_3);
        let e = &b.verification_material.tlog_entries[0];
        assert_eq!((e.log_index, *e.log_id.as_bytes()), (1, built.key_id));
        assert_eq!(e.canonicalized_body, built.body);
        assert_eq!(
            e.signed_entry_timestamp.as_deref(),
            Some(built.set.as_slice())
        );
        assert_eq!(e.integrated_time, Some(1_760_000_000));
        let p = e.inclusion_proof.as_ref().unwrap();
        assert_eq!((p.log_index, p.tree_size), (1, 2));
        assert_eq!(
            (p.root_hash, p.hashes.as_slice()),
            (built.root, [built.sibling].as_slice())
        );
        assert_eq!(p.checkpoint.as_deref(), Some(built.checkpoint.as_str()));
        assert!(built.checkpoint.starts_with("127.0.0.1 - 7\n2\n"));
        let Content::MessageSignature(m) = &b.content else {
            panic!("not a message signature")
        };
        assert_eq!(m.signature, b"artifact signature");
        assert_eq!(m.message_digest.as_ref().unwrap().digest, [7u8; 32]);
        assert_eq!(
            b.leaf_certificate(),
            Some(b"leaf certificate DER".as_slice())
        );
    }
}

/// Parses many prefixes and single-byte substitutions of real bundles: none may panic,
/// and no strict prefix is a valid bundle.
#[test]
fn truncated_and_corrupted_real_bundles_never_panic() {
    for rel in [
        "sigstore-python/bundle_v3.txt.sigstore",
        "sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json",
    ] {
        let bytes = signet_testdata::read(rel);
        let end = bytes.iter().rposition(|b| *b == b'}').unwrap();
        for cut in (0..end).step_by(3).chain(end.saturating_sub(64)..end) {
            assert!(
                Bundle::from_json(&bytes[..cut]).is_err(),
                "{rel}: prefix of {cut} bytes parsed"
            );
        }
        for pos in (0..bytes.len()).step_by(13) {
            for replacement in [b'"', b'0', b'}', b'\\', 0xff] {
                let mut corrupted = bytes.clone();
                corrupted[pos] = replacement;
                let _ = Bundle::from_json(&corrupted);
            }
        }
    }
}
