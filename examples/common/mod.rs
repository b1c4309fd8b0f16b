//! What the host examples share: answering each connection to `address` in
//! turn with a `urest-http` server, over tokio.

use urest::http::{Buffers, Config, Noun, Server};
use urest_host::{HostClock, TokioDelay};

/// Serve `nouns` on `address`, one connection at a time, until accepting
/// fails. A board serves several at once (urest-embassy's slots); one is
/// enough to try a noun with curl.
pub async fn serve_one_at_a_time(
    address: &str,
    nouns: &[Noun<'_>],
    clock: HostClock,
) -> std::io::Result<()> {
    let server = Server::new(nouns, clock, Config::default());
    let listener = tokio::net::TcpListener::bind(address).await?;
    for noun in nouns {
        println!("serving http://{address}/{}", noun.name);
    }
    let (mut request, mut response) = ([0u8; 1024], [0u8; 2048]);
    loop {
        let (stream, peer) = listener.accept().await?;
        let mut connection = embedded_io_adapters::tokio_1::FromTokio::new(stream);
        let mut buffers = Buffers::new(&mut request, &mut response);
        let served = server
            .serve(&mut connection, &mut TokioDelay, &mut buffers)
            .await;
        if let Err(error) = served {
            println!("{peer}: {error:?}");
        }
    }
}
