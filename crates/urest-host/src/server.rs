//! The host itself: a listening socket, the nouns, their ramp runners, and
//! the loop that hands connections to free slots.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use embassy_futures::select::select;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use urest_core::coord::{CoordConfig, Entropy, EntropyError};
use urest_core::time::Instant;
use urest_http::{Access, Admission, Config, Coordination, Noun, Phase, Server, SlotPolicy, Token};

use crate::clock::{HostClock, TokioDelay};
use crate::config::HostConfig;
use crate::connection::{self, TurnAway, TurnedAway};
use crate::error::Error;
use crate::log::{Logger, RequestLog};
use crate::nouns::{HostController, Nouns, Probe};
use crate::slots::HostSlots;

/// Most clients kept waiting for a slot. Past that the host stops
/// accepting, and the kernel's listen backlog holds further clients until
/// there is room: nobody accepted is ever dropped unanswered.
const MAX_WAITING: usize = 512;

/// Most turned-away connections kept at once to deliver their `503`; while
/// that many are under way, the host stops accepting too.
const MAX_TURNING_AWAY: usize = 64;

/// Most connections kept at once while they close in order; past that a
/// finished connection is closed at once.
const MAX_CLOSING: usize = 1024;

/// How often the slot rules are applied again while clients wait (a slow
/// head becomes one to cut only with time).
const TICK: Duration = Duration::from_millis(50);

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
    coordination: Box<HostCoordination>,
}

/// Client locks and idempotency keys for every noun a host may serve.
type HostCoordination = Coordination<OsEntropy, { HostConfig::MAX_NOUNS }>;

/// Lock tokens from the operating system's random number generator.
struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(bytes).map_err(|_| EntropyError::Failed)
    }
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
        let coordination = Coordination::new(OsEntropy, CoordConfig::default())
            .map(Box::new)
            .map_err(|error| Error::Random(error.to_string()))?;
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = listen(addr).map_err(|source| Error::Bind { addr, source })?;
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
            coordination,
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
            coordination,
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
            head_timeout: config.head_timeout,
            max_wait: config.max_wait,
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
        // `bind` checked that there are at most MAX_NOUNS nouns.
        let http = match http.with_coordination(&coordination) {
            Ok(http) => http,
            Err(too_few) => {
                eprintln!("urest-host: {too_few}");
                return;
            }
        };
        let runners = run_all_ramps(&nouns, clock, logger);
        let policy = SlotPolicy {
            queue_wait: config.queue_wait,
            ..SlotPolicy::default()
        };
        let slots = HostSlots::new(config.slots.get(), policy, clock);
        let accepting = accept(listener, &http, &slots, shutdown, logger);
        // The runners never finish, so this ends when accepting does.
        select(accepting, runners).await;
    }
}

/// Connections the kernel completes and holds for the host before it
/// accepts them (the system's `somaxconn` may cap it). A burst larger than
/// this and [`MAX_WAITING`] together has its extra SYNs dropped, and those
/// clients try again only after a second or more.
const LISTEN_BACKLOG: u32 = 4096;

/// A listening socket on `addr` with room for a burst of connections.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind` does: a restarted host can bind again at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
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

/// Hand each accepted connection to a free slot, or let it wait for one,
/// until `shutdown`; then drain.
async fn accept(
    listener: TcpListener,
    http: &Server<'_, HostClock>,
    slots: &HostSlots,
    shutdown: impl Future<Output = ()>,
    logger: Logger,
) {
    let (drain, draining) = watch::channel(false);
    let mut served = FuturesUnordered::new();
    let mut turned_away = FuturesUnordered::new();
    let mut closing = FuturesUnordered::new();
    let mut waiting: VecDeque<Waiting> = VecDeque::new();
    let tally = Tally::default();
    let mut shutdown = pin!(shutdown);
    let serve_in = |index: usize, stream: TcpStream, peer: SocketAddr| {
        let slot = slots.occupy(index);
        let draining = draining.clone();
        async move {
            let stream = connection::serve(http, stream, peer, draining, &slot).await;
            (slot.index(), stream, peer)
        }
    };
    loop {
        let room = waiting.len() < MAX_WAITING && turned_away.len() < MAX_TURNING_AWAY;
        let tick = async {
            match waiting.front() {
                Some(first) => tokio::time::sleep(slots.wait_left(first.since).min(TICK)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // Finished connections are reaped before a new one is counted,
            // so a client that just closed never makes the next one wait.
            biased;
            () = &mut shutdown => break,
            Some((index, stream, peer)) = served.next(), if !served.is_empty() => {
                tally.made_way(slots.vacate(index), peer, logger);
                if closing.len() < MAX_CLOSING {
                    closing.push(connection::linger(stream));
                }
                while let Some(index) = slots.next_for_waiter() {
                    let Some(next) = waiting.pop_front() else {
                        // Cannot happen: the board counts the queue.
                        slots.leave_queue();
                        break;
                    };
                    logger.log(format_args!(
                        "SERVER: connection from {} served after waiting {} ms",
                        next.peer,
                        slots.now().duration_since(next.since).as_millis()
                    ));
                    served.push(serve_in(index, next.stream, next.peer));
                }
            }
            Some(outcome) = turned_away.next(), if !turned_away.is_empty() => {
                tally.count(outcome, logger);
            }
            Some(()) = closing.next(), if !closing.is_empty() => {}
            () = tick => {
                slots.rebalance();
                let now = slots.now();
                while let Some(first) = waiting.front() {
                    if slots.wait_left(first.since) > Duration::ZERO {
                        break;
                    }
                    let Some(late) = waiting.pop_front() else { break };
                    slots.leave_queue();
                    logger.log(format_args!(
                        "SERVER: {} waited {} ms for a slot; answering its request with 503",
                        late.peer,
                        now.duration_since(late.since).as_millis()
                    ));
                    turned_away.push(turn_away(late, TurnAway::WaitedTooLong));
                }
            }
            accepted = listener.accept(), if room => match accepted {
                Ok((stream, peer)) => {
                    bump(&tally.accepted);
                    match slots.arrive() {
                        Admission::Serve(index) => {
                            logger.log(format_args!("SERVER: connection from {peer}"));
                            served.push(serve_in(index, stream, peer));
                        }
                        Admission::Wait => {
                            logger.log(format_args!(
                                "SERVER: connection from {peer} waits: all {} slots busy",
                                slots.len()
                            ));
                            waiting.push_back(Waiting { stream, peer, since: slots.now() });
                        }
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
        "SERVER: stopping; finishing {} open connection(s), answering {} waiting with 503",
        served.len(),
        waiting.len()
    ));
    drain.send_replace(true);
    for late in waiting.drain(..) {
        slots.leave_queue();
        turned_away.push(turn_away(late, TurnAway::Stopping));
    }
    let finish_served = async {
        while let Some((index, stream, peer)) = served.next().await {
            tally.made_way(slots.vacate(index), peer, logger);
            closing.push(connection::linger(stream));
        }
    };
    embassy_futures::join::join(finish_served, async {
        while let Some(outcome) = turned_away.next().await {
            tally.count(outcome, logger);
        }
    })
    .await;
    while closing.next().await.is_some() {}
    logger.log(format_args!(
        "SERVER: stopped; {} connection(s) accepted, {} closed idle to make way, {} answered 408 to make way, {} answered 503 after waiting, {} closed waiting without a request",
        tally.accepted.get(),
        tally.made_way_idle.get(),
        tally.made_way_slow_head.get(),
        tally.answered_503.get(),
        tally.closed_unasked.get()
    ));
}

/// A client waiting for a slot.
struct Waiting {
    stream: TcpStream,
    peer: SocketAddr,
    since: Instant,
}

async fn turn_away(waiting: Waiting, why: TurnAway) -> (SocketAddr, TurnedAway) {
    (
        waiting.peer,
        connection::turn_away(waiting.stream, why).await,
    )
}

/// What became of the connections accepted, for the log. Counted in cells:
/// while draining, the served and the turned-away connections finish side
/// by side and both count.
#[derive(Default)]
struct Tally {
    accepted: Cell<u64>,
    made_way_idle: Cell<u64>,
    made_way_slow_head: Cell<u64>,
    answered_503: Cell<u64>,
    closed_unasked: Cell<u64>,
}

fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}

impl Tally {
    /// A served connection from `peer` has closed; `made_way` says what it
    /// was doing if it was asked to make way.
    fn made_way(&self, made_way: Option<Phase>, peer: SocketAddr, logger: Logger) {
        match made_way {
            Some(Phase::Idle(_)) => {
                bump(&self.made_way_idle);
                logger.log(format_args!(
                    "SERVER: connection from {peer} closed idle to make way"
                ));
            }
            Some(Phase::Head(_)) => {
                bump(&self.made_way_slow_head);
                logger.log(format_args!(
                    "SERVER: connection from {peer} answered 408 to make way: its head was too slow"
                ));
            }
            _ => logger.log(format_args!("SERVER: connection from {peer} closed")),
        }
    }

    fn count(&self, (peer, outcome): (SocketAddr, TurnedAway), logger: Logger) {
        match outcome {
            TurnedAway::Answered => {
                bump(&self.answered_503);
                logger.log(format_args!("SERVER: {peer} answered 503"));
            }
            TurnedAway::ClosedUnasked => {
                bump(&self.closed_unasked);
                logger.log(format_args!(
                    "SERVER: {peer} closed without an answer: it sent no request"
                ));
            }
        }
    }
}
