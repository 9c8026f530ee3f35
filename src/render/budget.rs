//! The limits of one template render (a project's templates are untrusted
//! code): minijinja's fuel bounds the work ([`FUEL`] instructions), its
//! recursion limit the depth ([`RECURSION`]), [`MAX_OUTPUT`] the size of
//! what one render writes, and this module the memory a render may hold
//! ([`MAX_MEMORY`]), since a template can double a string in a loop without
//! spending fuel or writing output.
//!
//! The memory budget is kept per thread: [`Guard::arm`] starts it for the
//! render about to run on this thread; the binary's global allocator calls
//! [`charge`] and [`refund`] on every allocation and free. A render that goes
//! past the budget cannot be unwound from inside the allocator, so devgen
//! reports the template and exits with code 1 there and then; rendering does
//! no I/O, so nothing has been written.

use std::cell::{Cell, RefCell};

/// Instructions one render may execute.
pub const FUEL: u64 = 20_000_000;

/// Deepest nesting of includes, macro calls and recursive loops.
pub const RECURSION: usize = 64;

/// Largest output of one render, in bytes.
pub const MAX_OUTPUT: usize = 64 * 1024 * 1024;

/// Most memory one render may hold at once, in bytes.
pub const MAX_MEMORY: isize = 512 * 1024 * 1024;

thread_local! {
    /// Whether a render on this thread is being charged.
    static ARMED: Cell<bool> = const { Cell::new(false) };
    /// Bytes the render may still allocate.
    static LEFT: Cell<isize> = const { Cell::new(0) };
    /// The template being rendered (set before arming).
    static TEMPLATE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Charges the render running on this thread (if any) for `bytes` more.
#[inline]
pub fn charge(bytes: usize) {
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            let left = LEFT.with(|l| {
                let v = l.get().saturating_sub(bytes as isize);
                l.set(v);
                v
            });
            if left < 0 {
                armed.set(false);
                over_budget();
            }
        }
    });
}

/// Gives `bytes` back to the render running on this thread (if any).
#[inline]
pub fn refund(bytes: usize) {
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            LEFT.with(|l| l.set(l.get().saturating_add(bytes as isize)));
        }
    });
}

#[cold]
fn over_budget() -> ! {
    let name = TEMPLATE
        .try_with(|t| t.borrow().clone())
        .unwrap_or_default();
    let d = crate::diag::Diagnostic::error(format!(
        "template templates/{name} failed: it used more than {} MiB of memory",
        MAX_MEMORY / (1024 * 1024)
    ))
    .with_note(format!("in templates/{name} (nothing was written)"))
    .with_hint("a template may hold at most this much while it renders: look for strings or lists that grow in a loop");
    let text = crate::diag::render_all(&[d], &crate::diag::Sources::default());
    crate::output::stderr(&text);
    std::process::exit(crate::diag::EXIT_PROBLEMS)
}

/// The memory budget of one render on this thread, while it lives.
pub struct Guard {
    was_armed: bool,
    left: isize,
}

impl Guard {
    /// Starts charging the render of template `name` on this thread.
    pub fn arm(name: &str) -> Guard {
        let was_armed = ARMED.with(|a| a.replace(false));
        let left = LEFT.with(|l| l.get());
        TEMPLATE.with(|t| {
            let mut t = t.borrow_mut();
            t.clear();
            t.push_str(name);
        });
        if !was_armed {
            LEFT.with(|l| l.set(MAX_MEMORY));
        }
        ARMED.with(|a| a.set(true));
        Guard { was_armed, left }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        ARMED.with(|a| a.set(self.was_armed));
        if !self.was_armed {
            LEFT.with(|l| l.set(self.left));
        }
    }
}
