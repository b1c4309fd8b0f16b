//! The HTTP side of a firmware: connection slots over embassy-net TCP
//! sockets, and the answer for a client that finds every slot busy.

use core::convert::Infallible;
use core::num::NonZeroU16;

use embassy_futures::select::{select, Either};
use embassy_net::tcp::{State, TcpSocket};
use embassy_net::Stack;
use embassy_time::{with_timeout, Delay, Duration};
use embedded_io_async::Write as _;
use urest_http::{write_no_free_slot, Access, Buffers, Config, NameClash, Noun, Observer, Server};

use crate::clock::{socket_timeout, EmbassyClock};
use crate::head_end::HeadEnd;
use crate::logging::{debug, debug_log, info, warning};
use crate::slots::{Occupancy, SlotGate};

/// The port a [`Service`] listens on unless told otherwise.
pub const DEFAULT_PORT: NonZeroU16 = match NonZeroU16::new(80) {
    Some(port) => port,
    None => NonZeroU16::MIN,
};

/// What a client turned away because every slot is busy is told to wait
/// before trying again, in seconds (its `Retry-After`).
pub const TURN_AWAY_RETRY_AFTER_SECS: u32 = 1;

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
/// shared by several connection slots, and the bookkeeping that lets a
/// client that finds every slot busy get `503 Service Unavailable` with
/// `Retry-After` instead of a refused connection, as `urest-host` does.
///
/// Run [`serve_slot`](Self::serve_slot) in one task per slot and
/// [`turn_away_when_full`](Self::turn_away_when_full) in exactly one more
/// task; [`http_tasks!`](crate::http_tasks) declares those tasks and a
/// function that spawns them.
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
            gate: SlotGate::new(),
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
            gate: SlotGate::new(),
        })
    }

    /// The same service, telling `observer` of every request and response
    /// (for instance `urest_http::DefmtObserver` or
    /// `urest_http::LogObserver`).
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
    pub fn with_access(self, access: &'a Access<'a>) -> Self {
        Service {
            server: self.server.with_access(access),
            ..self
        }
    }

    /// The same service on another TCP port.
    pub fn with_port(self, port: NonZeroU16) -> Self {
        Service { port, ..self }
    }

    /// The HTTP server every slot shares.
    pub fn server(&self) -> &Server<'a, EmbassyClock> {
        &self.server
    }

    /// The TCP port the slots listen on.
    pub fn port(&self) -> NonZeroU16 {
        self.port
    }

    /// How many slots are running and how many of them serve a connection.
    pub fn occupancy(&self) -> Occupancy {
        self.gate.occupancy()
    }

    /// Serve connections one after another, for ever: accept a connection
    /// on [`port`](Self::port), serve its requests (keep-alive and
    /// pipelining included) until the client leaves or times out, close it
    /// cleanly, and accept the next.
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
        self.gate.add_slot();
        let mut receive = [0u8; SOCKET];
        let mut transmit = [0u8; SOCKET];
        let mut request = [0u8; REQUEST];
        let mut response = [0u8; RESPONSE];
        let silence = socket_timeout(self.server.config().read_timeout, SOCKET_TIMEOUT_MARGIN);
        loop {
            let mut socket = TcpSocket::new(stack, &mut receive, &mut transmit);
            socket.set_timeout(Some(silence));
            if let Err(error) = socket.accept(self.port.get()).await {
                warning!("urest: accepting a connection failed: {:?}", debug(&error));
                continue;
            }
            let _busy = self.gate.occupy();
            debug_log!(
                "urest: connection from {:?}",
                debug(&socket.remote_endpoint())
            );
            let mut buffers = Buffers::new(&mut request, &mut response);
            let served = match socket.remote_endpoint() {
                Some(peer) => {
                    self.server
                        .serve_from(peer.addr.into(), &mut socket, &mut Delay, &mut buffers)
                        .await
                }
                None => {
                    self.server
                        .serve(&mut socket, &mut Delay, &mut buffers)
                        .await
                }
            };
            if let Err(error) = served {
                debug_log!("urest: connection ended: {:?}", debug(&error));
            }
            close_cleanly(&mut socket).await;
        }
    }

    /// Answer `503 Service Unavailable` with `Retry-After` to clients that
    /// connect while every slot is busy, for ever.
    ///
    /// Run it in exactly one task, beside the slots. It listens only while
    /// every slot is busy, so it never takes a client a free slot could
    /// serve; it reads the client's request head first (so the answer is
    /// not unsolicited), then answers, closes, and waits briefly for the
    /// client to close. While it answers one client, further ones are
    /// refused by the TCP stack.
    pub async fn turn_away_when_full(&self, stack: Stack<'_>) -> Infallible {
        let mut receive = [0u8; 256];
        let mut transmit = [0u8; 512];
        let mut answer = [0u8; 512];
        // 512 bytes always hold it; with none, the client still gets a
        // clean close rather than silence from a task that gave up.
        let answer_len = write_no_free_slot(&mut answer, TURN_AWAY_RETRY_AFTER_SECS).unwrap_or(0);
        let answer = answer.get(..answer_len).unwrap_or_default();
        loop {
            self.gate.until(Occupancy::is_full).await;
            let mut socket = TcpSocket::new(stack, &mut receive, &mut transmit);
            socket.set_timeout(Some(TURN_AWAY_GRACE + TURN_AWAY_GRACE));
            let freed = self.gate.until(|occupancy| !occupancy.is_full());
            let accepted = match select(socket.accept(self.port.get()), freed).await {
                Either::First(accepted) => accepted.is_ok(),
                // A slot is free again: stop listening so the next client
                // reaches it, unless one is already shaking hands with us.
                Either::Second(()) if socket.state() == State::Listen => false,
                Either::Second(()) => with_timeout(TURN_AWAY_GRACE, socket.accept(self.port.get()))
                    .await
                    .is_ok_and(|accepted| accepted.is_ok()),
            };
            if !accepted {
                continue;
            }
            let occupancy = self.gate.occupancy();
            info!(
                "urest: all {} slots busy, turning {:?} away with 503",
                occupancy.slots(),
                debug(&socket.remote_endpoint())
            );
            let _ = with_timeout(TURN_AWAY_GRACE, read_head(&mut socket)).await;
            let _ = with_timeout(TURN_AWAY_GRACE, socket.write_all(answer)).await;
            close_cleanly(&mut socket).await;
        }
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

/// Read until the request head has arrived, the peer closes, or it fails.
async fn read_head(socket: &mut TcpSocket<'_>) {
    let mut head = HeadEnd::default();
    let mut piece = [0u8; 64];
    let mut total = 0;
    while total < DRAIN_LIMIT {
        match socket.read(&mut piece).await {
            Ok(0) | Err(_) => return,
            Ok(read) => {
                total += read;
                if head.feed(piece.get(..read).unwrap_or_default()) {
                    return;
                }
            }
        }
    }
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
