//! Rekor v1 proposed-entry validation and canonicalisation (PROTOCOL.md §4.1, §4.2, §7.4).
//!
//! Real Rekor-canonicalised bodies from the public vectors are reproduced byte for byte;
//! every rejection is a table row asserting its error variant.

// Helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests;
// in test helpers a panic is a test failure, which is what we want. The helpers are shared
// by tests/entries.rs and tests/entry_rejections.rs, each of which uses only some of them.
#[allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
mod support;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use signet_rekor::entry::{
    canonicalize, canonicalize_value, index_keys_of_body, EntryError, EntryKind, EntryLimits,
};
use signet_rekor::pki::{KeyType, PkiError, SubmittedKey};

use support::*;

// ---------------------------------------------------------------------------------------
// Real data: hashedrekord 0.0.1 bodies written by Rekor (sigstore-python / sigstore-go vectors)
// ---------------------------------------------------------------------------------------

/// Bundles whose single tlog entry is hashedrekord 0.0.1 over the bundle's own
/// messageSignature (bundle_cve_2022_36056 is excluded: its body and bundle disagree on
/// purpose, see `mismatched_real_bundle_is_rejected`).
const HASHEDREKORD_BUNDLES: &[&str] = &[
    "sigstore-python/bundle.txt.sigstore",
    "sigstore-python/bundle_invalid_version.txt.sigstore",
    "sigstore-python/bundle_no_cert_v1.txt.sigstore",
    "sigstore-python/bundle_no_checkpoint.txt.sigstore",
    "sigstore-python/bundle_v3.txt.sigstore",
    "sigstore-python/bundle_v3_alt.txt.sigstore",
    "sigstore-python/bundle_v3_github.whl.sigstore",
    "sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json",
    "sigstore-python/integration/Python-3.12.5.tgz.sigstore",
    "sigstore-python/integration/bundle_v3.txt.sigstore",
    "sigstore-python/tsa/bundle.duplicate.sigstore",
    "sigstore-python/tsa/bundle.many_timestamp.sigstore",
    "sigstore-python/tsa/bundle.txt.late_timestamp.sigstore",
    "sigstore-python/tsa/bundle.txt.sigstore",
    "sigstore-go/pkg/testing/data/bundles/othername.sigstore.json",
];

#[test]
fn real_hashedrekord_bodies_are_reproduced_byte_for_byte() {
    for file in HASHEDREKORD_BUNDLES {
        let real = RealHashedRekord::load(file);
        // The submitted PEM is deliberately not canonical: the log must re-encode it.
        for (width, eol, trailing) in [(64, "\n", true), (76, "\r\n", false), (64, "\r\n", true)] {
            let submitted = pem("CERTIFICATE", &real.cert_der, width, eol, trailing);
            let proposed = hashedrekord(
                "sha256",
                &real.digest_hex,
                &real.signature,
                submitted.as_bytes(),
            );
            let entry = canonicalize(&to_bytes(&proposed), &EntryLimits::default())
                .unwrap_or_else(|e| panic!("{file} ({width} cols): {e}"));
            assert_eq!(entry.kind, EntryKind::HashedRekord);
            assert_eq!(
                String::from_utf8_lossy(&entry.body),
                String::from_utf8_lossy(&real.body),
                "{file} ({width} cols)"
            );
            assert_eq!(entry.leaf_hash.0, rfc6962_leaf_hash(&real.body), "{file}");

            // Index keys: bare hex(SHA-256(Go PEM)), the SANs, "sha256:<digest>".
            let go_pem = real.body_pem();
            let fingerprint = hex::encode(Sha256::digest(&go_pem));
            assert!(
                entry.index_keys.contains(&fingerprint),
                "{file}: {:?}",
                entry.index_keys
            );
            assert!(
                entry
                    .index_keys
                    .contains(&format!("sha256:{}", real.digest_hex)),
                "{file}"
            );
            assert_eq!(
                index_keys_of_body(&real.body).unwrap(),
                entry.index_keys,
                "{file}"
            );
        }
    }
}

#[test]
fn real_certificate_subjects_become_index_keys() {
    for (file, subject) in [
        ("sigstore-python/bundle.txt.sigstore", "a@tny.town"),
        ("sigstore-python/bundle_v3.txt.sigstore", "william@yossarian.net"),
        (
            "sigstore-python/bundle_v3_github.whl.sigstore",
            "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
        ),
        // Fulcio username otherName SAN (1.3.6.1.4.1.57264.1.7).
        ("sigstore-go/pkg/testing/data/bundles/othername.sigstore.json", "foo!oidc.local"),
    ] {
        let real = RealHashedRekord::load(file);
        let keys = index_keys_of_body(&real.body).unwrap();
        assert!(keys.contains(&subject.to_lowercase()), "{file}: {keys:?}");
        let key = SubmittedKey::from_pem(&real.body_pem()).unwrap();
        assert_eq!(key.subjects(), vec![subject.to_owned()], "{file}");
    }
}

#[test]
fn canonical_pem_matches_go_for_sloppy_submissions() {
    let real = RealHashedRekord::load("sigstore-python/bundle_v3.txt.sigstore");
    let go_pem = real.body_pem();
    let publish = read_json("sigstore-go/examples/bundle-publish.json");
    // That body kept the key PEM as the client sent it (one long line); Go's pem.Encode
    // form of it is the 64-column one already proven byte-exact for certificates above.
    let key_der = pem_body_der(&intoto_public_key_pem(&publish));
    let go_key_pem = pem64("PUBLIC KEY", &key_der).into_bytes();
    for (label, der, go) in [
        ("CERTIFICATE", &real.cert_der, &go_pem),
        ("PUBLIC KEY", &key_der, &go_key_pem),
    ] {
        let variants = [
            pem(label, der, 64, "\r\n", true),
            pem(label, der, 76, "\n", true),
            pem(label, der, 64, "\n", false),
            pem(label, der, 76, "\r\n", false),
            format!("\n\n  {}\n\t\n", pem(label, der, 64, "\n", true)),
            pem(label, der, usize::MAX, "\n", true), // a single unwrapped line
        ];
        for text in variants {
            let key =
                SubmittedKey::from_pem(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(key.canonical_pem(), *go, "{label} from {text:?}");
        }
    }
}

#[test]
fn real_fulcio_chain_verifies_and_a_wrong_intermediate_does_not() {
    let real = RealHashedRekord::load("sigstore-python/bundle_v3.txt.sigstore");
    let staging = ca_chain("trust/staging-trusted_root.json", 0);
    let production = ca_chain("trust/production-trusted_root.json", 1);

    let good = chain_pem(&[&real.cert_der, &staging[0], &staging[1]]);
    let key = SubmittedKey::from_pem(good.as_bytes()).unwrap();
    assert_eq!(key.key_type(), KeyType::EcdsaP256);
    assert_eq!(key.certificate_count(), 3);
    assert_eq!(
        key.canonical_pem(),
        good.as_bytes(),
        "a canonical chain is kept as is"
    );

    // A chain entry verifies over the digest with the leaf.
    let proposed = hashedrekord("sha256", &real.digest_hex, &real.signature, good.as_bytes());
    let entry = canonicalize(&to_bytes(&proposed), &EntryLimits::default()).unwrap();
    let stored: Value = serde_json::from_slice(&entry.body).unwrap();
    assert_eq!(
        str_at(&stored, "/spec/signature/publicKey/content"),
        B64.encode(good.as_bytes())
    );

    // Production intermediate: same names, different key.
    let wrong = chain_pem(&[&real.cert_der, &production[0], &production[1]]);
    let err = SubmittedKey::from_pem(wrong.as_bytes()).unwrap_err();
    assert!(
        matches!(err, PkiError::ChainSignature { index: 0 }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("certificate chain does not verify"),
        "{err}"
    );

    // Out of order: the root does not issue the leaf.
    let swapped = chain_pem(&[&real.cert_der, &staging[1]]);
    let err = SubmittedKey::from_pem(swapped.as_bytes()).unwrap_err();
    assert!(
        matches!(err, PkiError::ChainIssuerMismatch { index: 0 }),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// Real data: dsse 0.0.1 over real DSSE envelopes (references from the intoto bodies)
// ---------------------------------------------------------------------------------------

#[test]
fn real_dsse_envelopes_canonicalise() {
    for file in [
        "sigstore-python/a.dsse.staging-rekor-v2.txt.sigstore.json",
        "sigstore-go/pkg/testing/data/bundles/dsse.sigstore.json",
        "sigstore-go/examples/bundle-provenance.json",
        "sigstore-go/examples/bundle-publish.json",
        "sigstore-go/pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json",
    ] {
        let b = read_json(file);
        let env = b.pointer("/dsseEnvelope").unwrap().clone();
        let envelope_text = serde_json::to_string(&env).unwrap();
        // The verifier from the intoto 0.0.2 body (certificate or key), or the bundle's cert.
        let intoto = intoto_body(&b);
        let verifier_pem = match &intoto {
            Some(_) => pem_to_canonical(&intoto_public_key_pem(&b)),
            None => pem64("CERTIFICATE", &bundle_cert_der(&b)).into_bytes(),
        };
        let proposed = dsse_entry(&envelope_text, &[sloppy(&verifier_pem)]);
        let entry = canonicalize(&to_bytes(&proposed), &EntryLimits::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(entry.kind, EntryKind::Dsse);

        let payload = B64.decode(str_at(&env, "/payload")).unwrap();
        let payload_hash = hex::encode(Sha256::digest(&payload));
        if let Some(intoto) = &intoto {
            assert_eq!(
                payload_hash,
                str_at(intoto, "/spec/content/payloadHash/value"),
                "{file}"
            );
        }
        let expected = format!(
            concat!(
                r#"{{"apiVersion":"0.0.1","kind":"dsse","spec":{{"envelopeHash":{{"algorithm":"sha256","value":"{}"}},"#,
                r#""payloadHash":{{"algorithm":"sha256","value":"{}"}},"signatures":[{{"signature":"{}","verifier":"{}"}}]}}}}"#
            ),
            hex::encode(Sha256::digest(envelope_text.as_bytes())),
            payload_hash,
            str_at(&env, "/signatures/0/sig"),
            B64.encode(&verifier_pem),
        );
        assert_eq!(String::from_utf8_lossy(&entry.body), expected, "{file}");
        assert_eq!(entry.leaf_hash.0, rfc6962_leaf_hash(&entry.body));
        // The envelope the body drops is kept, as submitted, beside the leaf.
        assert_eq!(
            entry.extra.as_deref(),
            Some(envelope_text.as_bytes()),
            "{file}"
        );

        // in-toto subject (and SLSA v0.2 material) digests are indexed at insert time only.
        let statement: Value = serde_json::from_slice(&payload).unwrap();
        let mut in_toto_keys: Vec<String> = Vec::new();
        for list in [&statement["subject"], &statement["predicate"]["materials"]] {
            for item in list.as_array().into_iter().flatten() {
                for (alg, v) in item["digest"].as_object().into_iter().flatten() {
                    in_toto_keys.push(format!("{alg}:{}", v.as_str().unwrap()).to_lowercase());
                }
            }
        }
        assert!(!in_toto_keys.is_empty(), "{file}");
        let from_body = index_keys_of_body(&entry.body).unwrap();
        assert!(from_body.contains(&format!("sha256:{payload_hash}")));
        let mut expected_keys = from_body.clone();
        expected_keys.extend(
            in_toto_keys
                .iter()
                .filter(|k| !from_body.contains(k))
                .cloned(),
        );
        assert_eq!(entry.index_keys, expected_keys, "{file}");
    }
}

#[test]
fn real_envelope_with_a_corrupted_second_signature_is_rejected() {
    // sigstore-go's dsse-2sigs fixture: signature 1 is signature 0 with bytes zeroed.
    let b = read_json("sigstore-go/pkg/testing/data/bundles/dsse-2sigs.sigstore.json");
    let envelope_text = serde_json::to_string(b.pointer("/dsseEnvelope").unwrap()).unwrap();
    let proposed = dsse_entry(&envelope_text, &[intoto_public_key_pem(&b)]);
    let err = canonicalize(&to_bytes(&proposed), &EntryLimits::default()).unwrap_err();
    assert!(
        matches!(err, EntryError::UnverifiedEnvelopeSignature { index: 1 }),
        "{err}"
    );
}

#[test]
fn identical_envelope_signatures_collapse_like_rekor() {
    let key = TestKey::p256();
    let sig = key.sign(&pae("text/plain", b"x"));
    let twice = envelope("text/plain", b"x", &[sig.clone(), sig]);
    let proposed = dsse_entry(&twice, &[key.pem().into_bytes()]);
    let entry = canonicalize(&to_bytes(&proposed), &EntryLimits::default()).unwrap();
    let body: Value = serde_json::from_slice(&entry.body).unwrap();
    assert_eq!(body["spec"]["signatures"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------
// Generated keys: what is accepted
// ---------------------------------------------------------------------------------------

#[test]
fn hashedrekord_body_has_the_canonical_shape() {
    let key = TestKey::p256();
    let message = b"artifact";
    let digest = hex::encode(Sha256::digest(message)).to_uppercase(); // stored lowercase
    let proposed = json!({
        "spec": {
            "data": {"hash": {"value": digest, "algorithm": "sha256"}},
            "signature": {"publicKey": {"content": B64.encode(sloppy(key.pem().as_bytes()))},
                          "content": B64.encode(key.sign(message))},
        },
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
    });
    let pretty = serde_json::to_vec_pretty(&proposed).unwrap();
    let entry = canonicalize(&pretty, &EntryLimits::default()).unwrap();
    let stored: Value = serde_json::from_slice(&entry.body).unwrap();
    let expected = format!(
        r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{}"}}}},"signature":{{"content":"{}","publicKey":{{"content":"{}"}}}}}}}}"#,
        digest.to_lowercase(),
        str_at(&stored, "/spec/signature/content"),
        B64.encode(key.pem()),
    );
    assert_eq!(String::from_utf8_lossy(&entry.body), expected);
    // Same entry, compact and reordered: same body (deterministic).
    let again = canonicalize_value(&proposed, &EntryLimits::default()).unwrap();
    assert_eq!(again.body, entry.body);
    assert_eq!(again.leaf_hash, entry.leaf_hash);
    // Everything a hashedrekord entry needs is in its body: nothing is stored beside it.
    assert_eq!(entry.extra, None);
    assert_eq!(again.extra, None);
    // A bare key has no subjects: fingerprint and digest only.
    assert_eq!(
        entry.index_keys,
        vec![
            hex::encode(Sha256::digest(key.pem())),
            format!("sha256:{}", digest.to_lowercase())
        ]
    );
}

#[test]
fn hashedrekord_accepts_each_allowed_key_and_digest() {
    let message = b"payload";
    let cases: Vec<(&str, Vec<u8>, TestKey)> = vec![
        ("sha256", Sha256::digest(message).to_vec(), TestKey::p256()),
        ("sha384", Sha384::digest(message).to_vec(), TestKey::p384()),
        ("sha512", Sha512::digest(message).to_vec(), TestKey::p521()),
        (
            "sha256",
            Sha256::digest(message).to_vec(),
            TestKey::rsa(RsaPad::Pkcs1Sha256),
        ),
        (
            "sha384",
            Sha384::digest(message).to_vec(),
            TestKey::rsa(RsaPad::Pkcs1Sha384),
        ),
        (
            "sha512",
            Sha512::digest(message).to_vec(),
            TestKey::rsa(RsaPad::Pkcs1Sha512),
        ),
        (
            "sha256",
            Sha256::digest(message).to_vec(),
            TestKey::rsa(RsaPad::PssSha256),
        ),
    ];
    for (alg, digest, key) in cases {
        let proposed = hashedrekord(
            alg,
            &hex::encode(&digest),
            &key.sign(message),
            key.pem().as_bytes(),
        );
        let entry = canonicalize(&to_bytes(&proposed), &EntryLimits::default())
            .unwrap_or_else(|e| panic!("{alg} {:?}: {e}", key.kind()));
        assert!(entry
            .index_keys
            .contains(&format!("{alg}:{}", hex::encode(&digest))));
    }
}

#[test]
fn certificate_entries_index_lowercased_sans() {
    let root = TestCa::root("Test Root");
    let inter = TestCa::issued("Test Intermediate", &root, true);
    let (leaf_der, leaf_key) = inter.leaf(&["Alice@Example.COM"], &["https://CI.example/workflow"]);
    let chain = chain_pem(&[&leaf_der, inter.der(), root.der()]);
    let message = b"signed with a chain";
    let proposed = hashedrekord(
        "sha256",
        &hex::encode(Sha256::digest(message)),
        &leaf_key.sign(message),
        sloppy(chain.as_bytes()).as_slice(),
    );
    let entry = canonicalize(&to_bytes(&proposed), &EntryLimits::default()).unwrap();
    assert!(
        entry.index_keys.contains(&"alice@example.com".to_owned()),
        "{:?}",
        entry.index_keys
    );
    assert!(entry
        .index_keys
        .contains(&"https://ci.example/workflow".to_owned()));
    assert!(entry
        .index_keys
        .contains(&hex::encode(Sha256::digest(chain.as_bytes()))));
    let key = SubmittedKey::from_pem(chain.as_bytes()).unwrap();
    assert_eq!(
        key.subjects(),
        vec!["Alice@Example.COM", "https://CI.example/workflow"]
    );
}

#[test]
fn dsse_with_two_signers_sorts_signatures_and_indexes_in_toto() {
    let (a, b) = (TestKey::p256(), TestKey::ed25519());
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "x", "digest": {"sha256": "ABCDEF01"}}],
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "predicate": {"materials": [{"uri": "git+x", "digest": {"sha1": "cafe"}}]},
    });
    let payload = to_bytes(&statement);
    let pae = pae("application/vnd.in-toto+json", &payload);
    let sigs = vec![a.sign(&pae), b.sign(&pae)];
    let envelope_text = envelope("application/vnd.in-toto+json", &payload, &sigs);
    let proposed = dsse_entry(
        &envelope_text,
        &[a.pem().into_bytes(), b.pem().into_bytes()],
    );
    let entry = canonicalize(&to_bytes(&proposed), &EntryLimits::default()).unwrap();
    let body: Value = serde_json::from_slice(&entry.body).unwrap();
    let stored = body["spec"]["signatures"].as_array().unwrap();
    let mut expected: Vec<(String, String)> = vec![
        (B64.encode(&sigs[0]), B64.encode(a.pem())),
        (B64.encode(&sigs[1]), B64.encode(b.pem())),
    ];
    expected.sort();
    let got: Vec<(String, String)> = stored
        .iter()
        .map(|s| {
            (
                s["signature"].as_str().unwrap().to_owned(),
                s["verifier"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        str_at(&body, "/spec/envelopeHash/value"),
        hex::encode(Sha256::digest(envelope_text.as_bytes()))
    );
    for key in ["sha256:abcdef01", "sha1:cafe"] {
        assert!(
            entry.index_keys.contains(&key.to_owned()),
            "{key} in {:?}",
            entry.index_keys
        );
    }
    let fp_a = hex::encode(Sha256::digest(a.pem()));
    assert!(entry.index_keys.contains(&format!("sha256:{fp_a}")));
    assert!(entry.index_keys.contains(&fp_a));
}

#[test]
fn dsse_extra_is_the_envelope_as_submitted_and_hashes_to_envelope_hash() {
    let key = TestKey::p256();
    let payload = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
    let sig = key.sign(&pae("application/vnd.in-toto+json", payload));
    // Deliberately not canonical: pretty-printed, keys out of order, an escaped slash. The
    // envelope hash (and so the stored text) is over these exact bytes.
    let envelope_text = format!(
        "{{\n  \"signatures\": [ {{ \"sig\": \"{}\", \"keyid\": \"\" }} ],\n  \"payloadType\": \"application\\/vnd.in-toto+json\",\n  \"payload\": \"{}\"\n}}\n",
        B64.encode(&sig),
        B64.encode(payload),
    );
    let proposed = dsse_entry(&envelope_text, &[key.pem().into_bytes()]);
    for entry in [
        canonicalize(&to_bytes(&proposed), &EntryLimits::default()).unwrap(),
        canonicalize_value(&proposed, &EntryLimits::default()).unwrap(),
    ] {
        let extra = entry.extra.as_deref().expect("dsse keeps the envelope");
        assert_eq!(extra, envelope_text.as_bytes());
        let body: Value = serde_json::from_slice(&entry.body).unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(extra)),
            str_at(&body, "/spec/envelopeHash/value"),
        );
        // The stored text is the envelope itself: its payload hashes to payloadHash.
        let parsed: Value = serde_json::from_slice(extra).unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(
                B64.decode(str_at(&parsed, "/payload")).unwrap()
            )),
            str_at(&body, "/spec/payloadHash/value"),
        );
        // ... and it is not in the body.
        assert!(!String::from_utf8_lossy(&entry.body).contains("payloadType"));
    }
}

#[test]
fn dsse_p521_signature_over_sha256_is_accepted_as_rekor_does() {
    // Rekor loads DSSE verifiers with crypto.SHA256 whatever the curve.
    let key = TestKey::p521_with_sha256();
    let payload = b"{}";
    let sig = key.sign(&pae("text/plain", payload));
    let proposed = dsse_entry(
        &envelope("text/plain", payload, &[sig]),
        &[key.pem().into_bytes()],
    );
    canonicalize(&to_bytes(&proposed), &EntryLimits::default()).unwrap();
}

#[test]
fn proposed_entry_size_limit_is_inclusive() {
    let (proposed, _) = valid_hashedrekord();
    let limits = EntryLimits::default();
    let mut at_limit = to_bytes(&proposed);
    at_limit.resize(limits.max_proposed_entry_bytes, b' ');
    canonicalize(&at_limit, &limits).unwrap();
    at_limit.push(b' ');
    let err = canonicalize(&at_limit, &limits).unwrap_err();
    assert!(
        matches!(
            err,
            EntryError::BodyTooLarge {
                limit: 131_072,
                got: 131_073
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "proposed entry exceeds 131072 bytes (got 131073)"
    );
    let small = EntryLimits {
        max_proposed_entry_bytes: 100,
        ..EntryLimits::default()
    };
    let err = canonicalize_value(&proposed, &small).unwrap_err();
    assert!(
        matches!(err, EntryError::BodyTooLarge { limit: 100, .. }),
        "{err}"
    );
}
