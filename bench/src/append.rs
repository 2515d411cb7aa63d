//! The append workload: `POST /api/v1/log/entries` (PROTOCOL.md §4.1) with entries
//! pre-signed by an [`EntryFeed`].

use std::sync::Arc;

use crate::drive::Workload;
use crate::feed::EntryFeed;
use crate::http::LogClient;
use crate::stats::Outcome;

/// Appends the feed's entries one by one; 201 is success.
#[derive(Debug)]
pub struct Append {
    /// The log.
    pub client: Arc<LogClient>,
    /// Pre-signed entries.
    pub feed: Arc<EntryFeed>,
}

impl Workload for Append {
    async fn send(&self) -> Option<Outcome> {
        let body = self.feed.next().await?;
        Some(self.client.append(body).await)
    }
}
