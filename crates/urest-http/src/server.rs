//! The server: its nouns, its clock, and who watches it.

use core::fmt;
use core::net::IpAddr;

use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};
use urest_core::resource::Resource;
use urest_core::time::Clock;

use crate::access::Access;
use crate::coordination::Coordinate;
use crate::routing::find_clash;
use crate::slots::{Slot, Unshared};
use crate::{Buffers, Config, ConnectionError, NameClash};

/// A noun as served: the path segment it answers to and the resource
/// behind it.
///
/// The name is matched without regard to ASCII case, so `/Green_LED0`
/// reaches the noun named `green_led0`.
///
/// ```
/// use core::convert::Infallible;
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// use embedded_hal::digital::{ErrorType, OutputPin};
/// use urest_core::nouns::SimpleLed;
/// use urest_http::Noun;
///
/// struct Pin;
/// impl ErrorType for Pin { type Error = Infallible; }
/// impl OutputPin for Pin {
///     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
///     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
/// }
///
/// let led: SimpleLed<NoopRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
/// let noun = Noun { name: "led", resource: &led };
/// assert_eq!(noun.resource.describe().kind, "simple_led");
/// ```
#[derive(Copy, Clone)]
pub struct Noun<'a> {
    /// The path segment, without the leading `/`.
    pub name: &'a str,
    /// The resource whose verbs the requests call.
    pub resource: &'a dyn Resource,
}

impl<'a> Noun<'a> {
    /// The noun `resource`, served at `/name`: the one-line form of the
    /// struct literal, for noun tables.
    ///
    /// ```
    /// # use core::convert::Infallible;
    /// # use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    /// # use embedded_hal::digital::{ErrorType, OutputPin};
    /// # use urest_core::nouns::SimpleLed;
    /// use urest_http::Noun;
    /// # struct Pin;
    /// # impl ErrorType for Pin { type Error = Infallible; }
    /// # impl OutputPin for Pin {
    /// #     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// #     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// # }
    ///
    /// let led: SimpleLed<NoopRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
    /// let nouns = [Noun::new("led0", &led)];
    /// assert_eq!(nouns[0].name, "led0");
    /// ```
    pub const fn new(name: &'a str, resource: &'a dyn Resource) -> Self {
        Noun { name, resource }
    }
}

impl fmt::Debug for Noun<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Noun")
            .field("name", &self.name)
            .field("kind", &self.resource.describe().kind)
            .finish()
    }
}

/// One request as received, for logging. Headers are (name, value) pairs.
///
/// ```
/// use urest_http::httparse::Header;
/// use urest_http::RequestInfo;
///
/// let headers = [Header { name: "Content-Type", value: b"application/json" }];
/// let request = RequestInfo {
///     method: "PUT",
///     path: "/led",
///     version: 1,
///     headers: &headers,
///     body: br#"{"led": 1}"#,
/// };
/// assert_eq!(request.header("content-type"), Some(&b"application/json"[..]));
/// ```
#[derive(Copy, Clone, Debug)]
pub struct RequestInfo<'r> {
    /// The method, as sent (`GET`, `PUT`, …).
    pub method: &'r str,
    /// The request target as sent, query string included.
    pub path: &'r str,
    /// The minor HTTP version: `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub version: u8,
    /// The headers in the order sent.
    pub headers: &'r [httparse::Header<'r>],
    /// The body; empty when it was refused as too large before being kept.
    pub body: &'r [u8],
}

impl<'r> RequestInfo<'r> {
    /// The value of the first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&'r [u8]> {
        self.headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case(name))
            .map(|header| header.value)
    }
}

/// Watches requests and responses, for logging. Both methods do nothing
/// unless overridden, and must not wait: they run inside `serve`.
///
/// ```
/// use core::cell::Cell;
/// use urest_http::{Observer, RequestInfo};
///
/// /// Counts errors.
/// #[derive(Default)]
/// struct Errors(Cell<u32>);
/// impl Observer for Errors {
///     fn response(&self, status: u16, _body: &[u8]) {
///         if status >= 400 {
///             self.0.set(self.0.get() + 1);
///         }
///     }
/// }
///
/// let errors = Errors::default();
/// errors.response(404, b"{}");
/// assert_eq!(errors.0.get(), 1);
/// ```
pub trait Observer {
    /// A request has arrived whole (or its head has, if the body was refused)
    /// and is about to be answered. Not called for requests whose head could
    /// not be parsed.
    fn request(&self, request: &RequestInfo<'_>) {
        let _ = request;
    }

    /// A final response has been sent: its status and its body as sent
    /// (empty for `HEAD`, and for an index or description too large for the
    /// response buffer, which is sent in pieces). A lock token the body
    /// handed to a client shows as `*`s: observers log what they see.
    fn response(&self, status: u16, body: &[u8]) {
        let _ = (status, body);
    }
}

/// Serves urest nouns over HTTP/1.1.
///
/// One `Server` is shared by every connection slot: [`serve`](Self::serve)
/// takes `&self`, and all per-connection memory comes from the caller's
/// [`Buffers`]. `C` is the clock that verbs and timeouts read; it must
/// measure the same time as the delays passed to `serve`.
///
/// See the [crate documentation](crate) for a complete example.
pub struct Server<'a, C: Clock> {
    pub(crate) nouns: &'a [Noun<'a>],
    pub(crate) clock: C,
    pub(crate) config: Config,
    pub(crate) observer: Option<&'a dyn Observer>,
    pub(crate) access: Option<&'a Access<'a>>,
    pub(crate) coordination: Option<&'a dyn Coordinate>,
}

impl<'a, C: Clock> Server<'a, C> {
    /// A server for `nouns`, unchecked: if two names differ only in ASCII
    /// case, requests reach the first and never the second. Prefer
    /// [`try_new`](Self::try_new), which refuses such a table.
    pub fn new(nouns: &'a [Noun<'a>], clock: C, config: Config) -> Self {
        Server {
            nouns,
            clock,
            config,
            observer: None,
            access: None,
            coordination: None,
        }
    }

    /// A server for `nouns`, or the first two of them whose names differ
    /// only in ASCII case (names are matched without regard to case, so the
    /// second could never be reached). See [`NameClash`] for an example.
    pub fn try_new(nouns: &'a [Noun<'a>], clock: C, config: Config) -> Result<Self, NameClash<'a>> {
        match find_clash(nouns) {
            Some(clash) => Err(clash),
            None => Ok(Server::new(nouns, clock, config)),
        }
    }

    /// The same server, telling `observer` of every request and response
    /// (feature `observe`, on by default).
    #[cfg(feature = "observe")]
    pub fn with_observer(self, observer: &'a dyn Observer) -> Self {
        Server {
            observer: Some(observer),
            ..self
        }
    }

    /// The same server, with client locks and idempotency keys for its
    /// nouns (see [`Coordination`](crate::Coordination) and the [`api_reference`](crate::api_reference)):
    /// `/{noun}/lock`, `Lock-Token` and `Idempotency-Key` work only with
    /// one. Refused if `coordination` has fewer places than there are nouns.
    #[cfg(feature = "coordination")]
    pub fn with_coordination<E: urest_core::coord::Entropy, const N: usize, const K: usize>(
        self,
        coordination: &'a crate::Coordination<E, N, K>,
    ) -> Result<Self, crate::TooFewPlaces> {
        if N < self.nouns.len() {
            return Err(crate::TooFewPlaces {
                places: N,
                nouns: self.nouns.len(),
            });
        }
        Ok(Server {
            coordination: Some(coordination),
            ..self
        })
    }

    /// The nouns served.
    pub fn nouns(&self) -> &'a [Noun<'a>] {
        self.nouns
    }

    /// The settings in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Serve requests on one connection until the peer closes it, asks for
    /// `Connection: close`, times out, or an error makes the stream
    /// unusable. Returns `Ok(())` on an orderly end; either way the caller
    /// then closes the connection.
    ///
    /// Requests are answered in order, including pipelined ones. Each verb
    /// is called only once its request has arrived whole and its body has
    /// decoded, so a refused request changes nothing. `delay` times out
    /// slow peers (see [`Config::read_timeout`]); it must sleep in the time
    /// of the server's clock.
    pub async fn serve<T: Read + Write, D: DelayNs>(
        &self,
        connection: &mut T,
        delay: &mut D,
        buffers: &mut Buffers<'_>,
    ) -> Result<(), ConnectionError<T::Error>> {
        self.serve_connection(connection, delay, buffers, None, &Unshared)
            .await
    }

    /// [`serve`](Self::serve) a connection from `peer`, the address at the
    /// other end: the same, but wrong tokens from `peer` count towards its
    /// guessing limit (see `Access` and its `Limit`, with the `access` feature). With
    /// `serve`, the peer is unknown and wrong tokens are refused but not
    /// counted, so guessing is not slowed down: a program that knows its
    /// peers' addresses should call this instead.
    ///
    /// ```
    /// # use core::convert::Infallible;
    /// # use embassy_futures::block_on;
    /// # use embedded_hal_async::delay::DelayNs;
    /// # use embedded_io_async::{ErrorType, Read, Write};
    /// # use urest_core::time::{Clock, Instant};
    /// use core::net::{IpAddr, Ipv4Addr};
    /// use urest_http::{Access, Buffers, Config, Noun, Server, Token};
    /// # struct Boot;
    /// # impl Clock for Boot { fn now(&self) -> Instant { Instant::ZERO } }
    /// # struct NoDelay;
    /// # impl DelayNs for NoDelay { async fn delay_ns(&mut self, _: u32) {} }
    /// # struct Connection<'r> { input: &'r [u8], output: Vec<u8> }
    /// # impl ErrorType for Connection<'_> { type Error = Infallible; }
    /// # impl Read for Connection<'_> {
    /// #     async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
    /// #         let n = buf.len().min(self.input.len());
    /// #         buf[..n].copy_from_slice(&self.input[..n]);
    /// #         self.input = &self.input[n..];
    /// #         Ok(n)
    /// #     }
    /// # }
    /// # impl Write for Connection<'_> {
    /// #     async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
    /// #         self.output.extend_from_slice(buf);
    /// #         Ok(buf.len())
    /// #     }
    /// #     async fn flush(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// # }
    ///
    /// let tokens = [Token::change("owner-secret")];
    /// let access = Access::new().with_tokens(&tokens);
    /// let nouns: [Noun<'_>; 0] = [];
    /// let server = Server::new(&nouns, Boot, Config::default()).with_access(&access);
    /// let peer = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 7));
    ///
    /// let mut connection = Connection {
    ///     input: b"DELETE /led HTTP/1.1\r\nHost: 192.168.1.20\r\n\r\n",
    ///     output: Vec::new(),
    /// };
    /// let (mut request, mut response) = ([0u8; 1024], [0u8; 1024]);
    /// let mut buffers = Buffers::new(&mut request, &mut response);
    /// block_on(server.serve_from(peer, &mut connection, &mut NoDelay, &mut buffers)).unwrap();
    /// let answer = String::from_utf8(connection.output).unwrap();
    /// assert!(answer.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
    /// assert!(answer.contains("\r\nWWW-Authenticate: Bearer realm=\"urest\"\r\n"));
    /// ```
    pub async fn serve_from<T: Read + Write, D: DelayNs>(
        &self,
        peer: IpAddr,
        connection: &mut T,
        delay: &mut D,
        buffers: &mut Buffers<'_>,
    ) -> Result<(), ConnectionError<T::Error>> {
        self.serve_connection(connection, delay, buffers, Some(peer), &Unshared)
            .await
    }

    /// [`serve`](Self::serve) a connection in a connection slot shared with
    /// other clients: the connection tells `slot` what it is doing, closes
    /// after its current answer when `slot` says a client waits, and makes
    /// way when asked (an idle connection is closed, a request head still
    /// arriving is answered `408`). [`SlotBoard`](crate::SlotBoard) holds
    /// the rules; see [`slots`](crate::slots) for the whole story. `peer`
    /// is the address at the other end, if known, as for
    /// [`serve_from`](Self::serve_from).
    pub async fn serve_in<T: Read + Write, D: DelayNs, S: Slot>(
        &self,
        peer: Option<IpAddr>,
        connection: &mut T,
        delay: &mut D,
        buffers: &mut Buffers<'_>,
        slot: &S,
    ) -> Result<(), ConnectionError<T::Error>> {
        self.serve_connection(connection, delay, buffers, peer, slot)
            .await
    }
}

impl<C: Clock> fmt::Debug for Server<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("nouns", &self.nouns)
            .field("config", &self.config)
            .field("observed", &self.observer.is_some())
            .field("access", &self.access)
            .field("coordinated", &self.coordination.is_some())
            .finish()
    }
}
