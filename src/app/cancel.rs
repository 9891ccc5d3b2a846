//! A two-level cancellation signal: the first request (Ctrl-C) asks for a graceful stop (no new
//! steps; running ones finish), the second forces it (in-flight steps are dropped, stops become
//! kills).

use std::sync::Arc;

use tokio::sync::watch;

/// How far cancellation has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CancelLevel {
    None = 0,
    Graceful = 1,
    Forced = 2,
}

/// Cloneable handle; every clone sees the same level.
#[derive(Clone, Debug)]
pub struct Cancel {
    tx: Arc<watch::Sender<CancelLevel>>,
}

impl Default for Cancel {
    fn default() -> Self {
        Cancel::new()
    }
}

impl Cancel {
    pub fn new() -> Cancel {
        let (tx, _rx) = watch::channel(CancelLevel::None);
        Cancel { tx: Arc::new(tx) }
    }

    /// One more Ctrl-C: None -> Graceful -> Forced.
    pub fn request(&self) -> CancelLevel {
        let mut now = CancelLevel::None;
        self.tx.send_modify(|l| {
            *l = match *l {
                CancelLevel::None => CancelLevel::Graceful,
                _ => CancelLevel::Forced,
            };
            now = *l;
        });
        now
    }

    pub fn force(&self) {
        self.tx.send_modify(|l| *l = CancelLevel::Forced);
    }

    pub fn level(&self) -> CancelLevel {
        *self.tx.borrow()
    }

    pub fn is_cancelled(&self) -> bool {
        self.level() >= CancelLevel::Graceful
    }

    /// Resolves once the level reaches `at_least` (at once if it already has).
    pub async fn reached(&self, at_least: CancelLevel) {
        let mut rx = self.tx.subscribe();
        // The sender lives as long as `self`, so this only returns when the level is reached.
        let _ = rx.wait_for(|l| *l >= at_least).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn two_requests_escalate_to_forced() {
        let c = Cancel::new();
        assert_eq!(c.level(), CancelLevel::None);
        assert_eq!(c.clone().request(), CancelLevel::Graceful);
        c.reached(CancelLevel::Graceful).await;
        assert_eq!(c.request(), CancelLevel::Forced);
        c.reached(CancelLevel::Forced).await;
    }
}
