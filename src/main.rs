/// mimalloc instead of glibc's malloc: rendering on every core spends a fifth
/// of its time in glibc's per-thread arenas (growing them with `mprotect`,
/// consolidating on free); see BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(devgen::cli::main());
}
