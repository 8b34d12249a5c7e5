//! The `streamline` command: parse arguments, dispatch, map outcomes to exit codes.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
