//! The kill schedule: what each round kills, after how much load, for how long the database
//! stays down. Everything random in a run comes from one seed, so a failing run can be
//! replayed with `--seed` (the timing of the server itself is not replayable, the schedule
//! is).

use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};
use serde::Serialize;

/// Where the logs keep their data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// SQLite files in the data directory (the default of `signet serve`).
    Sqlite,
    /// A throwaway PostgreSQL cluster owned by the harness (two databases: log and CT log).
    Postgres,
}

/// How the database server is killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DbKill {
    /// SIGKILL to the postmaster alone; its backends notice and exit by themselves.
    Postmaster,
    /// SIGKILL to the postmaster and every one of its processes at once (a machine-level
    /// crash of the database server).
    AllProcesses,
}

/// What a round kills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "db")]
pub enum Victim {
    /// SIGKILL to `signet serve`.
    Server,
    /// SIGKILL to the database server while `signet serve` keeps running.
    Database(DbKill),
    /// The database server, then `signet serve`.
    Both(DbKill),
}

impl Victim {
    /// Whether the database server is killed.
    pub fn kills_database(self) -> bool {
        matches!(self, Self::Database(_) | Self::Both(_))
    }

    /// Whether `signet serve` is killed.
    pub fn kills_server(self) -> bool {
        matches!(self, Self::Server | Self::Both(_))
    }
}

/// One round of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Round {
    /// What is killed.
    pub victim: Victim,
    /// Milliseconds of load before the kill.
    pub load_ms: u64,
    /// When set, the restarted server is killed again this many milliseconds after it was
    /// spawned (during start-up or right after), then started once more.
    pub restart_kill_ms: Option<u64>,
    /// Milliseconds the database stays down (rounds that kill it).
    pub outage_ms: u64,
    /// Seed of the sampling of older entries in this round's checks.
    pub check_seed: u64,
}

/// What the schedule is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Rounds, one kill each (plus the restart kills).
    pub kills: u32,
    /// The storage backend: only PostgreSQL rounds kill the database.
    pub backend: Backend,
    /// Load before a kill, milliseconds, inclusive range.
    pub load_ms: (u64, u64),
    /// Database outage, milliseconds, inclusive range.
    pub outage_ms: (u64, u64),
    /// Percentage of server kills followed by a second kill while restarting.
    pub restart_kill_percent: u32,
    /// Upper bound of the delay of a restart kill after the spawn, milliseconds.
    pub restart_kill_max_ms: u64,
}

/// PostgreSQL rounds are dealt from shuffled decks of this composition, so that every
/// 8 rounds hold each way of killing the database at least once, and half the rounds
/// kill the database.
const PG_DECK: [Victim; 8] = [
    Victim::Server,
    Victim::Server,
    Victim::Server,
    Victim::Server,
    Victim::Database(DbKill::Postmaster),
    Victim::Database(DbKill::AllProcesses),
    Victim::Both(DbKill::Postmaster),
    Victim::Both(DbKill::AllProcesses),
];

/// The schedule for `seed`: the same seed and options always give the same rounds.
pub fn plan(seed: u64, opts: &PlanOptions) -> Vec<Round> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut victims = Vec::with_capacity(opts.kills as usize);
    while victims.len() < opts.kills as usize {
        match opts.backend {
            Backend::Sqlite => victims.push(Victim::Server),
            Backend::Postgres => {
                let mut deck = PG_DECK;
                deck.shuffle(&mut rng);
                victims.extend(deck);
            }
        }
    }
    victims.truncate(opts.kills as usize);
    let range = |rng: &mut StdRng, (lo, hi): (u64, u64)| rng.gen_range(lo..=hi.max(lo));
    victims
        .into_iter()
        .map(|victim| {
            let load_ms = range(&mut rng, opts.load_ms);
            let restart_kill =
                victim.kills_server() && rng.gen_range(0..100) < opts.restart_kill_percent.min(100);
            let restart_kill_ms =
                restart_kill.then(|| range(&mut rng, (0, opts.restart_kill_max_ms)));
            let outage_ms = if victim.kills_database() {
                range(&mut rng, opts.outage_ms)
            } else {
                0
            };
            Round {
                victim,
                load_ms,
                restart_kill_ms,
                outage_ms,
                check_seed: rng.gen(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(backend: Backend, kills: u32) -> PlanOptions {
        PlanOptions {
            kills,
            backend,
            load_ms: (100, 900),
            outage_ms: (500, 2000),
            restart_kill_percent: 20,
            restart_kill_max_ms: 300,
        }
    }

    #[test]
    fn same_seed_same_plan_other_seed_other_plan() {
        let o = opts(Backend::Postgres, 50);
        assert_eq!(plan(7, &o), plan(7, &o));
        assert_ne!(plan(7, &o), plan(8, &o));
    }

    #[test]
    fn sqlite_rounds_only_kill_the_server() {
        let rounds = plan(1, &opts(Backend::Sqlite, 30));
        assert_eq!(rounds.len(), 30);
        assert!(rounds.iter().all(|r| r.victim == Victim::Server));
        assert!(rounds.iter().all(|r| r.outage_ms == 0));
        assert!(rounds.iter().all(|r| (100..=900).contains(&r.load_ms)));
        assert!(rounds
            .iter()
            .filter_map(|r| r.restart_kill_ms)
            .all(|ms| ms <= 300));
    }

    #[test]
    fn postgres_rounds_cover_every_database_kill() {
        for seed in 0..50 {
            let rounds = plan(seed, &opts(Backend::Postgres, 10));
            assert_eq!(rounds.len(), 10);
            let first8: Vec<Victim> = rounds[..8].iter().map(|r| r.victim).collect();
            for v in PG_DECK {
                assert!(first8.contains(&v), "seed {seed}: {v:?} missing");
            }
            let db = rounds.iter().filter(|r| r.victim.kills_database()).count();
            assert!(db >= 4, "seed {seed}: {db} database kills");
            for r in &rounds {
                if r.victim.kills_database() {
                    assert!((500..=2000).contains(&r.outage_ms));
                } else {
                    assert_eq!(r.outage_ms, 0);
                }
                if !r.victim.kills_server() {
                    assert_eq!(r.restart_kill_ms, None);
                }
            }
        }
    }

    #[test]
    fn restart_kills_happen_at_the_asked_rate() {
        let rounds = plan(3, &opts(Backend::Sqlite, 1000));
        let n = rounds
            .iter()
            .filter(|r| r.restart_kill_ms.is_some())
            .count();
        assert!(
            (120..=280).contains(&n),
            "{n} restart kills of 1000 at 20 %"
        );
        let mut o = opts(Backend::Sqlite, 100);
        o.restart_kill_percent = 0;
        assert!(plan(3, &o).iter().all(|r| r.restart_kill_ms.is_none()));
    }
}
