//! Where the server listens: a socket handed over by its parent the way systemd's socket
//! activation does (`LISTEN_FDS`, the socket at file descriptor 3), or a new one on `BIND`.
//!
//! A handed-over socket is already listening before the process starts, so nothing else can
//! take the port in between: systemd can restart the shop without refusing a connection, and
//! the tests start servers on ports that are theirs for sure.

use std::net::TcpListener;

use crate::config::Config;

/// The first descriptor of a socket-activation hand-over (`SD_LISTEN_FDS_START`).
const FIRST_HANDED_OVER_FD: i32 = 3;

/// The socket to serve on: the one handed over, if any, else a new one bound to `BIND`.
pub fn open(config: &Config) -> Result<TcpListener, String> {
    match handed_over()? {
        Some(listener) => Ok(listener),
        None => TcpListener::bind(config.bind)
            .map_err(|e| format!("BIND: cannot listen on {}: {e}", config.bind)),
    }
}

/// The socket at descriptor 3 when `LISTEN_FDS` says one was handed over to this process
/// (`LISTEN_PID` unset or this process's id).
#[cfg(unix)]
fn handed_over() -> Result<Option<TcpListener>, String> {
    use std::os::fd::FromRawFd;

    let Some(count) = std::env::var("LISTEN_FDS").ok() else {
        return Ok(None);
    };
    let pid = std::env::var("LISTEN_PID").ok();
    if pid.is_some_and(|pid| pid.trim() != std::process::id().to_string()) {
        return Ok(None);
    }
    match count.trim().parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(_) => {
            // SAFETY: the parent handed this descriptor over for us to own; nothing else in
            // this process opened or uses it.
            let listener = unsafe { TcpListener::from_raw_fd(FIRST_HANDED_OVER_FD) };
            match listener.local_addr() {
                Ok(_) => Ok(Some(listener)),
                Err(e) => Err(format!(
                    "LISTEN_FDS: descriptor {FIRST_HANDED_OVER_FD} is not a listening TCP socket: {e}"
                )),
            }
        }
        Err(_) => Err(format!(
            "LISTEN_FDS: expected a number of sockets, got {count:?}"
        )),
    }
}

#[cfg(not(unix))]
fn handed_over() -> Result<Option<TcpListener>, String> {
    Ok(None)
}
