//! Why a connection ended abnormally.

use core::fmt;

/// Why [`Server::serve`](crate::Server::serve) stopped serving a connection
/// other than in an orderly way. The caller should close the connection.
///
/// ```
/// use urest_http::ConnectionError;
///
/// let error: ConnectionError<&str> = ConnectionError::Io("reset by peer");
/// assert_eq!(error.to_string(), "connection failed: \"reset by peer\"");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConnectionError<E> {
    /// The stream reported an error.
    Io(E),
    /// The stream accepted none of the bytes offered to it, so it never will.
    WriteZero,
    /// The peer took no part of a response for longer than the read timeout.
    Stalled,
    /// The peer closed its side after sending only part of a request.
    ClosedMidRequest,
    /// The buffers cannot hold even an error response: the request buffer
    /// has no room past its scratch area, or the response buffer is smaller
    /// than [`Buffers::MIN_RESPONSE`](crate::Buffers::MIN_RESPONSE).
    BuffersTooSmall,
}

impl<E: fmt::Debug> fmt::Display for ConnectionError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionError::Io(error) => write!(f, "connection failed: {error:?}"),
            ConnectionError::WriteZero => f.write_str("connection accepts no more bytes"),
            ConnectionError::Stalled => f.write_str("peer stopped reading the response"),
            ConnectionError::ClosedMidRequest => {
                f.write_str("peer closed in the middle of a request")
            }
            ConnectionError::BuffersTooSmall => {
                f.write_str("connection buffers too small for a response")
            }
        }
    }
}

impl<E: fmt::Debug> core::error::Error for ConnectionError<E> {}
