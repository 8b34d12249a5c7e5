//! Progress bars on standard error: only on a terminal, never with `--quiet`.

use std::fmt;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::cli::output::group;

/// Whether a bar may be drawn: standard error is a terminal and the user did not ask for quiet.
fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A bar counting bytes of an input of `len` bytes (a spinner when the length is unknown),
/// hidden when not [`wanted`].
pub fn bytes(len: Option<u64>, quiet: bool) -> ProgressBar {
    if !wanted(quiet) {
        return ProgressBar::hidden();
    }
    match len {
        Some(len) => ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    }
}

/// A bar counting `len` items (messages), hidden when not [`wanted`].
pub fn items(len: u64, quiet: bool) -> ProgressBar {
    if !wanted(quiet) {
        return ProgressBar::hidden();
    }
    items_on(len, ProgressDrawTarget::stderr())
}

/// [`items`] drawn on `target`. The rate is a whole number of messages per second, grouped
/// as every figure the commands print (`1,234,568 msg/s`), not indicatif's `{per_sec}`
/// (`1,234,567.8912/s`).
fn items_on(len: u64, target: ProgressDrawTarget) -> ProgressBar {
    let rate = |state: &ProgressState, w: &mut dyn fmt::Write| {
        let _ = w.write_str(&messages_per_second(state.per_sec()));
    };
    ProgressBar::with_draw_target(Some(len), target).with_style(
        ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} {rate} eta {eta}")
            .map(|style| style.with_key("rate", rate))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

/// `1234567.89` as `1,234,568 msg/s`.
fn messages_per_second(rate: f64) -> String {
    format!("{} msg/s", group(rate.round() as u64))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;

    use super::*;

    #[test]
    fn rates_are_grouped_whole_messages() {
        assert_eq!(messages_per_second(1_234_567.89), "1,234,568 msg/s");
        assert_eq!(messages_per_second(0.2), "0 msg/s");
        assert_eq!(messages_per_second(f64::NAN), "0 msg/s");
    }

    /// A terminal that keeps the lines drawn on it.
    #[derive(Debug, Default, Clone)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push(s.to_string());
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.write_line(s)
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_items_bar_shows_a_grouped_rate() {
        let screen = Screen::default();
        let bar = items_on(2_000_000, ProgressDrawTarget::term_like(Box::new(screen.clone())));
        bar.inc(1_500_000);
        bar.abandon();
        let lines = screen.0.lock().unwrap();
        let last = lines.iter().rev().find(|line| line.contains("msg/s")).unwrap_or_else(|| panic!("{lines:?}"));
        assert!(last.contains(" 1,500,000/2,000,000 "), "{last}");
        let rate = last.split(" 1,500,000/2,000,000 ").nth(1).and_then(|rest| rest.split(" msg/s").next());
        let rate = rate.unwrap_or_else(|| panic!("no rate in {last}"));
        assert!(!rate.is_empty() && rate.chars().all(|c| c.is_ascii_digit() || c == ','), "{last}");
    }
}
