//! Signatures per second through the session pool, on a throwaway SoftHSM2 token.
//!
//! ```text
//! cargo run -p signet-hsm --features test-util --example sign_throughput -- [SECONDS] [THREADS]
//! ```
//!
//! For each curve and a pool of 1, 2 and 4 sessions, `THREADS` threads (default 4)
//! sign 64-byte messages for `SECONDS` (default 2) and the rate is printed. The
//! machine is shared: keep runs short and compare ratios within one run
//! (PERFORMANCE.md §2.2 has single-session SoftHSM2 figures).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use signet_ca_core::signer::CaSigner;
use signet_hsm::testing::softhsm_token;
use signet_hsm::{EcCurve, Hsm, HsmError};

fn main() -> Result<(), HsmError> {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2.0);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let run_for = Duration::from_secs_f64(seconds);

    let config = softhsm_token("throughput");
    let setup = Hsm::open(&config, 1)?;
    for (label, curve) in [("p256", EcCurve::P256), ("p384", EcCurve::P384)] {
        setup.generate_ec_key(label, curve)?;
    }
    drop(setup);

    println!("curve  sessions  threads  signatures/s");
    for (label, curve) in [("p256", EcCurve::P256), ("p384", EcCurve::P384)] {
        for sessions in [1, 2, 4] {
            let hsm = Hsm::open(&config, sessions)?;
            let key = hsm.find_key(label)?.ok_or_else(|| HsmError::KeyNotFound {
                label: label.to_owned(),
                token: config.token_label.clone(),
            })?;
            let rate = measure(&key, threads, run_for);
            println!("{curve:<6} {sessions:>8} {threads:>8} {rate:>13.0}");
        }
    }
    Ok(())
}

/// Signatures per second over `run_for` with `threads` signing threads.
fn measure(key: &(impl CaSigner + Clone + 'static), threads: usize, run_for: Duration) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (key, stop, done) = (key.clone(), Arc::clone(&stop), Arc::clone(&done));
            thread::spawn(move || {
                let message = [0x5a; 64];
                while !stop.load(Ordering::Relaxed) {
                    if key.sign(&message).is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    thread::sleep(run_for);
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}
