//! A fixed pool of logged-in PKCS#11 sessions.
//!
//! A PKCS#11 session runs one operation at a time (a `C_SignInit`/`C_Sign` pair must
//! not interleave with another thread's), so one session is a serialization point
//! (PERFORMANCE.md §3(b)). The pool hands each signer a session of its own and makes
//! further callers wait until one comes back. Sessions are opened once, after the
//! login, and stay open for the life of the pool: closing the last one would log the
//! process out of the token.

use std::ops::Deref;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use cryptoki::session::Session;

/// The sessions not in use, and a condition variable signalled when one is returned.
pub(crate) struct SessionPool {
    idle: Mutex<Vec<Session>>,
    returned: Condvar,
    size: usize,
}

impl SessionPool {
    /// A pool owning `sessions` (all logged in).
    pub(crate) fn new(sessions: Vec<Session>) -> Self {
        let size = sessions.len();
        Self {
            idle: Mutex::new(sessions),
            returned: Condvar::new(),
            size,
        }
    }

    /// How many sessions the pool owns.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Session>> {
        // Only push/pop run under the lock; a poisoned pool is still consistent.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a session, blocking until one is free. The session goes back to the pool
    /// when the guard is dropped.
    pub(crate) fn get(&self) -> PooledSession<'_> {
        let mut idle = self.lock();
        loop {
            if let Some(session) = idle.pop() {
                return PooledSession {
                    pool: self,
                    session: Some(session),
                };
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A session on loan from a [`SessionPool`].
pub(crate) struct PooledSession<'a> {
    pool: &'a SessionPool,
    /// Always `Some` until dropped.
    session: Option<Session>,
}

impl Deref for PooledSession<'_> {
    type Target = Session;

    fn deref(&self) -> &Session {
        match &self.session {
            Some(session) => session,
            // `session` is only taken in `drop`.
            None => unreachable!("pooled session used after return"),
        }
    }
}

impl Drop for PooledSession<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            self.pool.lock().push(session);
            self.pool.returned.notify_one();
        }
    }
}
