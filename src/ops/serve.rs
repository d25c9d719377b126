//! `shopfront serve`, the default command: the shop over HTTP with its mail worker, stopped
//! gracefully by SIGTERM or Ctrl-C.

use crate::config::Config;
use crate::db;
use crate::mail::Mailer;
use crate::ops::{CommandError, CommandResult};
use crate::AppState;

/// Prepares the data directory, checks the mail settings, connects, loads the demo catalogue
/// into an empty shop (unless `DEMO_DATA=off`) and serves until SIGTERM or Ctrl-C.
pub fn serve(mut config: Config) -> CommandResult {
    config
        .prepare()
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    Mailer::from_config(&config).map_err(CommandError::Usage)?;
    let pool = db::connect(&config).map_err(CommandError::Failed)?;
    if config.demo_data {
        let seeded = pool.get().map_err(|e| e.to_string()).and_then(|mut conn| {
            crate::ops::demo::seed_if_empty(&mut conn).map_err(|e| e.to_string())
        });
        let seeded = seeded
            .map_err(|e| CommandError::Failed(format!("cannot load the demo catalogue: {e}")))?;
        if let Some(summary) = seeded {
            log::info!(
                "the catalogue was empty: loaded {} demo products (DEMO_DATA=off skips this)",
                summary.products
            );
        }
    }
    let listener = crate::listener::open(&config).map_err(CommandError::Failed)?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let address = listener
        .local_addr()
        .map_or_else(|_| config.bind.to_string(), |a| a.to_string());
    log::info!(
        "serving http://{address} ({:?}, {workers} workers)",
        config.engine
    );
    let state = AppState::new(config, pool);
    let result = actix_web::rt::System::new().block_on(async move {
        let signals =
            StopSignals::listen().map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
        let shop = crate::serve(state, listener, workers)?;
        actix_web::rt::spawn(stop_on_signals(signals, shop.handle()));
        shop.run()
            .await
            .map_err(|e| format!("the server stopped with an error: {e}"))
    });
    result.map_err(CommandError::Failed)?;
    log::info!("stopped");
    Ok(())
}

/// SIGTERM or Ctrl-C stops the server gracefully: no new connections, requests in flight
/// finish (within SHUTDOWN_TIMEOUT), then the mail worker finishes its mail. A second
/// signal stops at once.
async fn stop_on_signals(mut signals: StopSignals, server: actix_web::dev::ServerHandle) {
    let first = signals.next().await;
    log::info!(
        "{first}: finishing requests in flight, then stopping (a second signal stops at once)"
    );
    let graceful = server.clone();
    actix_web::rt::spawn(async move { graceful.stop(true).await });
    let second = signals.next().await;
    log::warn!("{second} again: stopping now");
    server.stop(false).await;
}

/// The signals that stop the server, listened for from before it accepts a connection.
#[cfg(unix)]
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn listen() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the next SIGTERM or SIGINT and names it.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "Ctrl-C",
        }
    }
}

#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn listen() -> std::io::Result<StopSignals> {
        Ok(StopSignals)
    }

    async fn next(&mut self) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}
