//! A sliding window over bundle indexes: a producer may start bundle `b` only once
//! fewer than `size` bundles before it are still unfolded, which bounds what is in
//! flight (read, being processed, or waiting to be folded in order) whatever the log's
//! size.

use std::sync::{Condvar, Mutex, PoisonError};

/// The window (module documentation).
#[derive(Debug)]
pub(crate) struct Window {
    size: u64,
    /// Bundles folded so far, and whether the run was abandoned.
    state: Mutex<(u64, bool)>,
    changed: Condvar,
}

impl Window {
    pub(crate) fn new(size: u64) -> Self {
        Self {
            size: size.max(1),
            state: Mutex::new((0, false)),
            changed: Condvar::new(),
        }
    }

    /// Blocks until bundle `b` is inside the window; false if the run was abandoned.
    pub(crate) fn wait_for(&self, b: u64) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let (folded, aborted) = *state;
            if aborted {
                return false;
            }
            if b < folded + self.size {
                return true;
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// One more bundle folded.
    pub(crate) fn advance(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 += 1;
        self.changed.notify_all();
    }

    /// Releases every waiter: the run is over (finished or failed).
    pub(crate) fn abort(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = true;
        self.changed.notify_all();
    }
}

/// Abandons the window if the thread holding it unwinds, so that no other thread waits
/// for a bundle that will never come.
pub(crate) struct AbortOnPanic<'a>(pub(crate) &'a Window);

impl Drop for AbortOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn producers_never_run_more_than_the_window_ahead() {
        let window = Window::new(3);
        let started = AtomicU64::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                for b in 0..10 {
                    assert!(window.wait_for(b));
                    started.store(b + 1, Ordering::SeqCst);
                }
            });
            for folded in 0..10u64 {
                // Wait until the producer is as far as the window lets it go.
                let limit = (folded + 3).min(10);
                while started.load(Ordering::SeqCst) < limit {
                    std::thread::yield_now();
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
                assert_eq!(started.load(Ordering::SeqCst), limit);
                window.advance();
            }
        });
    }

    #[test]
    fn abort_releases_waiters() {
        let window = Window::new(1);
        std::thread::scope(|s| {
            let h = s.spawn(|| window.wait_for(5));
            std::thread::sleep(std::time::Duration::from_millis(5));
            window.abort();
            assert!(!h.join().unwrap());
        });
    }
}
