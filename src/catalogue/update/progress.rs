//! Download progress: bars on a terminal (stderr), plain lines when stderr
//! is piped, nothing when quiet.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Clone)]
enum Mode {
    Bars(MultiProgress),
    Plain,
    Quiet,
}

/// Where progress goes.
#[derive(Clone)]
pub struct Progress {
    mode: Mode,
}

impl Progress {
    /// Bars when stderr is a terminal, else plain lines.
    pub fn auto() -> Progress {
        if std::io::stderr().is_terminal() {
            Progress {
                mode: Mode::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            }
        } else {
            Progress::plain()
        }
    }

    /// Plain lines on stderr.
    pub fn plain() -> Progress {
        Progress { mode: Mode::Plain }
    }

    /// No progress output.
    pub fn quiet() -> Progress {
        Progress { mode: Mode::Quiet }
    }

    /// Prints a line on stderr (above the bars), redacted like every other
    /// output (known secret values, URL credentials: [`crate::output`]).
    pub fn line(&self, msg: &str) {
        let msg = crate::output::redacted(msg);
        match &self.mode {
            Mode::Bars(m) => {
                let _ = m.println(msg);
            }
            Mode::Plain => crate::output::stderr(&format!("{msg}\n")),
            Mode::Quiet => {}
        }
    }

    /// A new task (one download, or the pages of one listing) labelled
    /// `label`, e.g. `aws us-east-1`.
    pub fn task(&self, label: &str) -> Task {
        let bar = match &self.mode {
            Mode::Bars(m) => {
                let bar = m.add(ProgressBar::new_spinner());
                bar.set_style(spinner_style());
                bar.set_prefix(label.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                Some(bar)
            }
            _ => None,
        };
        Task {
            label: label.to_string(),
            progress: self.clone(),
            bar,
            bytes: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>24} {spinner} {bytes} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix:>24} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

/// One download (or a series of pages) in progress.
pub struct Task {
    label: String,
    progress: Progress,
    bar: Option<ProgressBar>,
    bytes: AtomicU64,
    requests: AtomicU64,
}

impl Task {
    /// A response body starts (`total`: its length when known). A single
    /// body with a known length gets a bar; pages add up on a spinner.
    pub fn start(&self, total: Option<u64>) {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            match total {
                Some(t) if n == 0 => {
                    bar.set_style(bar_style());
                    bar.set_length(t);
                    bar.set_position(0);
                }
                _ if n > 0 => {
                    bar.set_style(spinner_style());
                    bar.set_message(format!("request {}", n + 1));
                }
                _ => {}
            }
        }
    }

    /// Bytes received.
    pub fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Bytes received so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// A remark (e.g. a retry), printed as its own line.
    pub fn note(&self, msg: &str) {
        self.progress.line(&format!("{}: {msg}", self.label));
    }

    /// The task is done: `msg` says what it produced.
    pub fn finish(&self, msg: &str) {
        let line = format!("{}: {msg} ({})", self.label, human_bytes(self.bytes()));
        match &self.bar {
            Some(bar) => {
                bar.finish_and_clear();
                self.progress.line(&line);
            }
            None => self.progress.line(&line),
        }
    }

    /// The task failed (the error is reported elsewhere).
    pub fn abandon(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar
            && !bar.is_finished()
        {
            bar.finish_and_clear();
        }
    }
}

/// `512 B`, `12.3 KiB`, `4.1 MiB`, `1.20 GiB` (binary units, like the bars).
pub fn human_bytes(n: u64) -> String {
    let f = n as f64;
    if n < 1024 {
        format!("{n} B")
    } else if f < 1024.0 * 1024.0 {
        format!("{:.1} KiB", f / 1024.0)
    } else if f < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MiB", f / (1024.0 * 1024.0))
    } else {
        format!("{:.2} GiB", f / (1024.0 * 1024.0 * 1024.0))
    }
}
