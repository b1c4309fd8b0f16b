//! The memory of one connection slot, sized by the caller.

/// Bytes taken from the end of the request buffer to unescape JSON strings
/// (a key or value written with `\"` or `\u00e9`). Strings without escapes
/// need none of it.
pub const SCRATCH_LEN: usize = 64;

/// Bytes at the start of the response buffer kept for the status line and
/// headers, which are written after the body (the body's length is one of
/// them).
pub const RESPONSE_HEAD_ROOM: usize = 256;

/// The buffers of one connection slot.
///
/// Each slot (one task calling [`Server::serve`](crate::Server::serve)) owns
/// one `Buffers`, so the RAM a server needs is the number of slots times:
///
/// - the **request buffer**: it holds one request's head and body, plus any
///   bytes of the next request a client has already sent (pipelining). Its
///   last [`SCRATCH_LEN`] bytes are kept for unescaping JSON strings. A head
///   from curl is about 100–200 bytes, from a browser 400–800 bytes; urest
///   bodies are under 100 bytes. A head that does not fit is answered
///   `431`, a body that does not fit `413`. 1 KiB serves curl and scripts;
///   2 KiB serves browsers with a few cookies.
/// - the **response buffer**: it holds one whole response:
///   [`RESPONSE_HEAD_ROOM`] bytes for the head plus the body. A `PwmLed`
///   state with a `202` ticket is about 250 bytes, any error under 600. The
///   index at `GET /` and a noun's description for `OPTIONS` (about 1.5 KiB
///   for a `PwmLed`) are sent in one piece when they fit and otherwise one
///   attribute at a time, so they need no more room. At least
///   [`Buffers::MIN_RESPONSE`] bytes; a little more lets the index go out
///   in one write.
///
/// Nothing else grows with traffic and no heap is used. The future that
/// [`Server::serve`](crate::Server::serve) returns is 432 bytes on a
/// Cortex-M0+ (`thumbv6m-none-eabi`, measured by `scripts/measure.sh`)
/// plus the connection's and delay's own futures, and about 620 bytes on a
/// 64-bit host; the request being answered and its reply are composed
/// between reads and writes, so they live on the stack only briefly (mostly a
/// noun's state, and the request's headers when an observer or access
/// rules read them). Measured on Cortex-M in release, a whole
/// program serving a `PUT` under embassy peaks at about 6 KiB of stack
/// (`qemu/run.sh` reports it).
///
/// ```
/// use urest_http::{Buffers, SCRATCH_LEN};
///
/// let mut request = [0u8; 1024];
/// let mut response = [0u8; 2048];
/// let buffers = Buffers::new(&mut request, &mut response);
/// assert_eq!(buffers.request_capacity(), 1024 - SCRATCH_LEN);
/// ```
pub struct Buffers<'b> {
    pub(crate) request: &'b mut [u8],
    pub(crate) scratch: &'b mut [u8],
    pub(crate) response: &'b mut [u8],
}

impl<'b> Buffers<'b> {
    /// The smallest response buffer in which every error response fits.
    pub const MIN_RESPONSE: usize = 1024;

    /// Buffers for one connection slot. The request buffer's last
    /// [`SCRATCH_LEN`] bytes become the scratch area for unescaping strings.
    pub fn new(request: &'b mut [u8], response: &'b mut [u8]) -> Self {
        let keep = request.len().saturating_sub(SCRATCH_LEN);
        let (request, scratch) = request.split_at_mut(keep);
        Buffers {
            request,
            scratch,
            response,
        }
    }

    /// The largest request (head plus body) the slot accepts, in bytes.
    pub fn request_capacity(&self) -> usize {
        self.request.len()
    }

    /// The largest response body the slot can send in one piece, in bytes.
    pub fn response_capacity(&self) -> usize {
        self.response.len().saturating_sub(RESPONSE_HEAD_ROOM)
    }
}

impl core::fmt::Debug for Buffers<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Buffers")
            .field("request", &self.request.len())
            .field("scratch", &self.scratch.len())
            .field("response", &self.response.len())
            .finish()
    }
}
