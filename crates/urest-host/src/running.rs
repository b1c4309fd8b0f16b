//! A host on a thread of its own, for tests and embedding in programs that
//! are not built around a current-thread tokio runtime.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::config::HostConfig;
use crate::error::Error;
use crate::nouns::Probe;
use crate::server::Host;

/// Start a host for `config` on a new thread with its own current-thread
/// tokio runtime; returns once it is listening.
///
/// ```
/// use std::io::{Read, Write};
/// use std::net::TcpStream;
/// use urest_host::HostConfig;
///
/// let host = urest_host::start(HostConfig { port: 0, quiet: true, ..HostConfig::default() })?;
/// let mut client = TcpStream::connect(host.addr()).unwrap();
/// client.write_all(b"GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
/// let mut response = String::new();
/// client.read_to_string(&mut response).unwrap();
/// assert!(response.starts_with("HTTP/1.1 200"));
/// host.stop()?;
/// # Ok::<(), urest_host::Error>(())
/// ```
pub fn start(config: HostConfig) -> Result<Running, Error> {
    let (ready, listening) = mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("urest-host".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = ready.send(Err(Error::Runtime(error)));
                    return;
                }
            };
            runtime.block_on(async move {
                let host = match Host::bind(config).await {
                    Ok(host) => host,
                    Err(error) => {
                        let _ = ready.send(Err(error));
                        return;
                    }
                };
                let token = host.generated_token().map(str::to_owned);
                let _ = ready.send(Ok((host.local_addr(), host.probe(), token)));
                // Dropping the handle without `stop` stops the host too.
                host.serve(async {
                    let _ = stopped.await;
                })
                .await;
            });
        })
        .map_err(Error::Runtime)?;
    let (addr, probe, generated_token) = listening.recv().map_err(|_| Error::Panicked)??;
    Ok(Running {
        addr,
        probe,
        generated_token,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// A host running on its own thread. Dropping it stops the host and waits
/// for it, like [`stop`](Self::stop).
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    probe: Probe,
    generated_token: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// The address the host listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of the API, such as `http://127.0.0.1:43125`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The token the host made up at start, if it is bound to an address
    /// other than loopback and was given none (see
    /// [`Host::generated_token`](crate::Host::generated_token)).
    ///
    /// ```
    /// use urest_host::HostConfig;
    ///
    /// let host = urest_host::start(HostConfig { port: 0, quiet: true, ..HostConfig::default() })?;
    /// assert_eq!(host.generated_token(), None); // loopback: no token needed
    /// # Ok::<(), urest_host::Error>(())
    /// ```
    pub fn generated_token(&self) -> Option<&str> {
        self.generated_token.as_deref()
    }

    /// The host's mock hardware.
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// Stop accepting, let responses under way finish, and wait for the
    /// host's thread to end.
    pub fn stop(mut self) -> Result<(), Error> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<(), Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| Error::Panicked),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
