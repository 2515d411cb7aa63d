//! Process plumbing from `/proc` and `kill(1)`, without `unsafe` or a libc binding: the
//! harness only ever signals processes it started (or their children), by process id.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context as _;

/// The harness's effective user id (`/proc/self/status`, `Uid:` line, second field).
///
/// # Errors
/// `/proc/self/status` unreadable or without a `Uid:` line.
pub fn effective_uid() -> anyhow::Result<u32> {
    let status = fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|uid| uid.parse().ok())
        .context("no Uid: line in /proc/self/status")
}

/// `(uid, gid)` of `user` from `/etc/passwd`.
///
/// # Errors
/// `/etc/passwd` unreadable.
pub fn user_ids(user: &str) -> anyhow::Result<Option<(u32, u32)>> {
    let passwd = fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    Ok(passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        if f.next()? != user {
            return None;
        }
        let _password = f.next()?;
        Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    }))
}

/// `(state, ppid)` of `pid` from `/proc/<pid>/stat`.
fn stat(pid: u32) -> Option<(char, u32)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may contain spaces and parentheses.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// The process ids whose parent is `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| stat(p).is_some_and(|(_, ppid)| ppid == pid))
        .collect()
}

/// Whether `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z')
}

fn signal(pid: u32, sig: &str) -> bool {
    Command::new("kill")
        .args([sig, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `kill -KILL <pid>`.
pub fn sigkill(pid: u32) -> bool {
    signal(pid, "-KILL")
}

/// `kill -TERM <pid>`.
pub fn sigterm(pid: u32) -> bool {
    signal(pid, "-TERM")
}

/// The last `lines` lines of a text file (for failure messages).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        assert!(effective_uid().is_ok());
        assert!(alive(std::process::id()));
        let child = Command::new("sleep").arg("5").spawn().unwrap();
        let pid = child.id();
        assert!(children_of(std::process::id()).contains(&pid));
        assert!(sigkill(pid));
        let mut child = child;
        let _ = child.wait();
        assert!(!alive(pid));
        assert_eq!(user_ids("root").unwrap(), Some((0, 0)));
        assert_eq!(user_ids("no-such-user-here").unwrap(), None);
    }
}
