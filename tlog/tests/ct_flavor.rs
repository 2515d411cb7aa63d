//! The certificate-transparency flavour of the log: raw `MerkleTreeLeaf` leaves, no SET,
//! Rekor entries refused, proofs and tiles as for any log. Both backends.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Backend, Server};
use signet_tlog::{log::AppendOutcome, IfMissing, LogConfig, LogError, LogFlavor};
use signet_tlog_core::{
    hash::{leaf_hash, Hash},
    keys::EcdsaP256Signer,
    proof::verify_inclusion,
};

async fn ct_log_takes_raw_leaves_only(backend: Backend) {
    let config = LogConfig {
        origin_host: "ct.signet.test".to_owned(),
        flavor: LogFlavor::CertificateTransparency,
        ..LogConfig::default()
    };
    let key = EcdsaP256Signer::generate_pkcs8().expect("keygen");
    let s = Server::start_with(&backend, key, IfMissing::Create, &config).await;

    // Rekor entries are refused outright, before any parsing.
    let err = s
        .log
        .append(b"{}")
        .await
        .expect_err("rekor entry on a CT log");
    assert!(matches!(err, LogError::BadRequest(_)), "{err:?}");

    let mut leaves = Vec::new();
    for i in 0..40u32 {
        let leaf_input = format!("merkle tree leaf {i}").into_bytes();
        let out = s
            .log
            .append_leaf(
                leaf_input.clone(),
                vec![format!("email:user{i}@example.com")],
                Some(format!("issued to user{i}").into_bytes()),
            )
            .await
            .expect("append leaf");
        match out {
            AppendOutcome::Created(p) => {
                assert_eq!(p.entry.index, u64::from(i));
                assert_eq!(p.entry.leaf_hash, leaf_hash(&leaf_input));
                assert!(p.set.is_empty(), "a CT log signs no SET");
                verify_inclusion(
                    p.entry.index,
                    p.head.size,
                    &p.entry.leaf_hash,
                    &p.proof,
                    &p.head.root,
                )
                .expect("inclusion proof verifies");
            }
            other => panic!("leaf {i}: {other:?}"),
        }
        leaves.push(leaf_input);
    }
    // The same leaf again is a duplicate at its first index.
    match s
        .log
        .append_leaf(leaves[7].clone(), vec![], None)
        .await
        .expect("dup")
    {
        AppendOutcome::Duplicate { index, .. } => assert_eq!(index, 7),
        other => panic!("duplicate: {other:?}"),
    }
    // Reads prove against the newest checkpoint; search keys find entries.
    let head = s.log.head();
    assert_eq!(head.size, 40);
    let p = s.log.entry_by_index(21).await.expect("read");
    assert_eq!(p.entry.body, leaves[21]);
    assert_eq!(p.entry.extra.as_deref(), Some(&b"issued to user21"[..]));
    assert!(p.set.is_empty());
    verify_inclusion(21, head.size, &p.entry.leaf_hash, &p.proof, &head.root).expect("proof");
    // Inclusion proofs against older tree sizes (RFC 6962 get-proof-by-hash needs them).
    for size in [1u64, 2, 16, 17, 33, 40] {
        let root = s.log.root_at(size).await.expect("root");
        for index in [0, size / 2, size - 1] {
            let path = s.log.inclusion_proof(index, size).await.expect("proof");
            let leaf = leaf_hash(&leaves[index as usize]);
            verify_inclusion(index, size, &leaf, &path, &root).expect("old-size proof");
            if size > 1 {
                let other = leaf_hash(&leaves[((index + 1) % size) as usize]);
                assert!(verify_inclusion(index, size, &other, &path, &root).is_err());
            }
        }
    }
    for (index, size) in [(5u64, 5u64), (0, 0), (0, 41)] {
        assert!(
            matches!(
                s.log.inclusion_proof(index, size).await,
                Err(LogError::BadRequest(_))
            ),
            "index {index} size {size}"
        );
    }
    assert_eq!(
        s.log
            .lookup("email:user5@example.com")
            .await
            .expect("lookup"),
        vec![5]
    );
    let root: Hash = head.root;
    assert_eq!(s.log.root_at(40).await.expect("root"), root);
    s.stop().await;
}

#[tokio::test]
async fn sqlite_ct_log_takes_raw_leaves_only() {
    ct_log_takes_raw_leaves_only(Backend::sqlite()).await;
}

#[tokio::test]
async fn postgres_ct_log_takes_raw_leaves_only() {
    ct_log_takes_raw_leaves_only(Backend::postgres().await).await;
}

#[tokio::test]
async fn rekor_log_refuses_raw_leaves() {
    let backend = Backend::sqlite();
    let s = Server::start(&backend).await;
    let err = s
        .log
        .append_leaf(b"leaf".to_vec(), vec![], None)
        .await
        .expect_err("raw leaf on a Rekor log");
    assert!(matches!(err, LogError::BadRequest(_)), "{err:?}");
    assert_eq!(s.log.head().size, 0);
    s.stop().await;
}
