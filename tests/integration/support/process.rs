//! The real `shopfront` binary as a child process: run a command, or serve and wait until it
//! answers; stop it with a signal and read how it ended.

use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use super::{Client, TestDb};

/// `shopfront ARGS` on `db`, with nothing from the test's environment but `PATH`.
pub fn shopfront(db: &TestDb, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shopfront"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", db.data_dir())
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Runs `shopfront ARGS` to the end.
pub fn run(db: &TestDb, env: &[(&str, &str)], args: &[&str]) -> Output {
    shopfront(db, env, args).output().expect("run shopfront")
}

/// What a finished command wrote to standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A running server, killed when dropped if it is still running.
pub struct Running(Child);

impl Running {
    /// Sends `signal` (`libc::SIGTERM`, `libc::SIGKILL`, …).
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.0.id()).expect("a pid");
        // SAFETY: kill(2) only sends a signal; the pid is our own child, not yet reaped.
        let sent = unsafe { libc::kill(pid, signal) };
        assert_eq!(sent, 0, "kill({pid}, {signal})");
    }

    /// Waits for the process to end, at most `limit`.
    pub fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.try_wait().expect("wait for the server") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server still runs after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `shopfront serve` and waits until /healthz answers.
pub fn serve(db: &TestDb, env: &[(&str, &str)]) -> (Running, Client) {
    serve_logging(db, env, Stdio::null())
}

/// Starts `shopfront serve` with its log going to `log`, and waits until /healthz answers.
pub fn serve_logging(db: &TestDb, env: &[(&str, &str)], log: Stdio) -> (Running, Client) {
    let (running, bind) = start(db, env, log);
    (running, wait_until_serving(&bind))
}

/// Starts `shopfront serve` without waiting; returns it and its address. The listening
/// socket is bound here and handed over as systemd does (`LISTEN_FDS`, descriptor 3), so
/// the port is the server's from the start: no other test can take it in between, and
/// whatever answers on it is this process.
pub fn start(db: &TestDb, env: &[(&str, &str)], log: Stdio) -> (Running, String) {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;

    let listener = TcpListener::bind("127.0.0.1:0").expect("a listening socket");
    let bind = listener.local_addr().expect("its address").to_string();
    let mut all_env = vec![("BIND", bind.as_str()), ("LISTEN_FDS", "1")];
    all_env.extend_from_slice(env);
    let mut command = shopfront(db, &all_env, &[]);
    let fd = listener.as_raw_fd();
    // SAFETY: between fork and exec only async-signal-safe calls: dup2 and fcntl.
    unsafe {
        command.pre_exec(move || {
            // dup2 clears close-on-exec on the copy; a socket already at 3 needs it cleared.
            let handed = if fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, 3)
            };
            if handed < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start");
    (Running(child), bind)
}

/// A client for the server at `bind` once its /healthz answers.
pub fn wait_until_serving(bind: &str) -> Client {
    let client = Client::new(&format!("http://{bind}"));
    super::eventually(&format!("shopfront to answer /healthz on {bind}"), || {
        client
            .try_get("/healthz")
            .is_ok_and(|page| page.status == 200)
            .then_some(())
    });
    client
}
