/// mimalloc instead of glibc's malloc: rendering on every core spends a fifth
/// of its time in glibc's per-thread arenas (growing them with `mprotect`,
/// consolidating on free); see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: Budgeted = Budgeted;

/// mimalloc, charging each allocation to the memory budget of the template
/// render running on the thread, if any (`devgen::render::budget`).
struct Budgeted;

// SAFETY: every call is forwarded unchanged to mimalloc; the budget only
// counts sizes (and may end the process, never unwind).
unsafe impl std::alloc::GlobalAlloc for Budgeted {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        devgen::render::budget::charge(layout.size());
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        devgen::render::budget::charge(layout.size());
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        devgen::render::budget::refund(layout.size());
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        if new > layout.size() {
            devgen::render::budget::charge(new - layout.size());
        } else {
            devgen::render::budget::refund(layout.size() - new);
        }
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new) }
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
