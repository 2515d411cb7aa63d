//! `signet audit inventory` end to end against a real `signet serve` (CA, CT log,
//! transparency log on loopback): every identity that obtained a certificate or signed,
//! the rule that allowed it, the expected-signer inventory's alerts, and `--follow`
//! reporting new entries as they arrive.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;

use std::io::{BufRead as _, BufReader};
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn sign_as(d: &Deployment, who: &str, name: &str) {
    let token = d.token_for(who, &format!("{who}@example.com"));
    let file = d.write(name, name.as_bytes());
    ok(
        &d.signet()
            .arg("sign")
            .arg(&file)
            .args(["--identity-token", &token, "--trust-config"])
            .arg(d.trust_config())
            .output()
            .unwrap(),
        "signet sign",
    );
}

fn inventory(d: &Deployment, extra: &[&str]) -> Output {
    d.signet()
        .args(["audit", "inventory", "--log", &d.base])
        .args(["--ct-log", &format!("{}/ct", d.base), "--trust-config"])
        .arg(d.trust_config())
        .args(["--json", "--no-progress"])
        .args(extra)
        .output()
        .unwrap()
}

fn identity<'a>(report: &'a Value, san: &str) -> &'a Value {
    report["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["san"] == san)
        .unwrap_or_else(|| panic!("{san} not in the inventory: {report}"))
}

#[test]
fn inventory_lists_identities_and_alerts_on_unexpected_signers() {
    let d = Deployment::start();
    sign_as(&d, "alice", "a1");
    sign_as(&d, "alice", "a2");
    sign_as(&d, "bob", "b1");

    let out = inventory(&d, &[]);
    let report: Value = serde_json::from_str(&ok(&out, "inventory")).unwrap();
    assert_eq!(report["replay"]["clean"], true, "{report}");
    let alice = identity(&report, "alice@example.com");
    assert_eq!(alice["issuer"], d.issuer());
    assert_eq!(alice["certificates"], 2, "{alice}");
    assert_eq!(alice["signatures"], 2, "{alice}");
    assert!(alice["firstSeen"].as_i64().unwrap() <= alice["lastSeen"].as_i64().unwrap());
    let rules = alice["allowedBy"].as_array().unwrap();
    assert_eq!(rules.len(), 1, "{alice}");
    assert!(
        rules[0].as_str().unwrap().starts_with(&d.issuer()),
        "{alice}"
    );
    assert_eq!(alice["expected"], Value::Null);
    assert_eq!(identity(&report, "bob@example.com")["signatures"], 1);
    assert_eq!(report["alerts"], 0);

    // Only alice is expected: bob is an alert, and the exit code says so.
    let only_alice = d.write(
        "expected.json",
        format!(
            r#"{{"signers":[{{"issuer":"{}","san":"alice@example.com"}}]}}"#,
            d.issuer()
        )
        .as_bytes(),
    );
    let out = inventory(&d, &["--expect", only_alice.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["alerts"], 1);
    assert_eq!(identity(&report, "bob@example.com")["expected"], false);
    assert_eq!(identity(&report, "alice@example.com")["expected"], true);

    // A pattern is anchored: "alice" alone does not allow "alice@example.com".
    let anchored = d.write(
        "anchored.json",
        format!(
            r#"{{"signers":[{{"issuer":"{}","sanRegexp":"(alice|bob)"}}]}}"#,
            d.issuer()
        )
        .as_bytes(),
    );
    let out = inventory(&d, &["--expect", anchored.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");

    let both = d.write(
        "both.json",
        format!(
            r#"{{"signers":[{{"issuer":"{}","sanRegexp":"(alice|bob)@example\\.com"}}]}}"#,
            d.issuer()
        )
        .as_bytes(),
    );
    let out = inventory(&d, &["--expect", both.to_str().unwrap()]);
    ok(&out, "inventory with every signer expected");

    // A malformed expected-signer file cannot start the audit (exit 2).
    let typo = d.write(
        "typo.json",
        br#"{"signers":[{"issuer":"x","sanRegex":"y"}]}"#,
    );
    let out = inventory(&d, &["--expect", typo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sanRegex"),
        "{out:?}"
    );
}

#[test]
fn follow_reports_new_entries_as_they_arrive() {
    let d = Deployment::start();
    sign_as(&d, "alice", "first");
    let state = d.dir().join("audit.sqlite");
    let mut child = d
        .signet()
        .args(["audit", "inventory", "--log", &d.base])
        .args(["--ct-log", &format!("{}/ct", d.base), "--trust-config"])
        .arg(d.trust_config())
        .arg("--state")
        .arg(&state)
        .args(["--follow", "--interval-secs", "1", "--no-progress"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let wait_for = |needle: &str, seen: &mut Vec<String>| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                let hit = line.contains(needle);
                seen.push(line);
                if hit {
                    return;
                }
            }
        }
        panic!("no line containing {needle:?} within 60 s; got {seen:#?}");
    };
    // The first pass prints the inventory (alice), then the follower polls.
    wait_for("alice@example.com", &mut seen);
    sign_as(&d, "carol", "later");
    wait_for("issued   carol@example.com", &mut seen);
    wait_for("signed   by carol@example.com", &mut seen);
    child.kill().unwrap();
    child.wait().unwrap();
}
