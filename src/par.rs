//! Data parallelism for the loader's per-service steps, on scoped threads of the standard library.
//!
//! Large projects (hundreds of services) spend most of their load time in work that is independent
//! per service (environment resolution, normalisation, typed deserialisation); these helpers split
//! such a slice into one contiguous chunk per core and keep results, and the first error, in the
//! slice's order, so the outcome is the same as a sequential loop. Small slices run inline: a
//! thread costs more than a handful of services.
//!
//! No I/O; imports nothing from the crate.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// Below this many items the work runs on the calling thread.
pub const MIN_PARALLEL_ITEMS: usize = 64;

/// How many threads to use at most: the cores available, capped at 8
/// (`RCOMPOSE_LOADER_THREADS` overrides; `1` makes everything sequential).
pub fn threads() -> usize {
    static N: OnceLock<usize> = OnceLock::new();
    *N.get_or_init(|| {
        if let Some(n) = std::env::var("RCOMPOSE_LOADER_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
        {
            return n;
        }
        std::thread::available_parallelism()
            .map(NonZeroUsize::get)
            .unwrap_or(1)
            .min(8)
    })
}

fn chunk_len(items: usize) -> Option<usize> {
    let n = threads();
    if n <= 1 || items < MIN_PARALLEL_ITEMS {
        return None;
    }
    Some(items.div_ceil(n))
}

/// `f` on every item (mutably), results in order; on errors, the first one in slice order.
pub fn try_map_mut<T, R, E, F>(items: &mut [T], f: F) -> Result<Vec<R>, E>
where
    T: Send,
    R: Send,
    E: Send,
    F: Fn(&mut T) -> Result<R, E> + Sync,
{
    let Some(len) = chunk_len(items.len()) else {
        return items.iter_mut().map(&f).collect();
    };
    let f = &f;
    let parts: Vec<Result<Vec<R>, E>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks_mut(len)
            .map(|chunk| s.spawn(move || chunk.iter_mut().map(f).collect::<Result<Vec<R>, E>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// `f` on every item, results in order; on errors, the first one in slice order.
pub fn try_map<T, R, E, F>(items: &[T], f: F) -> Result<Vec<R>, E>
where
    T: Sync,
    R: Send,
    E: Send,
    F: Fn(&T) -> Result<R, E> + Sync,
{
    let mut refs: Vec<&T> = items.iter().collect();
    try_map_mut(&mut refs, |item| f(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_slice_order_and_the_first_error_wins() {
        let mut items: Vec<usize> = (0..1000).collect();
        let doubled = try_map_mut(&mut items, |x| {
            *x *= 2;
            Ok::<usize, String>(*x)
        });
        assert_eq!(doubled, Ok((0..1000).map(|x| x * 2).collect::<Vec<_>>()));
        let r = try_map(&items, |x| {
            if *x >= 1200 {
                Err(format!("too big: {x}"))
            } else {
                Ok(*x)
            }
        });
        assert_eq!(r, Err("too big: 1200".to_string()));
    }

    #[test]
    fn small_slices_run_inline() {
        let here = std::thread::current().id();
        let ids = try_map(&[1, 2, 3], |_| Ok::<_, ()>(std::thread::current().id()));
        assert_eq!(ids, Ok(vec![here; 3]));
    }
}
