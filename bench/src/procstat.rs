//! CPU time of a process from `/proc/<pid>/stat` (Linux `proc(5)`): fields 14 and 15,
//! `utime` and `stime`, in clock ticks, summed over all threads of the process.

/// Parses `utime + stime` (clock ticks) out of one `/proc/<pid>/stat` line.
///
/// The second field, `comm`, is parenthesised and may hold spaces or parentheses, so
/// the fields are counted from the *last* `)`: after it come field 3 (`state`) onwards,
/// which puts `utime` (field 14) at offset 11 and `stime` (field 15) at offset 12.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// CPU seconds used so far by `pid` (or by this process for `None`); `None` if
/// `/proc` cannot be read (not Linux, or the process is gone).
pub fn cpu_seconds(pid: Option<u32>, clk_tck: u64) -> Option<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    Some(parse_cpu_ticks(&text)? as f64 / clk_tck.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_plus_stime() {
        // Fields 1..=17 of a real stat line; utime = 1234, stime = 56.
        let line = "4242 (signet) S 1 4242 4242 0 -1 4194560 2345 0 0 0 1234 56 0 0 20";
        assert_eq!(parse_cpu_ticks(line), Some(1290));
    }

    #[test]
    fn comm_with_spaces_and_parens() {
        let line = "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 10 5 0 0";
        assert_eq!(parse_cpu_ticks(line), Some(15));
    }

    #[test]
    fn truncated_or_garbage() {
        assert_eq!(parse_cpu_ticks("7 (x) R 1 2 3"), None);
        assert_eq!(parse_cpu_ticks("no parens here"), None);
        assert_eq!(parse_cpu_ticks("7 (x) R 1 7 7 0 -1 0 0 0 0 0 ten 5"), None);
    }

    #[test]
    fn reads_own_process() {
        // Burn a little CPU so the counter is non-zero, then read it back.
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert_ne!(x, 1);
        let s = cpu_seconds(None, 100).unwrap();
        assert!(s > 0.0, "{s}");
        assert_eq!(cpu_seconds(Some(u32::MAX), 100), None);
    }
}
