//! `signet serve` under slow, greedy and oversized clients (issue 6, "Load and abuse"):
//! slow request heads and bodies are cut, connections are capped in total and per address
//! without starving well-behaved clients, bodies are size-limited, and rate limits per
//! address, per OIDC identity and per signer answer 429 with `Retry-After`. A real server
//! on 127.0.0.1; raw TCP where the test must misbehave.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::{
    io::{ErrorKind, Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use common::{
    raw_http::{addr, read_until_closed, request, retry_after},
    Deployment,
};

#[test]
fn slow_request_heads_are_cut_and_do_not_starve_other_clients() {
    let d = Deployment::start_with(&["--header-read-timeout-secs", "2", "--max-connections", "6"]);
    // Fill every connection slot with a client that trickles its headers forever.
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..6)
        .map(|_| {
            let mut s = TcpStream::connect(addr(&d)).unwrap();
            s.write_all(b"GET /api/v1/log HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    // A well-behaved client queued behind them is served once the slow heads time out.
    let polite = std::thread::spawn({
        let base = d.base.clone();
        move || {
            let t = Instant::now();
            let mut s = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
            s.write_all(b"GET /api/v1/log HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let (text, closed) = read_until_closed(&mut s, Duration::from_secs(20));
            (text, closed, t.elapsed())
        }
    });
    let mut closed_at = Vec::new();
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(250));
        for (i, s) in slow.iter_mut().enumerate() {
            if closed_at.iter().any(|(j, _)| *j == i) {
                continue;
            }
            // Keep trickling: a header line every 250 ms never completes the head.
            let wrote = s.write_all(b"X-Slow: 1\r\n").is_ok();
            s.set_nonblocking(true).unwrap();
            let mut b = [0u8; 512];
            let gone = !wrote
                || matches!(s.read(&mut b), Ok(0))
                || matches!(s.read(&mut b), Err(e) if e.kind() != ErrorKind::WouldBlock);
            s.set_nonblocking(false).unwrap();
            if gone {
                closed_at.push((i, started.elapsed()));
            }
        }
        if closed_at.len() == slow.len() {
            break;
        }
    }
    assert_eq!(
        closed_at.len(),
        slow.len(),
        "slow clients still connected after 10 s: {closed_at:?}"
    );
    for (i, at) in &closed_at {
        assert!(
            *at >= Duration::from_millis(1500),
            "slow client {i} closed after {at:?}, before the 2 s header timeout"
        );
    }
    let (text, closed, _) = polite.join().unwrap();
    assert!(closed && text.starts_with("HTTP/1.1 200"), "{text:?}");
}

#[test]
fn connections_per_address_are_capped_and_freed() {
    let d = Deployment::start_with(&["--max-connections-per-address", "3"]);
    // The readiness probe's connection holds a slot until the server has seen it close:
    // one whole request first, then a pause, so that no earlier connection is counted.
    let mut warm = TcpStream::connect(addr(&d)).unwrap();
    let _ = warm.write_all(b"GET /api/v1/log HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (text, _) = read_until_closed(&mut warm, Duration::from_secs(10));
    assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
    std::thread::sleep(Duration::from_millis(500));
    let idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(addr(&d)).unwrap())
        .collect();
    // Give the server time to accept all three.
    std::thread::sleep(Duration::from_millis(300));
    let mut fourth = TcpStream::connect(addr(&d)).unwrap();
    let _ = fourth.write_all(b"GET /api/v1/log HTTP/1.1\r\nHost: x\r\n\r\n");
    let (text, closed) = read_until_closed(&mut fourth, Duration::from_secs(5));
    assert!(
        closed && text.is_empty(),
        "a fourth connection from one address was served: {text:?}"
    );
    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut s = TcpStream::connect(addr(&d)).unwrap();
        let _ = s.write_all(b"GET /api/v1/log HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (text, _) = read_until_closed(&mut s, Duration::from_secs(5));
        if text.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(Instant::now() < deadline, "slots were not freed: {text:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn slow_bodies_time_out_and_large_bodies_are_refused() {
    let d = Deployment::start_with(&["--request-timeout-secs", "2"]);
    for path in ["/api/v1/log/entries", "/api/v2/signingCert"] {
        let mut s = TcpStream::connect(addr(&d)).unwrap();
        s.write_all(
            format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{{")
                .as_bytes(),
        )
        .unwrap();
        let started = Instant::now();
        let mut answer = String::new();
        while started.elapsed() < Duration::from_secs(10) && answer.is_empty() {
            std::thread::sleep(Duration::from_millis(300));
            let _ = s.write_all(b" ");
            s.set_nonblocking(true).unwrap();
            let mut b = [0u8; 4096];
            if let Ok(n) = s.read(&mut b) {
                answer = String::from_utf8_lossy(&b[..n]).into_owned();
            }
            s.set_nonblocking(false).unwrap();
        }
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{path}: a body trickled for {:?} got {answer:?}",
            started.elapsed()
        );
    }
    let (code, text) = request(
        &addr(&d),
        "POST",
        "/api/v1/log/entries",
        &vec![b' '; 300 * 1024],
    );
    assert_eq!(code, 413, "{text}");
    let (code, text) = request(
        &addr(&d),
        "POST",
        "/api/v2/signingCert",
        &vec![b' '; 100 * 1024],
    );
    assert_eq!(code, 413, "{text}");
}

#[test]
fn rate_limits_per_address_answer_429_with_retry_after() {
    let d = Deployment::start_with(&[
        "--rate-limit-writes-per-address",
        "3/m",
        "--rate-limit-reads-per-address",
        "5/m",
    ]);
    for _ in 0..3 {
        let (code, text) = request(&addr(&d), "POST", "/api/v1/log/entries", b"{}");
        assert_eq!(code, 400, "{text}");
    }
    let (code, text) = request(&addr(&d), "POST", "/api/v2/signingCert", b"{}");
    assert_eq!(code, 429, "the fourth write from one address: {text}");
    let wait = retry_after(&text);
    assert!((1..=20).contains(&wait), "Retry-After {wait}");
    assert!(text.contains("rate limit"), "{text}");

    // Reads have their own budget, untouched by the writes.
    for _ in 0..5 {
        let (code, text) = request(&addr(&d), "GET", "/api/v1/log", b"");
        assert_eq!(code, 200, "{text}");
    }
    let (code, text) = request(&addr(&d), "GET", "/checkpoint", b"");
    assert_eq!(code, 429, "the sixth read: {text}");
    assert!((1..=12).contains(&retry_after(&text)), "{text}");
}

#[test]
fn certificates_per_identity_and_entries_per_signer_are_limited() {
    let d = Deployment::start_with(&[
        "--rate-limit-per-identity",
        "2/h",
        "--rate-limit-per-signer",
        "2/h",
    ]);
    for name in ["a", "b", "c", "x", "y", "z"] {
        d.write(name, name.as_bytes());
    }
    let alice = d.token();
    let sign = |files: &[&str], token: &str| {
        d.signet()
            .arg("sign")
            .args(files)
            .args(["--identity-token", token, "--trust-config"])
            .arg(d.trust_config())
            .output()
            .unwrap()
    };
    // One certificate signs a, b and c: the third entry under it is over the signer's rate.
    let out = sign(&["a", "b", "c"], &alice);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "three entries under one signer passed"
    );
    assert!(stderr.contains("rate limit"), "{stderr}");
    assert!(d.dir().join("a.sigstore.json").exists());
    assert!(d.dir().join("b.sigstore.json").exists());
    assert!(!d.dir().join("c.sigstore.json").exists());

    // Alice's second certificate is within the identity's rate; her third is not.
    common::ok(&sign(&["x"], &alice), "alice's second certificate");
    let out = sign(&["y"], &alice);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a third certificate for alice passed"
    );
    assert!(
        stderr.contains("rate limit") && stderr.contains("certificates per identity"),
        "{stderr}"
    );
    assert!(!d.dir().join("y.sigstore.json").exists());

    // Bob is another identity.
    let bob = d.token_for("bob", "bob@example.com");
    common::ok(&sign(&["z"], &bob), "bob's certificate");
}
