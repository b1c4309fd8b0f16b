//! The host itself: a listening socket, the nouns, their ramp runners, and
//! the loop that hands connections to free slots.

use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::pin::pin;
use std::time::Duration;

use embassy_futures::select::select;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use urest_http::{Access, Config, Noun, Server, Token};

use crate::clock::{HostClock, TokioDelay};
use crate::config::HostConfig;
use crate::connection;
use crate::error::Error;
use crate::log::{Logger, RequestLog};
use crate::nouns::{HostController, Nouns, Probe};

/// Most turned-away connections kept at once to deliver their `503`; past
/// that a flood is dropped unanswered rather than held.
const MAX_TURNING_AWAY: usize = 64;

/// Pause after the listener fails (out of file descriptors, say) so the
/// accept loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// A bound, not yet serving, urest host.
///
/// Everything it serves lives on the thread that runs [`serve`](Self::serve):
/// the nouns are not `Sync`, so that future is not `Send`. Drive it with a
/// runtime's `block_on` or inside a `LocalSet`, not `tokio::spawn`;
/// [`start`](crate::start) does it on a thread of its own.
///
/// ```no_run
/// use urest_host::{Host, HostConfig};
///
/// # async fn example() -> Result<(), urest_host::Error> {
/// let host = Host::bind(HostConfig { port: 0, ..HostConfig::default() }).await?;
/// println!("listening on http://{}", host.local_addr());
/// host.serve(async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await;
/// # Ok(())
/// # }
/// ```
pub struct Host {
    listener: TcpListener,
    local_addr: SocketAddr,
    nouns: Nouns,
    config: HostConfig,
    clock: HostClock,
    logger: Logger,
    generated_token: Option<String>,
}

/// Bytes of randomness in a made-up token (128 bits, 32 hex digits).
const GENERATED_TOKEN_BYTES: usize = 16;

/// A read-and-change token from the operating system's random number
/// generator, as hex digits.
fn generate_token() -> Result<String, Error> {
    let mut bytes = [0u8; GENERATED_TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|error| Error::Random(error.to_string()))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

impl Host {
    /// Build the nouns of `config` and open its listening socket. Must be
    /// called within a tokio runtime.
    ///
    /// A host bound to an address other than loopback with no token makes
    /// one up here (see [`generated_token`](Self::generated_token)).
    pub async fn bind(config: HostConfig) -> Result<Host, Error> {
        config.validate()?;
        let generated_token = match config.needs_generated_token() {
            true => Some(generate_token()?),
            false => None,
        };
        let clock = HostClock::new();
        let logger = Logger::new(clock, config.quiet);
        let nouns = Nouns::build(&config, logger, clock)?;
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { addr, source })?;
        Ok(Host {
            listener,
            local_addr,
            nouns,
            config,
            clock,
            logger,
            generated_token,
        })
    }

    /// The read-and-change token made up at start, if the host is bound to
    /// an address other than loopback and was given no token: tell it to
    /// the owner once; it is not logged.
    ///
    /// ```no_run
    /// use urest_host::{Host, HostConfig};
    ///
    /// # async fn example() -> Result<(), urest_host::Error> {
    /// let config = HostConfig { bind: "0.0.0.0".parse().unwrap(), port: 0, ..HostConfig::default() };
    /// let host = Host::bind(config).await?;
    /// if let Some(token) = host.generated_token() {
    ///     println!("changes need Authorization: Bearer {token}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn generated_token(&self) -> Option<&str> {
        self.generated_token.as_deref()
    }

    /// The address actually bound (with the port picked, if 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle on the mock hardware, usable from any thread.
    pub fn probe(&self) -> Probe {
        self.nouns.probe.clone()
    }

    /// Serve until `shutdown` completes; then stop accepting, finish the
    /// responses under way, close idle connections, and return.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        let Host {
            listener,
            local_addr: _,
            nouns,
            config,
            clock,
            logger,
            generated_token,
        } = self;
        let request_log = RequestLog::new(logger);
        let table: Vec<Noun<'_>> = nouns
            .nouns
            .iter()
            .map(|noun| Noun {
                name: noun.name(),
                resource: noun.resource(),
            })
            .collect();
        let http_config = Config {
            read_timeout: config.read_timeout,
        };
        // `bind` validated the names, so this clash cannot happen.
        let mut http = match Server::try_new(&table, clock, http_config) {
            Ok(http) => http,
            Err(clash) => {
                eprintln!("urest-host: {clash}");
                return;
            }
        };
        if !logger.is_quiet() {
            http = http.with_observer(&request_log);
        }
        // The access rules are always on: without tokens they still refuse
        // DNS rebinding and cross-site changes.
        let tokens: Vec<Token<'_>> = config
            .tokens
            .iter()
            .map(|token| Token::new(&token.secret, token.scope))
            .chain(generated_token.as_deref().map(Token::change))
            .collect();
        let hosts: Vec<&str> = config.allow_hosts.iter().map(String::as_str).collect();
        let origins: Vec<&str> = config.allow_origins.iter().map(String::as_str).collect();
        let access = Access::new()
            .with_tokens(&tokens)
            .with_tokens_for_reads(config.tokens_for_reads)
            .with_hosts(&hosts)
            .with_origins(&origins);
        let http = http.with_access(&access);
        let runners = run_all_ramps(&nouns, clock, logger);
        let accepting = accept(listener, &http, config.slots, shutdown, logger);
        // The runners never finish, so this ends when accepting does.
        select(accepting, runners).await;
    }
}

/// Apply each PWM noun's transitions, each in its own future.
async fn run_all_ramps(nouns: &Nouns, clock: HostClock, logger: Logger) {
    let mut runners: FuturesUnordered<_> = nouns
        .nouns
        .iter()
        .filter_map(|noun| Some((noun.name(), noun.controller()?)))
        .map(|(name, controller)| run_ramps(name, controller, clock, logger))
        .collect();
    while runners.next().await.is_some() {}
    // A runner stops only when its output fails; the others and the HTTP
    // side keep going.
    std::future::pending::<()>().await;
}

async fn run_ramps(name: &str, controller: &HostController, clock: HostClock, logger: Logger) {
    let Err(error) = controller.run(&clock, &mut TokioDelay).await;
    logger.log(format_args!(
        "{name} stopped: its PWM output failed ({error:?})"
    ));
    eprintln!("urest-host: {name} stopped: its PWM output failed ({error:?})");
}

/// Hand each accepted connection to a free slot or turn it away, until
/// `shutdown`; then drain.
async fn accept(
    listener: TcpListener,
    http: &Server<'_, HostClock>,
    slots: NonZeroUsize,
    shutdown: impl Future<Output = ()>,
    logger: Logger,
) {
    let (drain, draining) = watch::channel(false);
    let mut served = FuturesUnordered::new();
    let mut turned_away = FuturesUnordered::new();
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            // Finished connections are reaped before a new one is counted,
            // so a client that just closed never makes the next one wait.
            biased;
            () = &mut shutdown => break,
            Some(()) = served.next(), if !served.is_empty() => {}
            Some(()) = turned_away.next(), if !turned_away.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) if served.len() < slots.get() => {
                    logger.log(format_args!("SERVER: connection from {peer}"));
                    served.push(connection::serve(http, stream, peer, draining.clone()));
                }
                Ok((stream, peer)) => {
                    logger.log(format_args!(
                        "SERVER: all {} slots busy, turning {peer} away with 503",
                        slots.get()
                    ));
                    if turned_away.len() < MAX_TURNING_AWAY {
                        turned_away.push(connection::turn_away(stream));
                    }
                }
                Err(error) => {
                    eprintln!("urest-host: accepting a connection failed: {error}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }
    drop(listener);
    logger.log(format_args!(
        "SERVER: stopping; finishing {} open connection(s)",
        served.len()
    ));
    drain.send_replace(true);
    let finish_served = async { while served.next().await.is_some() {} };
    let finish_turned_away = async { while turned_away.next().await.is_some() {} };
    embassy_futures::join::join(finish_served, finish_turned_away).await;
    logger.log(format_args!("SERVER: stopped"));
}
