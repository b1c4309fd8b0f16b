//! `urest-host`: serves the urest API on localhost with mock LEDs, logging
//! every request and every fade step. See `urest-host --help`.

use std::process::ExitCode;

use clap::Parser;
use urest_host::{Cli, Host, StdoutLog};

fn main() -> ExitCode {
    let config = Cli::parse().into_config();
    // Written off the runtime's thread: a stdout nobody reads costs log
    // lines, never service. Dropping it writes what it can and reports
    // the lines dropped.
    let log = match StdoutLog::install() {
        Ok(log) => log,
        Err(error) => {
            eprintln!("urest-host: {error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("urest-host: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        let nouns: Vec<String> = config.nouns.iter().map(ToString::to_string).collect();
        let host = match Host::bind(config).await {
            Ok(host) => host,
            Err(error) => {
                eprintln!("urest-host: {error}");
                return ExitCode::FAILURE;
            }
        };
        // Printed even when quiet: with --port 0 it is the only way to
        // learn the port. Queued like a log line, so it follows the lines
        // the nouns logged as they were set up.
        log.print(format_args!(
            "urest-host listening on http://{} serving {}",
            host.local_addr(),
            nouns.join(" ")
        ));
        // Printed once, here, and never logged: the only way to learn it.
        // Queued after the listening line, and the queue is all but empty
        // at start, so it is not dropped.
        if let Some(token) = host.generated_token() {
            log.print(format_args!(
                "urest-host is reachable from other machines and was given no --token; \
                 changes need this token, made up for this run: Authorization: Bearer {token}"
            ));
        }
        host.serve(stop_signal()).await;
        ExitCode::SUCCESS
    });
    drop(log);
    code
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn stop_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a handler Ctrl-C still kills the process, just less
            // politely; keep serving.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let terminate = async {
            match signal(SignalKind::terminate()) {
                Ok(mut terminate) => {
                    terminate.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}
