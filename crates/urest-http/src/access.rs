//! Who may do what: bearer tokens with a scope, the `Host` names a device
//! answers to, the origins whose pages may call it, and a limit on guessing.
//!
//! The rules run on the request head, before the body is read or any verb
//! is called, in this order:
//!
//! 1. a `Host` (or absolute-form target) naming something other than an IP
//!    literal, `localhost` or one of the configured names is `421`;
//! 2. a CORS preflight is answered `204` for a listed origin, `403` for any
//!    other, without a token;
//! 3. a changing request (`PUT`, `POST`, `DELETE`, any other method) whose
//!    `Origin` is neither listed nor the device itself is `403`;
//! 4. with tokens configured, a peer locked out for guessing is `429`; a
//!    request that needs a token and has none, or presents a wrong one, is
//!    `401`; a read token on a changing request is `403`.

mod compare;
mod host;
mod limiter;

use core::cell::RefCell;
use core::fmt;
use core::net::IpAddr;

use critical_section::Mutex;
use urest_core::time::{Clock, Instant};

pub use compare::constant_time_eq;
pub use limiter::{Limit, FAILURE_TABLE_LEN};

use crate::head::{Method, MAX_HEADERS};
use crate::response::Problem;
use crate::Server;
use limiter::FailureTable;

/// What a [`Token`] allows.
///
/// ```
/// use urest_http::Scope;
///
/// assert!(Scope::Change.allows_changes());
/// assert!(!Scope::Read.allows_changes());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// `GET`, `HEAD` and `OPTIONS` only: for dashboards and monitors.
    Read,
    /// Every verb: reading and changing.
    Change,
}

impl Scope {
    /// Whether the scope allows `PUT`, `POST` and `DELETE`.
    ///
    /// ```
    /// use urest_http::Scope;
    ///
    /// assert!(Scope::Change.allows_changes() && !Scope::Read.allows_changes());
    /// ```
    pub const fn allows_changes(self) -> bool {
        matches!(self, Scope::Change)
    }
}

/// A bearer token (RFC 6750) a client sends as
/// `Authorization: Bearer <secret>`, and what it allows.
///
/// Its `Debug` form never shows the secret.
///
/// ```
/// use urest_http::{Scope, Token};
///
/// let owner = Token::change("0vM3x6e1b8Lq2kP4");
/// let dashboard = Token::read("dash-9f2c");
/// assert_eq!(owner.scope(), Scope::Change);
/// assert_eq!(dashboard.scope(), Scope::Read);
/// assert!(!format!("{owner:?}").contains("0vM3"));
/// ```
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    secret: &'a str,
    scope: Scope,
}

impl<'a> Token<'a> {
    /// A token with `scope`.
    ///
    /// ```
    /// use urest_http::{Scope, Token};
    ///
    /// assert_eq!(Token::new("t0k3n", Scope::Read), Token::read("t0k3n"));
    /// ```
    pub const fn new(secret: &'a str, scope: Scope) -> Self {
        Token { secret, scope }
    }

    /// A token that may read and change.
    ///
    /// ```
    /// use urest_http::{Scope, Token};
    ///
    /// assert_eq!(Token::change("owner").scope(), Scope::Change);
    /// ```
    pub const fn change(secret: &'a str) -> Self {
        Token::new(secret, Scope::Change)
    }

    /// A token that may only read.
    ///
    /// ```
    /// use urest_http::{Scope, Token};
    ///
    /// assert_eq!(Token::read("dashboard").scope(), Scope::Read);
    /// ```
    pub const fn read(secret: &'a str) -> Self {
        Token::new(secret, Scope::Read)
    }

    /// What the token allows.
    ///
    /// ```
    /// use urest_http::{Scope, Token};
    ///
    /// assert!(!Token::read("dashboard").scope().allows_changes());
    /// ```
    pub const fn scope(&self) -> Scope {
        self.scope
    }
}

impl fmt::Debug for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("secret", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

/// How long a browser may cache a preflight answer, in seconds.
pub(crate) const PREFLIGHT_MAX_AGE: u32 = 600;
/// The methods a preflight allows.
pub(crate) const PREFLIGHT_METHODS: &str = "GET, HEAD, PUT, POST, DELETE, OPTIONS";
/// The request headers a preflight allows.
pub(crate) const PREFLIGHT_HEADERS: &str =
    "content-type, authorization, if-match, if-none-match, lock-token, idempotency-key, prefer";
/// The response headers a page from a listed origin may read beyond the
/// safelisted ones (the Fetch standard hides all others from scripts).
pub(crate) const EXPOSED_HEADERS: &str =
    "ETag, Location, Retry-After, Lock-Token, Lock-Info, Preference-Applied";

/// Who may use a [`Server`]: its tokens, the names it answers to, the
/// origins whose pages may call it, and how fast wrong tokens may be tried.
/// Attach one with [`Server::with_access`].
///
/// [`Access::new`] (also the `Default`) has no tokens: every client may read
/// and change, as without an `Access`, but the `Host` check and the
/// cross-site rules apply, which closes DNS rebinding and cross-site
/// requests from web pages. Add tokens with [`with_tokens`](Self::with_tokens).
///
/// An `Access` holds the failure table of the guessing limit (see
/// [`Limit`]; [`FAILURE_TABLE_LEN`] peers, about 30 bytes each), shared by
/// every connection behind a critical section; everything else is borrowed.
/// It can be built in a `static`:
///
/// ```
/// use urest_http::{Access, Token};
///
/// static TOKENS: [Token<'static>; 2] = [Token::change("owner-secret"), Token::read("dash")];
/// static ACCESS: Access<'static> = Access::new()
///     .with_tokens(&TOKENS)
///     .with_hosts(&["lights.lan"])
///     .with_origins(&["https://dashboard.lan"]);
///
/// assert_eq!(ACCESS.tokens().len(), 2);
/// assert!(ACCESS.answers_to("lights.lan:80"));
/// assert!(ACCESS.answers_to("192.168.1.20"));
/// assert!(!ACCESS.answers_to("attacker.example"));
/// assert!(!ACCESS.reads_need_token());
/// ```
pub struct Access<'a> {
    tokens: &'a [Token<'a>],
    reads_need_token: bool,
    hosts: &'a [&'a str],
    origins: &'a [&'a str],
    limit: Limit,
    failures: Mutex<RefCell<FailureTable>>,
}

impl<'a> Access<'a> {
    /// No tokens, no extra names, no origins, the default [`Limit`].
    ///
    /// ```
    /// use urest_http::{Access, Limit};
    ///
    /// let access = Access::new();
    /// assert!(access.tokens().is_empty() && access.origins().is_empty());
    /// assert_eq!(access.limit(), Limit::DEFAULT);
    /// ```
    pub const fn new() -> Self {
        Access {
            tokens: &[],
            reads_need_token: false,
            hosts: &[],
            origins: &[],
            limit: Limit::DEFAULT,
            failures: Mutex::new(RefCell::new(FailureTable::new())),
        }
    }

    /// The same, with `tokens`. With at least one, a changing request needs
    /// a [`Scope::Change`] token; reads need one only with
    /// [`with_tokens_for_reads`](Self::with_tokens_for_reads).
    ///
    /// ```
    /// use urest_http::{Access, Token};
    ///
    /// let tokens = [Token::change("owner"), Token::read("dashboard")];
    /// assert_eq!(Access::new().with_tokens(&tokens).tokens(), &tokens);
    /// ```
    pub const fn with_tokens(self, tokens: &'a [Token<'a>]) -> Self {
        Access { tokens, ..self }
    }

    /// The same, with `GET`, `HEAD` and `OPTIONS` needing a token too (of
    /// either scope), if `needed`. Without tokens it changes nothing.
    ///
    /// ```
    /// use urest_http::{Access, Token};
    ///
    /// let tokens = [Token::read("r")];
    /// let access = Access::new().with_tokens(&tokens).with_tokens_for_reads(true);
    /// assert!(access.reads_need_token());
    /// ```
    pub const fn with_tokens_for_reads(self, needed: bool) -> Self {
        Access {
            reads_need_token: needed,
            ..self
        }
    }

    /// The same, answering to the DNS names `hosts` (without port, matched
    /// in any case) besides IP literals and `localhost`.
    ///
    /// ```
    /// use urest_http::Access;
    ///
    /// let access = Access::new().with_hosts(&["lights.lan"]);
    /// assert!(access.answers_to("Lights.LAN:8080"));
    /// assert!(!access.answers_to("attacker.example"));
    /// ```
    pub const fn with_hosts(self, hosts: &'a [&'a str]) -> Self {
        Access { hosts, ..self }
    }

    /// The same, letting pages from `origins` (such as
    /// `https://dashboard.lan` or `http://localhost:3000`: scheme, host and
    /// port if not the default, no path) call the device: their preflights
    /// are answered and their responses carry
    /// `Access-Control-Allow-Origin`. They still need a token where one is
    /// needed.
    ///
    /// ```
    /// use urest_http::Access;
    ///
    /// let access = Access::new().with_origins(&["https://dashboard.lan"]);
    /// assert_eq!(access.origins(), &["https://dashboard.lan"]);
    /// ```
    pub const fn with_origins(self, origins: &'a [&'a str]) -> Self {
        Access { origins, ..self }
    }

    /// The same, with another guessing limit.
    ///
    /// ```
    /// use core::time::Duration;
    /// use urest_http::{Access, Limit};
    ///
    /// let limit = Limit { failures: 3, lockout: Duration::from_secs(600) };
    /// assert_eq!(Access::new().with_limit(limit).limit(), limit);
    /// ```
    pub const fn with_limit(self, limit: Limit) -> Self {
        Access { limit, ..self }
    }

    /// The tokens.
    ///
    /// ```
    /// use urest_http::{Access, Token};
    ///
    /// let tokens = [Token::change("owner")];
    /// assert_eq!(Access::new().with_tokens(&tokens).tokens().len(), 1);
    /// ```
    pub const fn tokens(&self) -> &'a [Token<'a>] {
        self.tokens
    }

    /// Whether reads need a token (only with tokens configured).
    ///
    /// ```
    /// use urest_http::Access;
    ///
    /// // Without tokens, asking for them on reads changes nothing.
    /// assert!(!Access::new().with_tokens_for_reads(true).reads_need_token());
    /// ```
    pub const fn reads_need_token(&self) -> bool {
        self.reads_need_token && !self.tokens.is_empty()
    }

    /// The DNS names answered to besides IP literals and `localhost`.
    ///
    /// ```
    /// use urest_http::Access;
    ///
    /// assert_eq!(Access::new().with_hosts(&["a.lan"]).hosts(), &["a.lan"]);
    /// ```
    pub const fn hosts(&self) -> &'a [&'a str] {
        self.hosts
    }

    /// The origins whose pages may call the device.
    ///
    /// ```
    /// use urest_http::Access;
    ///
    /// assert!(Access::new().origins().is_empty());
    /// ```
    pub const fn origins(&self) -> &'a [&'a str] {
        self.origins
    }

    /// The guessing limit.
    ///
    /// ```
    /// use urest_http::Access;
    ///
    /// assert_eq!(Access::new().limit().failures, 5);
    /// ```
    pub const fn limit(&self) -> Limit {
        self.limit
    }

    /// Whether a request with `Host: host` is answered: `host` (with an
    /// optional port) is an IP literal, `localhost`, or one of
    /// [`hosts`](Self::hosts).
    ///
    /// ```
    /// use urest_http::Access;
    ///
    /// let access = Access::new();
    /// assert!(access.answers_to("192.168.1.20:80"));
    /// assert!(access.answers_to("[fe80::1]"));
    /// assert!(access.answers_to("localhost:8080"));
    /// assert!(!access.answers_to("rebind.attacker.example"));
    /// ```
    pub fn answers_to(&self, host: &str) -> bool {
        host::answers_to(host, self.hosts)
    }

    /// The listed origin equal to `origin` (scheme and host in any case).
    fn listed_origin(&self, origin: &str) -> Option<&'a str> {
        self.origins
            .iter()
            .copied()
            .find(|listed| listed.eq_ignore_ascii_case(origin))
    }

    /// The best scope among the tokens equal to `presented`, comparing
    /// with every token in constant time.
    fn scope_of(&self, presented: &str) -> Option<Scope> {
        let mut best = None;
        for token in self.tokens {
            if constant_time_eq(presented.as_bytes(), token.secret.as_bytes()) {
                best = best.max(Some(token.scope));
            }
        }
        best
    }

    fn with_failures<R>(&self, then: impl FnOnce(&mut FailureTable) -> R) -> R {
        critical_section::with(|cs| then(&mut self.failures.borrow_ref_mut(cs)))
    }
}

impl Default for Access<'_> {
    fn default() -> Self {
        Access::new()
    }
}

impl fmt::Debug for Access<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access")
            .field("tokens", &self.tokens)
            .field("reads_need_token", &self.reads_need_token)
            .field("hosts", &self.hosts)
            .field("origins", &self.origins)
            .field("limit", &self.limit)
            .finish()
    }
}

/// What `WWW-Authenticate` says (RFC 6750 §3).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// No token, or not a bearer token.
    Missing,
    /// A token that is not one of the device's.
    Invalid,
    /// A read token on a change.
    InsufficientScope,
}

impl Challenge {
    pub(crate) fn header(self) -> &'static str {
        match self {
            Challenge::Missing => "Bearer realm=\"urest\"",
            Challenge::Invalid => "Bearer realm=\"urest\", error=\"invalid_token\"",
            Challenge::InsufficientScope => {
                "Bearer realm=\"urest\", error=\"insufficient_scope\", scope=\"change\""
            }
        }
    }
}

/// The headers an access decision adds to a response.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct AccessHeaders<'a> {
    pub challenge: Option<Challenge>,
    /// `Access-Control-Allow-Origin`, for a listed origin.
    pub allow_origin: Option<&'a str>,
    /// `Vary: Origin`, when origins are listed.
    pub vary_origin: bool,
    /// The preflight headers (`Access-Control-Allow-Methods`, `-Headers`,
    /// `-Max-Age`).
    pub preflight: bool,
}

/// A request that may go ahead.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Admitted<'a> {
    pub headers: AccessHeaders<'a>,
    /// A CORS preflight from a listed origin, answered `204`.
    pub preflight: bool,
}

/// A request refused on its head.
#[derive(Clone, Debug)]
pub(crate) struct Refused<'a> {
    pub problem: Problem,
    pub headers: AccessHeaders<'a>,
}

/// What the rules make of a request head.
// No heap to box into: a refusal is composed into the response buffer at
// once, so the verdict lives on the stack only briefly, as a `Reply` does.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub(crate) enum Verdict<'a> {
    Admit(Admitted<'a>),
    Refuse(Refused<'a>),
}

/// The parts of a head the rules look at.
struct Head<'r> {
    method: Method,
    target: &'r str,
    headers: &'r [httparse::Header<'r>],
}

impl<'r> Head<'r> {
    fn values(&self, name: &'r str) -> impl Iterator<Item = &'r str> + '_ {
        self.headers
            .iter()
            .filter(move |header| header.name.eq_ignore_ascii_case(name))
            .map(|header| core::str::from_utf8(header.value).unwrap_or("\u{fffd}"))
    }

    fn value(&self, name: &'r str) -> Option<&'r str> {
        self.values(name).next()
    }
}

/// Whether `method` changes state (or is unknown, and so treated as if it
/// might).
fn changes(method: Method) -> bool {
    !matches!(method, Method::Get | Method::Head | Method::Options)
}

/// The secret of an `Authorization: Bearer <secret>` value, or `None` for
/// another scheme or an empty token.
fn bearer(value: &str) -> Option<&str> {
    // The head parser hands header values over without the spaces and tabs
    // around them; those between scheme and token go here. ASCII only:
    // HTTP's optional whitespace is spaces and tabs, never Unicode's wider
    // set (a no-break space is part of a token, not around it).
    let (scheme, rest) = value.split_once([' ', '\t'])?;
    let secret = rest.trim_ascii();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

/// A refusal of `problem`, with `headers`. Out of line: the problem is
/// moved into the verdict here, once, rather than at each refusal.
#[inline(never)]
fn refuse<'a>(problem: Problem, headers: AccessHeaders<'a>) -> Verdict<'a> {
    Verdict::Refuse(Refused { problem, headers })
}

impl<'a> Access<'a> {
    fn decide(&'a self, head: &Head<'_>, peer: Option<IpAddr>, now: Instant) -> Verdict<'a> {
        let mut headers = AccessHeaders {
            vary_origin: !self.origins.is_empty(),
            ..AccessHeaders::default()
        };

        // 1. DNS rebinding: the name the request was sent to.
        let authority = host::target_authority(head.target);
        for named in head.values("host").chain(authority) {
            if !self.answers_to(named) {
                return refuse(
                    problem!(
                        421,
                        "this device does not answer to the name \"",
                        &named,
                        "\"; use its IP address, or add the name to the names it answers to"
                    ),
                    headers,
                );
            }
        }

        // 2. CORS.
        let origin = head.value("origin");
        let listed = origin.and_then(|origin| self.listed_origin(origin));
        headers.allow_origin = listed;
        let preflight = head.method == Method::Options
            && origin.is_some()
            && head.value("access-control-request-method").is_some();
        if preflight {
            return match listed {
                Some(_) => Verdict::Admit(Admitted {
                    headers: AccessHeaders {
                        preflight: true,
                        ..headers
                    },
                    preflight: true,
                }),
                None => refuse(cross_origin(origin.unwrap_or("")), headers),
            };
        }

        // 3. Cross-site changes: only listed origins and the device's own.
        let change = changes(head.method);
        if let (Some(origin), None, true) = (origin, listed, change) {
            // The device's own origin: a page it (or a TLS proxy in front of
            // it) served, under the name already checked above.
            let own = head
                .value("host")
                .or(authority)
                .is_some_and(|host| is_own_origin(origin, host));
            if !own {
                return refuse(cross_origin(origin), headers);
            }
        }

        // 4. Tokens.
        if self.tokens.is_empty() {
            return Verdict::Admit(Admitted {
                headers,
                preflight: false,
            });
        }
        let presented = head.value("authorization");
        let needed = change || self.reads_need_token;
        if !needed && presented.is_none() {
            return Verdict::Admit(Admitted {
                headers,
                preflight: false,
            });
        }
        if let Some(peer) = peer {
            if let Some(wait) = self.with_failures(|table| table.locked(peer, now, self.limit)) {
                return refuse(
                    problem!(
                        429,
                        "too many wrong tokens from this address; try again later"
                    )
                    .retry_after(wait),
                    headers,
                );
            }
        }
        let Some(secret) = presented.and_then(bearer) else {
            headers.challenge = Some(Challenge::Missing);
            return refuse(
                problem!(
                    401,
                    "this request needs a token: send Authorization: Bearer <token>"
                ),
                headers,
            );
        };
        match self.scope_of(secret) {
            None => {
                if let Some(peer) = peer {
                    self.with_failures(|table| table.fail(peer, now, self.limit));
                }
                headers.challenge = Some(Challenge::Invalid);
                refuse(
                    problem!(401, "the token is not valid for this device"),
                    headers,
                )
            }
            Some(scope) => {
                if let Some(peer) = peer {
                    self.with_failures(|table| table.forget(peer));
                }
                if change && !scope.allows_changes() {
                    headers.challenge = Some(Challenge::InsufficientScope);
                    return refuse(
                        problem!(
                            403,
                            "this token may only read; changes need a read-and-change token"
                        ),
                        headers,
                    );
                }
                Verdict::Admit(Admitted {
                    headers,
                    preflight: false,
                })
            }
        }
    }
}

/// Whether `origin` is `http://host` or `https://host` (`host` with its port,
/// if any, as the `Host` header gave it).
fn is_own_origin(origin: &str, host: &str) -> bool {
    !host.is_empty()
        && ["http://", "https://"].iter().any(|scheme| {
            origin
                .strip_prefix(scheme)
                .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
        })
}

fn cross_origin(origin: &str) -> Problem {
    problem!(
        403,
        "pages from the origin \"",
        &origin,
        "\" may not change this device; its owner can list the origin"
    )
}

#[cfg(feature = "access")]
impl<'a, C: Clock> Server<'a, C> {
    /// The same server, letting in only what `access` allows (see
    /// [`Access`]): its rules run on each request head, before the body is
    /// read or any verb is called.
    ///
    /// ```
    /// use urest_http::{Access, Config, Noun, Server, Token};
    /// use urest_core::time::{Clock, Instant};
    ///
    /// struct Boot;
    /// impl Clock for Boot { fn now(&self) -> Instant { Instant::ZERO } }
    ///
    /// let tokens = [Token::change("owner-secret")];
    /// let access = Access::new().with_tokens(&tokens);
    /// let nouns: [Noun<'_>; 0] = [];
    /// let server = Server::new(&nouns, Boot, Config::default()).with_access(&access);
    /// assert_eq!(server.access().map(|access| access.tokens().len()), Some(1));
    /// ```
    pub fn with_access(self, access: &'a Access<'a>) -> Self {
        Server {
            access: Some(access),
            ..self
        }
    }

    /// The access rules in force, if any.
    ///
    /// ```
    /// use urest_http::{Config, Noun, Server};
    /// use urest_core::time::{Clock, Instant};
    ///
    /// struct Boot;
    /// impl Clock for Boot { fn now(&self) -> Instant { Instant::ZERO } }
    ///
    /// let nouns: [Noun<'_>; 0] = [];
    /// assert!(Server::new(&nouns, Boot, Config::default()).access().is_none());
    /// ```
    pub fn access(&self) -> Option<&'a Access<'a>> {
        self.access
    }
}

impl<'a, C: Clock> Server<'a, C> {
    /// The server's access rules, if it has any. Without the feature there
    /// are never rules: the compiler, seeing that, leaves them out of the
    /// firmware.
    #[inline(always)]
    pub(crate) fn access_rules(&self) -> Option<&'a Access<'a>> {
        if cfg!(feature = "access") {
            self.access
        } else {
            None
        }
    }

    /// Apply `access`, the server's rules, to the request whose head is
    /// `head`, sent by `peer` (if known).
    pub(crate) fn admit(
        &self,
        access: &'a Access<'a>,
        head: &[u8],
        method: Method,
        peer: Option<IpAddr>,
    ) -> Verdict<'a> {
        let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let Some(parsed) = crate::head::parse_with_headers(head, &mut fields) else {
            // The head parsed once already; refuse rather than let it by.
            return Verdict::Refuse(Refused {
                problem: problem!(400, "the request head could not be read"),
                headers: AccessHeaders::default(),
            });
        };
        let head = Head {
            method,
            target: parsed.target,
            headers: parsed.headers,
        };
        access.decide(&head, peer, self.clock.now())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer   abc  "), Some("abc"));
        assert_eq!(bearer("BEARER\tabc"), Some("abc"));
        assert_eq!(bearer("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer(""), None);
        // Only spaces and tabs surround a value: a no-break space is part
        // of the token (which then matches no secret).
        assert_eq!(bearer("Bearer abc\u{a0}"), Some("abc\u{a0}"));
    }

    #[test]
    fn the_own_origin_is_the_host_under_either_scheme() {
        assert!(is_own_origin("http://device", "device"));
        assert!(is_own_origin("https://Lights.lan:8443", "lights.lan:8443"));
        assert!(!is_own_origin("http://device:81", "device"));
        assert!(!is_own_origin("http://device.evil", "device"));
        assert!(!is_own_origin("ftp://device", "device"));
        assert!(!is_own_origin("http://", ""));
        assert!(!is_own_origin("null", "device"));
    }

    #[test]
    fn the_best_scope_wins_when_tokens_repeat() {
        let tokens = [Token::read("same"), Token::change("same")];
        let access = Access::new().with_tokens(&tokens);
        assert_eq!(access.scope_of("same"), Some(Scope::Change));
        assert_eq!(access.scope_of("sam"), None);
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let tokens = [Token::change("hunter2-secret")];
        let access = Access::new().with_tokens(&tokens);
        let shown = std::format!("{access:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
