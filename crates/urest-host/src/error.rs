//! Why a host could not start or stopped unexpectedly.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use crate::config::ConfigError;

/// Why a host could not start, or stopped other than by being told to.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is inconsistent.
    Config(ConfigError),
    /// The listening socket could not be opened.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: io::Error,
    },
    /// The runtime or the server thread could not be started.
    Runtime(io::Error),
    /// A noun's mock hardware failed while being set up.
    Hardware(String),
    /// The server thread panicked.
    Panicked,
    /// The log could not take over `tracing`: another subscriber is
    /// installed.
    LogInstalled,
    /// The operating system's random number generator failed, so no token
    /// could be made up for a host reachable from other machines.
    Random(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(error) => write!(f, "invalid configuration: {error}"),
            Error::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Error::Runtime(error) => write!(f, "cannot start the server: {error}"),
            Error::Hardware(noun) => write!(f, "the hardware of noun \"{noun}\" failed"),
            Error::Panicked => f.write_str("the server thread panicked"),
            Error::LogInstalled => {
                f.write_str("cannot log to stdout: a tracing subscriber is installed already")
            }
            Error::Random(error) => {
                write!(f, "cannot make up a token ({error}); give one with --token")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(error) => Some(error),
            Error::Bind { source, .. } | Error::Runtime(source) => Some(source),
            Error::Hardware(_) | Error::Panicked | Error::LogInstalled | Error::Random(_) => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::Config(error)
    }
}
