//! Sampling a process through Linux `/proc` (`proc(5)`): resident memory and threads from
//! `/proc/<pid>/status`, open file descriptors from `/proc/<pid>/fd`.

use std::path::Path;

/// Fields of `/proc/<pid>/status` the soak follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// `VmRSS`: resident set now, KiB.
    pub rss_kib: u64,
    /// `VmHWM`: peak resident set since the process started, KiB.
    pub hwm_kib: u64,
    /// `Threads`.
    pub threads: u64,
    /// `RssAnon`: the anonymous part of the resident set (heap, stacks), KiB.
    pub rss_anon_kib: Option<u64>,
    /// `RssFile`: file mappings (the binary, shared libraries), KiB.
    pub rss_file_kib: Option<u64>,
    /// `RssShmem`: shared memory (e.g. SQLite's `-shm` WAL index), KiB.
    pub rss_shmem_kib: Option<u64>,
}

/// Parses the `VmRSS`, `VmHWM` and `Threads` lines of a `/proc/<pid>/status` text (and
/// the `RssAnon`, `RssFile`, `RssShmem` split, Linux 4.5+); `None` if one of the first
/// three is missing (e.g. a zombie has no `Vm*` lines).
pub fn parse_status(text: &str) -> Option<Status> {
    let field = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some(Status {
        rss_kib: field("VmRSS")?,
        hwm_kib: field("VmHWM")?,
        threads: field("Threads")?,
        rss_anon_kib: field("RssAnon"),
        rss_file_kib: field("RssFile"),
        rss_shmem_kib: field("RssShmem"),
    })
}

fn proc_dir(pid: Option<u32>) -> String {
    match pid {
        Some(p) => format!("/proc/{p}"),
        None => "/proc/self".to_owned(),
    }
}

/// `/proc/<pid>/status` of `pid` (this process for `None`); `None` if the process is gone
/// or not readable.
pub fn status(pid: Option<u32>) -> Option<Status> {
    let text = std::fs::read_to_string(format!("{}/status", proc_dir(pid))).ok()?;
    parse_status(&text)
}

/// Open file descriptors of a process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fds {
    /// All of them.
    pub total: u64,
    /// Those whose link reads `socket:[inode]`.
    pub sockets: u64,
}

/// Counts the entries of `/proc/<pid>/fd` (this process for `None`); descriptors closed
/// while the directory is read are skipped. `None` if the directory cannot be read.
pub fn fds(pid: Option<u32>) -> Option<Fds> {
    let dir = std::fs::read_dir(format!("{}/fd", proc_dir(pid))).ok()?;
    let mut out = Fds::default();
    for entry in dir.flatten() {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        out.total += 1;
        if target.to_string_lossy().starts_with("socket:") {
            out.sockets += 1;
        }
    }
    Some(out)
}

/// Bytes in the regular files under `dir` (recursively); files that vanish while walking
/// are skipped.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status() {
        let text = "Name:\tsignet\nState:\tS (sleeping)\nVmPeak:\t  900 kB\nVmHWM:\t   81234 kB\n\
                    VmRSS:\t   80000 kB\nRssAnon:\t 70000 kB\nRssFile:\t9000 kB\nRssShmem:\t1000 kB\n\
                    Threads:\t7\n";
        assert_eq!(
            parse_status(text),
            Some(Status {
                rss_kib: 80000,
                hwm_kib: 81234,
                threads: 7,
                rss_anon_kib: Some(70000),
                rss_file_kib: Some(9000),
                rss_shmem_kib: Some(1000),
            })
        );
        // Older kernels: no split.
        let old = parse_status("VmHWM:\t2 kB\nVmRSS:\t1 kB\nThreads:\t1\n").unwrap();
        assert_eq!((old.rss_kib, old.rss_anon_kib), (1, None));
        // A zombie: no memory lines.
        assert_eq!(
            parse_status("Name:\tx\nState:\tZ (zombie)\nThreads:\t1\n"),
            None
        );
    }

    #[test]
    fn samples_this_process() {
        let s = status(None).unwrap();
        assert!(
            s.rss_kib > 0 && s.hwm_kib >= s.rss_kib && s.threads >= 1,
            "{s:?}"
        );
        let parts = [s.rss_anon_kib, s.rss_file_kib, s.rss_shmem_kib];
        let sum: u64 = parts.iter().map(|p| p.unwrap()).sum();
        // The kernel sums per-CPU counters lazily: close, not always exact.
        assert!(sum.abs_diff(s.rss_kib) <= s.rss_kib / 10 + 1024, "{s:?}");
        // Many of each, so that other tests opening or closing a few descriptors at the
        // same time cannot hide them.
        let before = fds(None).unwrap();
        let listeners: Vec<_> = (0..40)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let files: Vec<_> = (0..40).map(|_| tempfile::tempfile().unwrap()).collect();
        let after = fds(None).unwrap();
        assert!(after.sockets >= before.sockets + 30, "{before:?} {after:?}");
        let other = |f: Fds| f.total - f.sockets;
        assert!(other(after) >= other(before) + 30, "{before:?} {after:?}");
        drop((listeners, files));
        assert!(status(Some(u32::MAX)).is_none());
        assert!(fds(Some(u32::MAX)).is_none());
    }

    #[test]
    fn sums_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), [0u8; 100]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b"), [0u8; 23]).unwrap();
        assert_eq!(dir_bytes(dir.path()), 123);
        assert_eq!(dir_bytes(&dir.path().join("missing")), 0);
    }
}
