//! The HTTP side of a firmware: connection slots over embassy-net TCP
//! sockets, shared fairly by urest-http's slot rules, and a waiting room
//! for a client that finds every slot busy.

use core::convert::Infallible;
use core::num::NonZeroU16;

use embassy_futures::select::{select, Either};
use embassy_net::tcp::{State, TcpSocket};
use embassy_net::Stack;
use embassy_time::{with_timeout, Delay, Duration};
use embedded_io_async::Write as _;
use urest_core::time::Clock as _;
#[cfg(feature = "access")]
use urest_http::Access;
#[cfg(feature = "observe")]
use urest_http::Observer;
use urest_http::{
    write_no_free_slot, Admission, Buffers, Config, HeadEnd, NameClash, Noun, Server, SlotPolicy,
};
#[cfg(feature = "coordination")]
use {
    urest_core::coord::Entropy,
    urest_http::{Coordination, TooFewPlaces},
};

use crate::clock::{socket_timeout, EmbassyClock};
use crate::logging::{debug_log, info, warning};
use crate::slots::{LastRequest, Occupancy, SlotGate, MAX_SLOTS};

/// The port a [`Service`] listens on unless told otherwise.
pub const DEFAULT_PORT: NonZeroU16 = match NonZeroU16::new(80) {
    Some(port) => port,
    None => NonZeroU16::MIN,
};

/// What a client that waited too long for a slot is told to wait before
/// trying again, in seconds (its `Retry-After`).
pub const TURN_AWAY_RETRY_AFTER_SECS: u32 = 1;

/// How often the slot rules are applied again while a client waits (a
/// request head becomes slow only with time).
const REBALANCE_TICK: Duration = Duration::from_millis(50);

/// How long a turned-away client may take to send its request, and then to
/// close its side after the `503`.
const TURN_AWAY_GRACE: Duration = Duration::from_secs(1);

/// How long a closing connection waits for the peer to close its side and
/// to acknowledge everything sent, before it is reset.
const LINGER: Duration = Duration::from_secs(2);

/// How long the reset of a connection that would not close cleanly may
/// take to leave.
const RESET_GRACE: Duration = Duration::from_millis(200);

/// Most bytes read and dropped from a peer while closing, so a peer that
/// keeps sending cannot hold a slot.
const DRAIN_LIMIT: usize = 16 * 1024;

/// Extra time the TCP stack gives a silent peer beyond the HTTP read
/// timeout, so the HTTP layer's own timeout (which answers `408`) fires
/// first and the stack's abort is only a backstop.
const SOCKET_TIMEOUT_MARGIN: core::time::Duration = core::time::Duration::from_secs(2);

/// Bytes of each TCP socket buffer (receive and transmit) a slot declared
/// by [`http_tasks!`](crate::http_tasks) uses unless told otherwise.
pub const DEFAULT_SOCKET_BUFFER: usize = 1024;
/// Bytes of the request buffer a slot declared by
/// [`http_tasks!`](crate::http_tasks) uses unless told otherwise (see
/// [`Buffers`]).
pub const DEFAULT_REQUEST_BUFFER: usize = 1024;
/// Bytes of the response buffer a slot declared by
/// [`http_tasks!`](crate::http_tasks) uses unless told otherwise (see
/// [`Buffers`]).
pub const DEFAULT_RESPONSE_BUFFER: usize = 2048;

/// Serves urest nouns over HTTP on an embassy-net stack: a [`Server`]
/// shared by several connection slots under urest-http's slot rules
/// ([`SlotPolicy`]), as `urest-host` does. An idle keep-alive connection
/// makes way for a newly arrived client, a request head still dripping in
/// after [`SlotPolicy::slow_head`] is answered `408`, and keep-alive
/// connections close after their share while a client waits; a client
/// that waits longer than [`SlotPolicy::queue_wait`] gets `503 Service
/// Unavailable` with `Retry-After`, never a refused connection.
///
/// Run [`serve_slot`](Self::serve_slot) in one task per slot (at most
/// [`MAX_SLOTS`]) and [`waiting_room`](Self::waiting_room) in exactly one
/// more task; [`http_tasks!`](crate::http_tasks) declares those tasks and
/// a function that spawns them.
///
/// ```
/// use urest_embassy::urest_http::{Config, Noun};
/// use urest_embassy::Service;
///
/// let nouns: [Noun<'_>; 0] = [];
/// let service = Service::new(&nouns, Config::default())
///     .with_port(core::num::NonZeroU16::new(8080).unwrap());
/// assert_eq!(service.port().get(), 8080);
/// assert!(!service.occupancy().is_full());
/// ```
pub struct Service<'a> {
    server: Server<'a, EmbassyClock>,
    port: NonZeroU16,
    gate: SlotGate,
}

impl<'a> Service<'a> {
    /// A service for `nouns` on port 80 with `config`'s timeouts,
    /// unchecked: if two names differ only in ASCII case, the second is never
    /// reached. Prefer [`try_new`](Self::try_new).
    pub fn new(nouns: &'a [Noun<'a>], config: Config) -> Self {
        Service {
            server: Server::new(nouns, EmbassyClock, config),
            port: DEFAULT_PORT,
            gate: SlotGate::new(SlotPolicy::default()),
        }
    }

    /// A service for `nouns` on port 80 with `config`'s timeouts, or the
    /// first two nouns whose names differ only in ASCII case (routing
    /// ignores case, so the second could never be reached).
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use embedded_hal::digital::{ErrorType, OutputPin};
    /// use urest_embassy::urest_core::nouns::SimpleLed;
    /// use urest_embassy::urest_http::{Config, Noun};
    /// use urest_embassy::{CriticalSectionRawMutex, Service};
    ///
    /// struct Pin;
    /// impl ErrorType for Pin { type Error = Infallible; }
    /// impl OutputPin for Pin {
    ///     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
    ///     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// }
    ///
    /// let led: SimpleLed<CriticalSectionRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
    /// let nouns = [Noun::new("led0", &led), Noun::new("LED0", &led)];
    /// let clash = Service::try_new(&nouns, Config::default()).err().unwrap();
    /// assert_eq!(clash.second(), "LED0");
    /// assert!(Service::try_new(&nouns[..1], Config::default()).is_ok());
    /// ```
    pub fn try_new(nouns: &'a [Noun<'a>], config: Config) -> Result<Self, NameClash<'a>> {
        Ok(Service {
            server: Server::try_new(nouns, EmbassyClock, config)?,
            port: DEFAULT_PORT,
            gate: SlotGate::new(SlotPolicy::default()),
        })
    }

    /// The same service, telling `observer` of every request and response
    /// (for instance `urest_http::DefmtObserver` or
    /// `urest_http::LogObserver`). Feature `observe`, on by default.
    #[cfg(feature = "observe")]
    pub fn with_observer(self, observer: &'a dyn Observer) -> Self {
        Service {
            server: self.server.with_observer(observer),
            ..self
        }
    }

    /// The same service, letting in only what `access` allows: tokens, the
    /// names it answers to, the origins whose pages may call it (see
    /// [`Access`]). Each slot passes its peer's address to the server, so
    /// wrong tokens count towards that address's guessing limit.
    ///
    /// ```
    /// use urest_embassy::urest_http::{Access, Config, Noun, Token};
    /// use urest_embassy::Service;
    ///
    /// static TOKENS: [Token<'static>; 1] = [Token::change("owner-secret")];
    /// static ACCESS: Access<'static> = Access::new().with_tokens(&TOKENS);
    /// let nouns: [Noun<'_>; 0] = [];
    /// let service = Service::new(&nouns, Config::default()).with_access(&ACCESS);
    /// assert!(service.server().access().is_some());
    /// ```
    #[cfg(feature = "access")]
    pub fn with_access(self, access: &'a Access<'a>) -> Self {
        Service {
            server: self.server.with_access(access),
            ..self
        }
    }

    /// The same service with `access`'s rules if there are any, or open to
    /// everyone if `None`: for rules chosen when the firmware is built (see
    /// [`access_from_build_env!`](crate::access_from_build_env)).
    #[cfg(feature = "access")]
    pub fn with_optional_access(self, access: Option<&'a Access<'a>>) -> Self {
        match access {
            Some(access) => self.with_access(access),
            None => self,
        }
    }

    /// The same service with client locks and idempotency keys for its
    /// nouns (see [`Coordination`]): `/{noun}/lock`, `Lock-Token` and
    /// `Idempotency-Key` work only with one, and answer `501` without.
    /// Refused if `coordination` has fewer places than there are nouns, as
    /// [`Server::with_coordination`] refuses it.
    ///
    /// A `Coordination` is built once, at start-up, from the board's
    /// entropy source (the adapter crates have one per chip:
    /// `urest_rp::RoscEntropy`, `urest_nrf::NrfEntropy`,
    /// `urest_stm32::Stm32Entropy`), and lives as long as the service: in
    /// a firmware, a `static_cell::StaticCell`. Building it fails if the
    /// source is missing or stuck; the firmware can then serve without
    /// locks.
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use embedded_hal::digital::{ErrorType, OutputPin};
    /// use static_cell::StaticCell;
    /// use urest_embassy::urest_core::coord::{CoordConfig, Entropy, EntropyError};
    /// use urest_embassy::urest_core::nouns::SimpleLed;
    /// use urest_embassy::urest_http::{Config, Coordination, Noun};
    /// use urest_embassy::{CriticalSectionRawMutex, Service};
    ///
    /// # struct Pin;
    /// # impl ErrorType for Pin { type Error = Infallible; }
    /// # impl OutputPin for Pin {
    /// #     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// #     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// # }
    /// /// Stands in for the board's RNG (`urest_rp::RoscEntropy`, ...).
    /// struct BoardRng(u64);
    /// impl Entropy for BoardRng {
    ///     fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
    ///         for byte in bytes {
    ///             // xorshift, for the example only: use real entropy on a board.
    ///             self.0 ^= self.0 << 13;
    ///             self.0 ^= self.0 >> 7;
    ///             self.0 ^= self.0 << 17;
    ///             *byte = self.0 as u8;
    ///         }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// /// Room for the board's one noun.
    /// static COORDINATION: StaticCell<Coordination<BoardRng, 1>> = StaticCell::new();
    ///
    /// let led: SimpleLed<CriticalSectionRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
    /// let nouns = [Noun::new("led0", &led)];
    /// let service = Service::new(&nouns, Config::default());
    /// let service = match Coordination::new(BoardRng(0x853c_49e6_748f_ea9b), CoordConfig::default()) {
    ///     Ok(coordination) => service.with_coordination(COORDINATION.init(coordination)).unwrap(),
    ///     // No entropy, no locks: serve without them (lock routes answer 501).
    ///     Err(_no_entropy) => service,
    /// };
    /// # let _ = service;
    ///
    /// // A coordination with fewer places than nouns is refused.
    /// let none: Coordination<BoardRng, 0> =
    ///     Coordination::new(BoardRng(0x9e37_79b9_7f4a_7c15), CoordConfig::default()).unwrap();
    /// let refused = Service::new(&nouns, Config::default()).with_coordination(&none);
    /// assert_eq!(refused.err().map(|refused| refused.places), Some(0));
    /// ```
    #[cfg(feature = "coordination")]
    pub fn with_coordination<E: Entropy, const N: usize, const K: usize>(
        self,
        coordination: &'a Coordination<E, N, K>,
    ) -> Result<Self, TooFewPlaces> {
        Ok(Service {
            server: self.server.with_coordination(coordination)?,
            ..self
        })
    }

    /// The same service on another TCP port.
    pub fn with_port(self, port: NonZeroU16) -> Self {
        Service { port, ..self }
    }

    /// The same service sharing its slots by `policy` rather than
    /// [`SlotPolicy::default`]. Call it before any slot starts.
    ///
    /// ```
    /// use core::time::Duration;
    /// use urest_embassy::urest_http::{Config, Noun, SlotPolicy};
    /// use urest_embassy::Service;
    ///
    /// let nouns: [Noun<'_>; 0] = [];
    /// let policy = SlotPolicy { queue_wait: Duration::from_secs(2), ..SlotPolicy::default() };
    /// let service = Service::new(&nouns, Config::default()).with_slot_policy(policy);
    /// assert_eq!(service.slot_policy().queue_wait, Duration::from_secs(2));
    /// ```
    pub fn with_slot_policy(mut self, policy: SlotPolicy) -> Self {
        self.gate.set_policy(policy);
        self
    }

    /// The rules the slots are shared by.
    pub fn slot_policy(&self) -> SlotPolicy {
        self.gate.policy()
    }

    /// The HTTP server every slot shares.
    pub fn server(&self) -> &Server<'a, EmbassyClock> {
        &self.server
    }

    /// The TCP port the slots listen on.
    pub fn port(&self) -> NonZeroU16 {
        self.port
    }

    /// How many slots are running, how many of them serve a connection, and
    /// how many clients wait for one.
    pub fn occupancy(&self) -> Occupancy {
        self.gate.occupancy()
    }

    /// Serve connections one after another, for ever: accept a connection
    /// on [`port`](Self::port), serve its requests (keep-alive and
    /// pipelining included) until the client leaves, times out or makes way
    /// for a waiting client, close it cleanly, and accept the next.
    ///
    /// Run it in one task per connection slot. Its memory is the future
    /// itself: two TCP socket buffers of `SOCKET` bytes, a request buffer
    /// of `REQUEST` bytes and a response buffer of `RESPONSE` bytes (see
    /// [`Buffers`] for how to size them; `RESPONSE` must be at least
    /// [`Buffers::MIN_RESPONSE`]). A TCP peer silent for longer than the
    /// [`Config::read_timeout`] is dropped by the TCP stack too, so no peer
    /// holds a slot for ever.
    ///
    /// Closing flushes before the socket is dropped: dropping an embassy-net
    /// socket right after `close()` can lose the FIN, leaving the client
    /// waiting for the end of the response.
    pub async fn serve_slot<const SOCKET: usize, const REQUEST: usize, const RESPONSE: usize>(
        &self,
        stack: Stack<'_>,
    ) -> Infallible {
        let Some(index) = self.gate.add_slot() else {
            warning!(
                "urest: a service serves at most {} slots; this one does not serve",
                MAX_SLOTS
            );
            return core::future::pending().await;
        };
        let mut receive = [0u8; SOCKET];
        let mut transmit = [0u8; SOCKET];
        let mut request = [0u8; REQUEST];
        let mut response = [0u8; RESPONSE];
        let silence = socket_timeout(self.server.config().read_timeout, SOCKET_TIMEOUT_MARGIN);
        loop {
            let mut socket = TcpSocket::new(stack, &mut receive, &mut transmit);
            socket.set_timeout(Some(silence));
            if let Err(error) = socket.accept(self.port.get()).await {
                warning!("urest: accepting a connection failed: {:?}", error);
                continue;
            }
            let slot = self.gate.occupy(index);
            debug_log!("urest: connection from {:?}", socket.remote_endpoint());
            let mut buffers = Buffers::new(&mut request, &mut response);
            let peer = socket.remote_endpoint().map(|peer| peer.addr.into());
            if let Err(error) = self
                .server
                .serve_in(peer, &mut socket, &mut Delay, &mut buffers, &slot)
                .await
            {
                debug_log!("urest: connection ended: {:?}", error);
            }
            // The connection is served: the slot's capacity is free for a
            // waiting client while this socket closes, which can take as
            // long as the peer lingers; the slot listens again after.
            let closing = self.gate.closing();
            drop(slot);
            close_cleanly(&mut socket).await;
            drop(closing);
        }
    }

    /// Hold a client that arrives while every slot is busy, for ever: one
    /// client at a time.
    ///
    /// Run it in exactly one task, beside the slots. It listens only while
    /// no slot does (each serves a connection or is still closing one), so
    /// it never takes a client a slot could accept. The client it holds is counted as waiting, so the slot rules
    /// free a slot for it (an idle connection makes way at once, a slow
    /// head is cut, a keep-alive connection closes after its share). As
    /// soon as a slot is free, the waiting room serves the client's request
    /// itself, with its own buffers of the slots' sizes, and closes the
    /// connection after the answer (the client's next connection reaches a
    /// slot). If no slot frees within [`SlotPolicy::queue_wait`], the
    /// client is answered `503` with `Retry-After` once its request head
    /// has arrived (never before: an answer before the request would be
    /// unsolicited). While it holds one client, a further one is refused by
    /// the TCP stack: on a board the queue is one client deep.
    pub async fn waiting_room<const SOCKET: usize, const REQUEST: usize, const RESPONSE: usize>(
        &self,
        stack: Stack<'_>,
    ) -> Infallible {
        let mut receive = [0u8; SOCKET];
        let mut transmit = [0u8; SOCKET];
        let mut request = [0u8; REQUEST];
        let mut response = [0u8; RESPONSE];
        let silence = socket_timeout(self.server.config().read_timeout, SOCKET_TIMEOUT_MARGIN);
        loop {
            self.gate.until(Occupancy::none_listening).await;
            let mut socket = TcpSocket::new(stack, &mut receive, &mut transmit);
            socket.set_timeout(Some(silence));
            let freed = self.gate.until(|occupancy| !occupancy.none_listening());
            let accepted = match select(socket.accept(self.port.get()), freed).await {
                Either::First(accepted) => accepted.is_ok(),
                // A slot listens again: stop listening so the next client
                // reaches it, unless one is already shaking hands with us.
                Either::Second(()) if socket.state() == State::Listen => false,
                Either::Second(()) => with_timeout(TURN_AWAY_GRACE, socket.accept(self.port.get()))
                    .await
                    .is_ok_and(|accepted| accepted.is_ok()),
            };
            if !accepted {
                continue;
            }
            let since = EmbassyClock.now();
            let peer = socket.remote_endpoint().map(|peer| peer.addr.into());
            debug_log!(
                "urest: all slots busy, {:?} waits",
                socket.remote_endpoint()
            );
            let slot_freed = match self.gate.arrive() {
                Admission::Serve(_) => true,
                Admission::Wait => {
                    let freed = self.until_free_or(since).await;
                    self.gate.leave_queue();
                    freed
                }
            };
            if slot_freed {
                let mut buffers = Buffers::new(&mut request, &mut response);
                if let Err(error) = self
                    .server
                    .serve_in(peer, &mut socket, &mut Delay, &mut buffers, &LastRequest)
                    .await
                {
                    debug_log!("urest: connection ended: {:?}", error);
                }
            } else {
                info!(
                    "urest: {:?} waited too long for a slot; answering 503",
                    socket.remote_endpoint()
                );
                answer_unavailable(&mut socket, &mut response).await;
            }
            close_cleanly(&mut socket).await;
        }
    }

    /// Wait until a slot is free (`true`) or the client waiting since
    /// `since` has waited as long as the policy allows (`false`), applying
    /// the slot rules again as time passes.
    async fn until_free_or(&self, since: urest_core::time::Instant) -> bool {
        let give_up = self.gate.give_up_at(since);
        loop {
            if !self.gate.occupancy().is_full() {
                return true;
            }
            let now = EmbassyClock.now();
            if now >= give_up {
                return false;
            }
            let left = socket_timeout(give_up.duration_since(now), core::time::Duration::ZERO);
            let pause = if left < REBALANCE_TICK {
                left
            } else {
                REBALANCE_TICK
            };
            let _ = with_timeout(pause, self.gate.changed()).await;
            self.gate.rebalance();
        }
    }
}

/// Once the request head has arrived, answer `503` with `Retry-After`,
/// written in `scratch`.
async fn answer_unavailable(socket: &mut TcpSocket<'_>, scratch: &mut [u8]) {
    let Some(len) = write_no_free_slot(scratch, TURN_AWAY_RETRY_AFTER_SECS) else {
        return;
    };
    let asked = with_timeout(TURN_AWAY_GRACE, read_head(socket)).await;
    if matches!(asked, Ok(true)) {
        let answer = scratch.get(..len).unwrap_or_default();
        let _ = with_timeout(TURN_AWAY_GRACE, socket.write_all(answer)).await;
    }
}

impl core::fmt::Debug for Service<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Service")
            .field("server", &self.server)
            .field("port", &self.port)
            .field("occupancy", &self.gate.occupancy())
            .finish()
    }
}

/// Read until the request head has arrived (`true`), or the peer closes
/// or fails first (`false`).
async fn read_head(socket: &mut TcpSocket<'_>) -> bool {
    let mut head = HeadEnd::default();
    let mut piece = [0u8; 64];
    let mut total = 0;
    while total < DRAIN_LIMIT {
        match socket.read(&mut piece).await {
            Ok(0) | Err(_) => return false,
            Ok(read) => {
                total += read;
                if head.feed(piece.get(..read).unwrap_or_default()) {
                    return true;
                }
            }
        }
    }
    false
}

/// Close our side, let the peer close its own, and make sure everything
/// (the FIN included) has left before the socket is dropped; reset the
/// connection if the peer will not take it.
async fn close_cleanly(socket: &mut TcpSocket<'_>) {
    socket.close();
    // Unread data at close makes a TCP stack reset the connection, and a
    // reset can destroy a response the client has not read yet. Read and
    // drop what the peer still sends until it closes too.
    let _ = with_timeout(LINGER, drain(socket)).await;
    let flushed = with_timeout(LINGER, socket.flush()).await;
    if !matches!(flushed, Ok(Ok(()))) {
        socket.abort();
        // Flushing after abort waits for the reset to be sent.
        let _ = with_timeout(RESET_GRACE, socket.flush()).await;
    }
}

/// Read and drop bytes until the peer closes its side or fails.
async fn drain(socket: &mut TcpSocket<'_>) {
    let mut sink = [0u8; 64];
    let mut total = 0;
    while total < DRAIN_LIMIT {
        match socket.read(&mut sink).await {
            Ok(0) | Err(_) => return,
            Ok(read) => total += read,
        }
    }
}
