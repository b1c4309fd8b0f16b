//! How long the server waits for a peer.

use core::time::Duration;

/// Settings shared by every connection of a [`Server`](crate::Server).
///
/// ```
/// use core::time::Duration;
/// use urest_http::Config;
///
/// assert_eq!(Config::default().read_timeout, Duration::from_secs(30));
/// let impatient = Config { read_timeout: Duration::from_secs(5), ..Config::default() };
/// assert!(impatient.read_timeout < Config::default().read_timeout);
/// assert!(Config::default().head_timeout < Config::default().read_timeout);
/// assert_eq!(Config::default().max_wait, Duration::from_secs(15));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// How long a peer may keep the server waiting.
    ///
    /// A request must arrive whole (head and body) within this time of its
    /// first byte, or it is answered `408 Request Timeout` and the connection
    /// closed. An idle keep-alive connection that sends nothing for this long
    /// is closed without a response. A peer that stops taking a response for
    /// this long is dropped too, so a stalled client never holds a connection
    /// slot for ever.
    pub read_timeout: Duration,

    /// How long a request head may take to arrive whole, from its first
    /// byte, before it is answered `408 Request Timeout` and the connection
    /// closed. A client on a working network sends a head in one piece; one
    /// that drips it a byte at a time holds a connection slot only this
    /// long. The [`read_timeout`](Self::read_timeout) still bounds the
    /// whole request, and the shorter of the two applies to the head.
    pub head_timeout: Duration,

    /// The longest a change may be waited for when a client asks with
    /// `Prefer: wait=N` (RFC 7240): a longer `N` is cut to this. A change
    /// still running after it is answered `202` as without the preference.
    /// The wait holds only the client's own connection; `Duration::ZERO`
    /// turns the preference off.
    pub max_wait: Duration,
}

impl Config {
    /// The original urest's timeout: thirty seconds.
    pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);

    /// A few seconds for a request head.
    pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

    /// Waits of up to fifteen seconds: longer than most fades, shorter than
    /// most clients' own timeouts.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(15);

    /// The time allowed for a head that started arriving: the shorter of the
    /// two timeouts.
    pub(crate) fn head_allowance(&self) -> Duration {
        self.head_timeout.min(self.read_timeout)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            read_timeout: Self::DEFAULT_READ_TIMEOUT,
            head_timeout: Self::DEFAULT_HEAD_TIMEOUT,
            max_wait: Self::DEFAULT_MAX_WAIT,
        }
    }
}
