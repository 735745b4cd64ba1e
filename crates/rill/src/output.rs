//! The one place the CLI prints to the terminal.
#![allow(clippy::print_stdout)]

/// A line of normal output (stdout).
pub(crate) fn line(text: &str) {
    println!("{text}");
}

/// An error line (stderr).
pub(crate) fn error(text: &str) {
    eprintln!("error: {text}");
}

/// A progress line (stderr, so it never mixes into machine-readable stdout).
pub(crate) fn progress(text: &str) {
    eprintln!("{text}");
}
