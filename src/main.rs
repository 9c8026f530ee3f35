/// mimalloc instead of glibc's malloc: rendering on every core spends a fifth
/// of its time in glibc's per-thread arenas (growing them with `mprotect`,
/// consolidating on free); see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: Budgeted = Budgeted;

/// mimalloc, charging each allocation to the memory budget of the template
/// render running on the thread, if any (`devgen::render::budget`).
///
/// Alignments mimalloc gives anyway go through its plain entry points: the
/// `mimalloc` crate's allocator calls the aligned ones for every allocation,
/// whose extra checks cost ~60 M of ~1,970 M instructions in a 200 × 12
/// render (2.4 M allocations).
struct Budgeted;

/// The alignment `mi_malloc` guarantees for blocks of at least this size
/// (`MI_MAX_ALIGN_SIZE` in mimalloc's headers).
const MI_MAX_ALIGN_SIZE: usize = 16;

/// Whether mimalloc's plain entry points return memory aligned for `layout`
/// (the rule Rust's own `System` allocator applies to `malloc`).
fn plain(layout: std::alloc::Layout) -> bool {
    layout.align() <= MI_MAX_ALIGN_SIZE && layout.align() <= layout.size()
}

// SAFETY: every call is forwarded to mimalloc: to its plain entry points
// only where they give the alignment asked for ([`plain`]; a block is freed
// by `mi_free` however it was allocated); the budget only counts sizes (and
// may end the process, never unwind).
unsafe impl std::alloc::GlobalAlloc for Budgeted {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        devgen::render::budget::charge(layout.size());
        if plain(layout) {
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast() }
        } else {
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        devgen::render::budget::charge(layout.size());
        if plain(layout) {
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast() }
        } else {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        devgen::render::budget::refund(layout.size());
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        if new > layout.size() {
            devgen::render::budget::charge(new - layout.size());
        } else {
            devgen::render::budget::refund(layout.size() - new);
        }
        // The new block must be aligned for the old alignment at the new size.
        match std::alloc::Layout::from_size_align(new, layout.align()) {
            Ok(l) if plain(l) => unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new).cast() },
            _ => unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new) },
        }
    }
}

/// `mi_option_purge_delay` in mimalloc v2's `mi_option_e` (mimalloc.h); the
/// sys crate names no constant for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // devgen is a short-lived process: handing freed pages back to the OS
    // (an madvise per purge, ~70 in a `check`) only costs time; the process
    // exit returns them all. `check` on the example: 15.94 → 15.58 ms median,
    // 200 interleaved runs (BENCHMARKS.md, session 6).
    // SAFETY: called before any other thread exists; the option is plain data.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    std::process::exit(devgen::commands::main());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::{GlobalAlloc, Layout};

    /// Every block, plain or aligned, allocated, grown, shrunk and freed,
    /// is aligned as its layout asks at each step.
    #[test]
    fn blocks_are_aligned_as_asked() {
        let a = Budgeted;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..200).chain([255, 256, 1000, 4096, 70_000]) {
                let layout = Layout::from_size_align(size, align).unwrap();
                let aligned = |p: *mut u8| !p.is_null() && (p as usize).is_multiple_of(align);
                unsafe {
                    let p = a.alloc(layout);
                    assert!(aligned(p), "alloc {size} aligned {align}");
                    p.write_bytes(0xa5, size);
                    let grown = a.realloc(p, layout, size * 3);
                    assert!(aligned(grown), "grow {size} aligned {align}");
                    assert_eq!(*grown.add(size - 1), 0xa5);
                    let big = Layout::from_size_align(size * 3, align).unwrap();
                    let shrunk = a.realloc(grown, big, size.div_ceil(2));
                    assert!(aligned(shrunk), "shrink {size} aligned {align}");
                    a.dealloc(
                        shrunk,
                        Layout::from_size_align(size.div_ceil(2), align).unwrap(),
                    );
                    let z = a.alloc_zeroed(layout);
                    assert!(aligned(z), "zeroed {size} aligned {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }

    #[test]
    fn plain_only_where_mimalloc_aligns_anyway() {
        let l = |size, align| Layout::from_size_align(size, align).unwrap();
        assert!(plain(l(8, 8)) && plain(l(24, 8)) && plain(l(32, 16)));
        assert!(!plain(l(4, 8)) && !plain(l(8, 16)) && !plain(l(64, 32)));
    }
}
