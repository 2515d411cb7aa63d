//! End-to-end runner tests against the real log server (signet-tlog over SQLite) on
//! 127.0.0.1: the load generator's counts must match what the log actually holds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use signet_tlog::{http::HttpLimits, storage::Storage, IfMissing, Log, LogConfig};
use signet_tlog_core::keys::EcdsaP256Signer;

use crate::append::Append;
use crate::drive::{run_closed, run_open, ClosedLoop, OpenLoop};
use crate::entries::KeyPool;
use crate::feed::{EntryFeed, FeedConfig};
use crate::http::LogClient;
use crate::read::{run_read, ReadKind, ReadLoop};
use crate::target::Target;

/// A real log on a fresh SQLite database, served on an ephemeral loopback port.
async fn real_log() -> (Arc<LogClient>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("tlog.sqlite").display());
    let storage = Storage::open(&url).await.unwrap();
    let key = EcdsaP256Signer::generate_pkcs8().unwrap();
    let signer = EcdsaP256Signer::from_pkcs8(&key, "bench.test").unwrap();
    let log = Log::start(storage, signer, &LogConfig::default(), IfMissing::Create)
        .await
        .unwrap();
    let app = signet_tlog::http::router(log, &HttpLimits::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let target = Target::parse(&format!("http://{addr}")).unwrap();
    (
        Arc::new(LogClient::new(target, Duration::from_secs(10)).unwrap()),
        dir,
    )
}

fn append(client: &Arc<LogClient>, feed: Arc<EntryFeed>) -> Arc<Append> {
    Arc::new(Append {
        client: Arc::clone(client),
        feed,
    })
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
async fn closed_loop_count_matches_the_log() {
    let (client, _dir) = real_log().await;
    let cfg = ClosedLoop {
        concurrency: 4,
        warmup: Duration::ZERO,
        duration: None,
        count: Some(50),
    };
    let ok = Arc::new(AtomicU64::new(0));
    let r = run_closed(append(&client, feed(64)), cfg, Arc::clone(&ok))
        .await
        .unwrap();
    assert_eq!(r.ok_including_warmup, 50);
    assert_eq!(ok.load(Ordering::SeqCst), 50);
    assert_eq!(r.stats.ok, 50);
    assert_eq!(
        r.stats.sent, 50,
        "the real log accepts every generated entry"
    );
    assert_eq!(r.stats.statuses.get(&409), None, "entries are unique");
    assert_eq!(r.stats.latency_us.len(), r.stats.sent);
    assert_eq!(
        client.tree_size().await.unwrap(),
        50,
        "the log holds exactly what was counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_duration_excludes_warmup() {
    let (client, _dir) = real_log().await;
    let cfg = ClosedLoop {
        concurrency: 8,
        warmup: Duration::from_millis(300),
        duration: Some(Duration::from_secs(1)),
        count: None,
    };
    let r = run_closed(append(&client, feed(20_000)), cfg, Arc::default())
        .await
        .unwrap();
    assert!(r.stats.ok > 0);
    assert!(
        r.ok_including_warmup > r.stats.ok,
        "warm-up successes are not measured"
    );
    assert_eq!(client.tree_size().await.unwrap(), r.ok_including_warmup);
    assert!(r.measured >= Duration::from_millis(900) && r.measured < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_sends_on_schedule() {
    let (client, _dir) = real_log().await;
    let cfg = OpenLoop {
        rate: 200.0,
        warmup: Duration::from_millis(250),
        duration: Duration::from_secs(1),
        max_in_flight: 16,
        drain_timeout: Duration::from_secs(5),
    };
    let r = run_open(append(&client, feed(400)), cfg, Arc::default())
        .await
        .unwrap();
    assert_eq!(r.stats.sent, 200, "only the measured second");
    assert_eq!(r.stats.ok, 200);
    assert_eq!(r.ok_including_warmup, 250);
    assert_eq!(
        client.tree_size().await.unwrap(),
        250,
        "every scheduled send reached the log"
    );
    let elapsed = r.measured.as_secs_f64();
    assert!((1.0..1.5).contains(&elapsed), "{elapsed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_hit_valid_parameters_and_check_bodies() {
    let (client, _dir) = real_log().await;
    let grow = ClosedLoop {
        concurrency: 4,
        warmup: Duration::ZERO,
        duration: None,
        count: Some(20),
    };
    run_closed(append(&client, feed(64)), grow, Arc::default())
        .await
        .unwrap();
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
        // The real log answers 400/404 to any out-of-range parameter.
        assert_eq!(r.stats.ok, r.stats.sent, "{kind:?}: {:?}", r.stats.statuses);
        assert_eq!(r.stats.invalid, 0);
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
