//! When work is shared by every core, and how: one threshold for every stage
//! (enrich, render, write) so they agree on what a large project is.
use crate::model::Model;

/// Services (over all profiles) from which work is shared by every core.
pub const LARGE_SERVICES: usize = 64;

/// Files of a plan from which writing it (and freeing it) is shared by
/// every core.
pub const LARGE_PLAN: usize = 256;

/// Whether `models` are enough work to render on every core.
pub fn large(models: &[Model]) -> bool {
    models
        .iter()
        .map(|m| m.services.len().max(1))
        .sum::<usize>()
        >= LARGE_SERVICES
}

/// `items.iter().map(f).collect()`, on every core when `parallel` (order kept).
/// Rayon's threads start on first use: small inputs stay on this thread.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    parallel: bool,
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    if parallel {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// Free `value` on a pool thread when `parallel`, here otherwise. A large
/// structure is thousands of small frees; the thread that owns it at the end
/// of a stage is often the one the next stage waits for, while a pool thread
/// is idle. (At exit, a free still queued is left to the operating system.)
pub fn drop_aside<T: Send + 'static>(value: T, parallel: bool) {
    if parallel {
        rayon::spawn(move || drop(value));
    }
}

/// [`par_map`] over mutable items.
pub fn par_map_mut<T: Send, R: Send>(
    items: &mut [T],
    parallel: bool,
    f: impl Fn(&mut T) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    if parallel {
        items.par_iter_mut().map(f).collect()
    } else {
        items.iter_mut().map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Sends the id of the thread that drops it.
    struct Signals(mpsc::Sender<std::thread::ThreadId>);

    impl Drop for Signals {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[test]
    fn drop_aside_frees_here_or_on_a_pool_thread() {
        let here = std::thread::current().id();
        let (tx, rx) = mpsc::channel();
        drop_aside(Signals(tx.clone()), false);
        assert_eq!(rx.try_recv(), Ok(here), "dropped before returning");
        drop_aside(Signals(tx), true);
        let on = rx.recv_timeout(std::time::Duration::from_secs(30));
        assert!(matches!(on, Ok(id) if id != here), "{on:?}");
    }
}
