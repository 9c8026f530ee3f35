//! When work is shared by every core, and how: one threshold for every stage
//! (enrich, render, write) so they agree on what a large project is.
use crate::model::Model;

/// Services (over all profiles) from which work is shared by every core.
pub const LARGE_SERVICES: usize = 64;

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
