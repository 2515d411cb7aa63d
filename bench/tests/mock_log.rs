//! End-to-end runner tests against an in-process mock of the Rekor v1 endpoints.

// Helpers outside #[test] fns are test code too (clippy.toml only covers the fns).
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use signet_bench::append::{run_closed, run_open, ClosedLoop, OpenLoop};
use signet_bench::entries::KeyPool;
use signet_bench::feed::{EntryFeed, FeedConfig};
use signet_bench::http::LogClient;
use signet_bench::read::{run_read, ReadKind, ReadLoop};
use signet_bench::target::Target;

const H: &str = "1111111111111111111111111111111111111111111111111111111111111111";

#[derive(Default)]
struct Mock {
    digests: Mutex<HashSet<String>>,
    size: AtomicU64,
    posts: AtomicU64,
    /// Every `fail_every`-th POST answers 503 (0 = never).
    fail_every: u64,
    /// Delay before answering a POST.
    delay: Duration,
    /// Serve inclusion proofs without `hashes`.
    broken_inclusion: bool,
}

async fn post_entry(State(m): State<Arc<Mock>>, Json(v): Json<Value>) -> (StatusCode, String) {
    tokio::time::sleep(m.delay).await;
    let n = m.posts.fetch_add(1, Ordering::SeqCst) + 1;
    if m.fail_every > 0 && n % m.fail_every == 0 {
        return (StatusCode::SERVICE_UNAVAILABLE, "{}".into());
    }
    assert_eq!(v["kind"], "hashedrekord");
    let digest = v["spec"]["data"]["hash"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    if !m.digests.lock().unwrap().insert(digest) {
        return (StatusCode::CONFLICT, "{}".into());
    }
    let index = m.size.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::CREATED,
        json!({"x": {"logIndex": index}}).to_string(),
    )
}

async fn log_info(State(m): State<Arc<Mock>>) -> Json<Value> {
    Json(json!({"treeSize": m.size.load(Ordering::SeqCst), "rootHash": H}))
}

async fn get_entry(
    State(m): State<Arc<Mock>>,
    Query(q): Query<std::collections::HashMap<String, u64>>,
) -> Result<Json<Value>, StatusCode> {
    let index = q["logIndex"];
    let size = m.size.load(Ordering::SeqCst);
    if index >= size {
        return Err(StatusCode::NOT_FOUND);
    }
    let mut proof = json!({"logIndex": index, "treeSize": size, "rootHash": H,
                           "checkpoint": "c", "hashes": [H, H]});
    if m.broken_inclusion {
        proof.as_object_mut().unwrap().remove("hashes");
    }
    Ok(Json(
        json!({ "k": {"body": "e30=", "integratedTime": 1, "logID": H,
        "logIndex": index, "verification": {"signedEntryTimestamp": "MA==",
        "inclusionProof": proof}}}),
    ))
}

async fn get_proof(
    State(m): State<Arc<Mock>>,
    Query(q): Query<std::collections::HashMap<String, u64>>,
) -> Result<Json<Value>, StatusCode> {
    let (a, b) = (q["firstSize"], q["lastSize"]);
    if a < 1 || a > b || b > m.size.load(Ordering::SeqCst) {
        return Err(StatusCode::BAD_REQUEST);
    }
    Ok(Json(json!({"rootHash": H, "hashes": [H]})))
}

async fn serve(mock: Mock) -> (Arc<LogClient>, Arc<Mock>) {
    let mock = Arc::new(mock);
    let app = Router::new()
        .route("/api/v1/log", get(log_info))
        .route("/api/v1/log/entries", get(get_entry).post(post_entry))
        .route("/api/v1/log/proof", get(get_proof))
        .with_state(Arc::clone(&mock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let target = Target::parse(&format!("http://{addr}")).unwrap();
    let client = Arc::new(LogClient::new(target, Duration::from_secs(10)).unwrap());
    (client, mock)
}

fn feed(prefill: usize) -> Arc<EntryFeed> {
    let pool = Arc::new(KeyPool::generate(4).unwrap());
    Arc::new(EntryFeed::start(
        pool,
        FeedConfig {
            high_water: prefill,
            low_water: prefill / 2,
            threads: 2,
        },
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_count_reaches_exactly_the_count_despite_failures() {
    let (client, mock) = serve(Mock {
        fail_every: 7,
        ..Mock::default()
    })
    .await;
    let feed = feed(64);
    let cfg = ClosedLoop {
        concurrency: 4,
        warmup: Duration::ZERO,
        duration: None,
        count: Some(50),
    };
    let ok = Arc::new(AtomicU64::new(0));
    let r = run_closed(Arc::clone(&client), feed, cfg, Arc::clone(&ok))
        .await
        .unwrap();
    assert_eq!(r.ok_including_warmup, 50);
    assert_eq!(ok.load(Ordering::SeqCst), 50);
    assert_eq!(r.stats.ok, 50);
    assert_eq!(client.tree_size().await.unwrap(), 50);
    let failed = r.stats.statuses.get(&503).copied().unwrap_or(0);
    assert!(failed >= 7, "503s are counted: {:?}", r.stats.statuses);
    assert_eq!(r.stats.sent, 50 + failed);
    assert_eq!(mock.posts.load(Ordering::SeqCst), r.stats.sent);
    assert_eq!(r.stats.statuses.get(&409), None, "entries are unique");
    assert_eq!(r.stats.latency_us.len(), r.stats.sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_duration_excludes_warmup() {
    let (client, mock) = serve(Mock::default()).await;
    let cfg = ClosedLoop {
        concurrency: 8,
        warmup: Duration::from_millis(300),
        duration: Some(Duration::from_millis(700)),
        count: None,
    };
    let r = run_closed(client, feed(20_000), cfg, Arc::default())
        .await
        .unwrap();
    let total = mock.size.load(Ordering::SeqCst);
    assert_eq!(r.ok_including_warmup, total);
    assert!(
        r.stats.ok > 0 && r.stats.ok < total,
        "{} of {total}",
        r.stats.ok
    );
    assert!(r.measured >= Duration::from_millis(700) && r.measured < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_sends_on_schedule() {
    let (client, mock) = serve(Mock::default()).await;
    let cfg = OpenLoop {
        rate: 200.0,
        warmup: Duration::from_millis(250),
        duration: Duration::from_secs(1),
        max_in_flight: 16,
        drain_timeout: Duration::from_secs(5),
    };
    let r = run_open(client, feed(400), cfg, Arc::default())
        .await
        .unwrap();
    assert_eq!(
        mock.posts.load(Ordering::SeqCst),
        250,
        "all scheduled sends"
    );
    assert_eq!(r.stats.sent, 200, "only the measured second");
    assert_eq!(r.stats.ok, 200);
    assert_eq!(r.ok_including_warmup, 250);
    let elapsed = r.measured.as_secs_f64();
    assert!((1.0..1.5).contains(&elapsed), "{elapsed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_latency_counts_from_the_scheduled_time() {
    // One sender, 40 ms per request, 100 sends/s offered: the backlog grows by 3 sends
    // every 40 ms, so later sends wait far longer than the 40 ms service time.
    let (client, _mock) = serve(Mock {
        delay: Duration::from_millis(40),
        ..Mock::default()
    })
    .await;
    let cfg = OpenLoop {
        rate: 100.0,
        warmup: Duration::ZERO,
        duration: Duration::from_millis(500),
        max_in_flight: 1,
        drain_timeout: Duration::from_secs(10),
    };
    let r = run_open(client, feed(100), cfg, Arc::default())
        .await
        .unwrap();
    assert_eq!(r.stats.sent, 50);
    assert_eq!(r.stats.ok, 50);
    let max = r.stats.latency_us.max();
    // The last send is scheduled at 490 ms and served after ~50 × 40 ms = 2 s.
    assert!(
        max >= 1_400_000,
        "max latency {max} µs must include queueing"
    );
    let min = r.stats.latency_us.min();
    assert!(min >= 40_000, "min {min}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_drops_backlog_after_the_drain_deadline() {
    let (client, _mock) = serve(Mock {
        delay: Duration::from_millis(100),
        ..Mock::default()
    })
    .await;
    let cfg = OpenLoop {
        rate: 100.0,
        warmup: Duration::ZERO,
        duration: Duration::from_millis(300),
        max_in_flight: 1,
        drain_timeout: Duration::ZERO,
    };
    let r = run_open(client, feed(100), cfg, Arc::default())
        .await
        .unwrap();
    assert_eq!(r.stats.sent, 30);
    assert!(r.stats.not_sent >= 20, "not sent {}", r.stats.not_sent);
    assert_eq!(r.stats.ok + r.stats.not_sent, 30);
}

async fn grown(mock: Mock, n: u64) -> Arc<LogClient> {
    let (client, _mock) = serve(mock).await;
    let cfg = ClosedLoop {
        concurrency: 4,
        warmup: Duration::ZERO,
        duration: None,
        count: Some(n),
    };
    run_closed(Arc::clone(&client), feed(64), cfg, Arc::default())
        .await
        .unwrap();
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_hit_valid_parameters_and_check_bodies() {
    let client = grown(Mock::default(), 20).await;
    for kind in [ReadKind::Inclusion, ReadKind::Consistency, ReadKind::Mixed] {
        let cfg = ReadLoop {
            kind,
            concurrency: 4,
            warmup: Duration::ZERO,
            duration: Duration::from_millis(300),
            tree_size: 20,
        };
        let r = run_read(Arc::clone(&client), cfg).await.unwrap();
        assert!(r.stats.ok > 10, "{kind:?}: {}", r.stats.ok);
        // The mock answers 404/400 to any out-of-range parameter.
        assert_eq!(r.stats.ok, r.stats.sent, "{kind:?}: {:?}", r.stats.statuses);
    }
    let empty = ReadLoop {
        kind: ReadKind::Inclusion,
        concurrency: 1,
        warmup: Duration::ZERO,
        duration: Duration::from_millis(10),
        tree_size: 0,
    };
    assert!(run_read(client, empty).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inclusion_without_hashes_is_invalid() {
    let client = grown(
        Mock {
            broken_inclusion: true,
            ..Mock::default()
        },
        5,
    )
    .await;
    let cfg = ReadLoop {
        kind: ReadKind::Inclusion,
        concurrency: 2,
        warmup: Duration::ZERO,
        duration: Duration::from_millis(200),
        tree_size: 5,
    };
    let r = run_read(client, cfg).await.unwrap();
    assert!(r.stats.sent > 0);
    assert_eq!(r.stats.ok, 0);
    assert_eq!(r.stats.invalid, r.stats.sent);
}
