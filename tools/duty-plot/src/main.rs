//! `duty-plot [DIR]`: write the figures of `docs/concurrency.md` into `DIR`
//! (default `docs/figures`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("docs/figures"), PathBuf::from);
    match duty_plot::figures::write_all(&dir) {
        Ok(paths) => {
            for path in paths {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("duty-plot: {error}");
            ExitCode::FAILURE
        }
    }
}
