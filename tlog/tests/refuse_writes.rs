//! A PostgreSQL database that refuses writes (issue 6): the log's database is switched
//! to read-only (`default_transaction_read_only`, its sessions restarted so that they
//! pick it up), the way an operator or a failing replica would. Appends must answer 503
//! with `Retry-After` and write nothing while reads go on; once the database takes writes
//! again the log continues at the next index with a tree consistent with the old one.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Backend, Server, Signer};
use signet_tlog_core::{hash::Hash, proof::verify_consistency};
use sqlx::Connection as _;

/// Sets (or resets) read-only on the log's database and ends its sessions, from a
/// connection to another database of the cluster.
async fn read_only(db_url: &str, on: bool) {
    let admin = std::env::var("SIGNET_TEST_POSTGRES_URL").unwrap();
    let name = db_url.rsplit_once('/').unwrap().1;
    let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
    let set = if on {
        format!("ALTER DATABASE {name} SET default_transaction_read_only = on")
    } else {
        format!("ALTER DATABASE {name} RESET default_transaction_read_only")
    };
    sqlx::query(&set).execute(&mut c).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
}

async fn tree(http: &reqwest::Client, server: &Server) -> (u64, String) {
    let r = http.get(server.url("/api/v1/log")).send().await.unwrap();
    assert_eq!(r.status(), 200, "reads must go on");
    let v: serde_json::Value = r.json().await.unwrap();
    (
        v["treeSize"].as_u64().unwrap(),
        v["rootHash"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_answers_503_and_the_log_resumes() {
    let backend = Backend::postgres().await;
    let Backend::Postgres(url) = &backend else {
        unreachable!()
    };
    let server = Server::start(&backend).await;
    let http = reqwest::Client::new();
    let signer = Signer::new();
    let post = |body: serde_json::Value| {
        http.post(server.url("/api/v1/log/entries"))
            .json(&body)
            .send()
    };
    for i in 0..5u8 {
        let r = post(signer.hashedrekord(&[i; 40]).0).await.unwrap();
        assert_eq!(r.status(), 201);
    }
    let (size, root) = tree(&http, &server).await;

    read_only(url, true).await;
    for i in 0..20u8 {
        let r = post(signer.hashedrekord(&[100 + i; 40]).0).await.unwrap();
        assert_eq!(r.status(), 503, "append {i} to a read-only database");
        assert_eq!(r.headers()["retry-after"], "1");
        let text = r.text().await.unwrap();
        assert!(text.contains("nothing was written"), "{text}");
    }
    // Reads need no write: served from the same database all along.
    assert_eq!(tree(&http, &server).await, (size, root.clone()));
    let r = http
        .get(server.url("/api/v1/log/entries?logIndex=4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    read_only(url, false).await;
    // The first append may meet a session that was just terminated (503); the log must
    // recover within a few attempts and continue at the next index.
    let mut index = None;
    for attempt in 0..10u8 {
        let r = post(signer.hashedrekord(&[200 + attempt; 40]).0)
            .await
            .unwrap();
        if r.status() == 201 {
            let v: serde_json::Value = r.json().await.unwrap();
            index = v.as_object().unwrap().values().next().unwrap()["logIndex"].as_u64();
            break;
        }
        assert_eq!(r.status(), 503);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        index,
        Some(size),
        "the log did not resume at the next index"
    );

    let (new_size, new_root) = tree(&http, &server).await;
    assert_eq!(new_size, size + 1);
    let proof: serde_json::Value = http
        .get(server.url(&format!(
            "/api/v1/log/proof?firstSize={size}&lastSize={new_size}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hashes: Vec<_> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    verify_consistency(
        size,
        new_size,
        &hashes,
        &Hash::from_hex(&root).unwrap(),
        &Hash::from_hex(&new_root).unwrap(),
    )
    .expect("the tree after the outage extends the tree before it");
    server.stop().await;
}
