//! The browser test's machinery: the real server, chromedriver, headless Chromium with
//! JavaScript off, and helpers that act through WebDriver the way a person would (typing,
//! clicking, choosing) — never by running scripts in the page.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::fake_stripe::{FakeStripe, SECRET_KEY, WEBHOOK_SECRET};

/// The password every journey uses.
pub const PASSWORD: &str = "violet tractor moonlight";

/// Chromium's switches: headless, no sandbox (CI runs as root), and nothing that would reach
/// outside 127.0.0.1. Scripts are off for every page.
const CHROMIUM_ARGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--blink-settings=scriptEnabled=false",
];

/// How long a step may wait for the server, the driver or a mail.
const PATIENCE: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `child` listens on `port`; `false` when it exited first (the port was taken
/// between choosing it and the child binding it).
fn wait_for_port(child: &mut Child, port: u16, what: &str) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not open port {port} within {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    true
}

/// Hands `listener` to `command` as descriptor 3, the way systemd's socket activation
/// does (`LISTEN_FDS=1`): the port is the child's from the start.
fn hand_over(command: &mut Command, listener: &TcpListener) {
    use std::os::fd::AsRawFd;
    let fd = listener.as_raw_fd();
    command.env("LISTEN_FDS", "1");
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
}

fn find_program(env: &str, candidates: &[&str]) -> Option<String> {
    if let Ok(path) = std::env::var(env) {
        return Path::new(&path).exists().then_some(path);
    }
    candidates
        .iter()
        .find(|p| Path::new(p).exists())
        .map(|p| p.to_string())
}

/// A child process killed when dropped; when it leads a process group of its own (the
/// driver, whose Chromium processes are in its group), the whole group goes with it.
struct Running {
    child: Child,
    own_group: bool,
}

impl Running {
    fn new(child: Child) -> Running {
        Running {
            child,
            own_group: false,
        }
    }

    /// A child started with `process_group(0)`: its pid is its group's id.
    fn group_leader(child: Child) -> Running {
        Running {
            child,
            own_group: true,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let pid = i32::try_from(self.child.id()).unwrap_or(0);
        // Never anything but the child's own group: a negative 1 or 0 would mean every process.
        if self.own_group && pid > 1 {
            // SAFETY: kill(2) with a negative id signals only that process group.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running shop, a driver and a browser pointed at it.
pub struct Harness {
    /// The WebDriver session.
    pub client: Client,
    /// `http://127.0.0.1:PORT` of the shop.
    pub base: String,
    /// The fake Stripe the shop takes cards through; its hosted page is what the browser
    /// pays on.
    pub fake: FakeStripe,
    env: Vec<(String, String)>,
    data: tempfile::TempDir,
    _profile: tempfile::TempDir,
    _server: Running,
    _driver: Running,
}

/// Where Chromium and its driver are.
#[derive(Debug, Clone)]
pub struct Browser {
    chromium: String,
    driver: String,
}

impl Browser {
    /// Chromium and chromedriver from `CHROMIUM` and `CHROMEDRIVER`, or Debian's places.
    pub fn find() -> Option<Browser> {
        let chromium = find_program(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        )?;
        let driver = find_program("CHROMEDRIVER", &["/usr/bin/chromedriver"])?;
        Some(Browser { chromium, driver })
    }
}

impl Harness {
    /// Starts the shop, the driver and the browser.
    pub async fn start(browser: Browser) -> Harness {
        let Browser { chromium, driver } = browser;
        let data = tempfile::tempdir().expect("a data dir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a socket for the shop");
        let port = listener.local_addr().expect("its address").port();
        let base = format!("http://127.0.0.1:{port}");
        let fake = FakeStripe::start();
        fake.deliver_webhooks_to(&format!("{base}/payments/stripe/webhook"));
        let env: Vec<(String, String)> = vec![
            ("STRIPE_SECRET_KEY".into(), SECRET_KEY.into()),
            ("STRIPE_API_BASE".into(), fake.base.clone()),
            ("STRIPE_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into()),
            (
                "DATA_DIR".into(),
                data.path().to_string_lossy().into_owned(),
            ),
            ("BIND".into(), format!("127.0.0.1:{port}")),
            ("PUBLIC_URL".into(), base.clone()),
            ("DEMO_DATA".into(), "off".into()),
            ("BCRYPT_COST".into(), "4".into()),
            ("RUST_LOG".into(), "warn".into()),
        ];
        let harness_env = env.clone();
        let shop = |args: &[&str]| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_shopfront"));
            command.args(args).env_remove("DATABASE_URL");
            for (k, v) in &harness_env {
                command.env(k, v);
            }
            command
        };
        // A fresh database, filled on purpose (DEMO_DATA is off for the server).
        let seeded = shop(&["seed-demo"]).output().expect("run seed-demo");
        assert!(
            seeded.status.success(),
            "{}",
            String::from_utf8_lossy(&seeded.stderr)
        );
        let log = std::fs::File::create(data.path().join("server.log")).expect("a log file");
        let mut serve = shop(&[]);
        hand_over(&mut serve, &listener);
        let mut server = Running::new(
            serve
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start shopfront"),
        );
        drop(listener);
        assert!(
            wait_for_port(&mut server.child, port, "shopfront"),
            "shopfront exited; see its log in {}",
            data.path().display()
        );

        // chromedriver binds its own port: when another process took it first, try another.
        let (driver, driver_port) = (0..3)
            .find_map(|_| {
                let port = free_port();
                let mut driver = Running::group_leader(
                    Command::new(&driver)
                        .arg(format!("--port={port}"))
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .process_group(0)
                        .spawn()
                        .expect("start chromedriver"),
                );
                wait_for_port(&mut driver.child, port, "chromedriver").then_some((driver, port))
            })
            .expect("chromedriver could not listen on any of three ports");

        let profile = tempfile::tempdir().expect("a browser profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push("--window-size=1280,900".into());
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), serde_json::json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .expect("a WebDriver session");
        Harness {
            client,
            base,
            fake,
            env,
            data,
            _profile: profile,
            _server: server,
            _driver: driver,
        }
    }

    /// Ends the browser session (the processes stop when the harness is dropped).
    pub async fn finish(self) {
        let _ = self.client.clone().close().await;
    }

    /// Opens a path of the shop.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path (and query) of the page shown.
    pub async fn current_path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let element = match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no {css} on {}: {e}", self.current_path_or_unknown().await),
        };
        element.text().await.expect("its text").trim().to_string()
    }

    /// Where the browser is and what its page says, for a failure message.
    async fn current_path_or_unknown(&self) -> String {
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(_) => "an unknown page".into(),
        };
        let main = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        format!("{url}, which says:\n{main}")
    }

    /// The visible texts of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for element in self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("a query")
        {
            out.push(element.text().await.expect("its text").trim().to_string());
        }
        out
    }

    /// The page's main heading.
    pub async fn h1(&self) -> String {
        self.text("h1").await
    }

    /// Types `value` into the field matching `css`, replacing what it held.
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no field {css}: {e}"));
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Chooses the option with `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
    }

    /// Clicks the link or button matching `css` and waits until the next page has replaced
    /// this one (so nothing is read from the page being left).
    pub async fn click(&self, css: &str) {
        let before = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        self.choose(css).await;
        let deadline = Instant::now() + PATIENCE;
        while before.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "clicking {css} did not lead to another page"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Clicks the element matching `css` where that does not leave the page (a radio button).
    pub async fn choose(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing to click at {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Logs in through the login form.
    pub async fn log_in(&self, email: &str, password: &str) {
        self.open("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("form[action='/login'] button").await;
    }

    /// The newest link containing `marker` in a mail to `to`, read from MAIL_DIR.
    pub async fn mailed_link(&self, to: &str, marker: &str) -> String {
        let dir = self.data.path().join("mail");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
            files.sort();
            for file in files.iter().rev() {
                let text = std::fs::read_to_string(file).unwrap_or_default();
                let addressed = text
                    .lines()
                    .any(|l| l.starts_with("To: ") && l.contains(to));
                if let (true, Some(start)) = (addressed, text.find(marker)) {
                    let begin = text[..start].rfind("http").expect("an absolute link");
                    let link: String = text[begin..]
                        .chars()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    assert!(link.starts_with(&self.base), "links use PUBLIC_URL: {link}");
                    return link;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {to} with {marker} in {}",
                dir.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `shopfront create-admin` with the password on standard input.
    pub fn create_admin(&self, email: &str, password: &str) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shopfront"));
        command
            .args(["create-admin", "--email", email])
            .env_remove("DATABASE_URL");
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run create-admin");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Writes a small PNG to disk for an upload and returns its path.
    pub fn write_image(&self) -> String {
        const PNG: &[u8] = &[
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
            0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
            0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78,
            0xDA, 0x63, 0xFC, 0xCF, 0xC0, 0x50, 0x0F, 0x00, 0x04, 0x85, 0x01, 0x80, 0x84, 0xA9,
            0x8C, 0x21, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
        ];
        let path = self.data.path().join("lamp.png");
        std::fs::write(&path, PNG).expect("write the image");
        path.to_string_lossy().into_owned()
    }

    /// Saves the page as `target/screenshots/{name}-390.png` and `{name}-1280.png`.
    pub async fn screenshots(&self, name: &str) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join("screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshot directory");
        for (width, height) in [(390, 844), (1280, 900)] {
            self.client
                .set_window_size(width, height)
                .await
                .expect("resize the window");
            let png = self.client.screenshot().await.expect("a screenshot");
            std::fs::write(dir.join(format!("{name}-{width}.png")), png)
                .expect("save the screenshot");
        }
    }
}

/// "$1,234.56" or "-$14.90" in cents.
pub fn cents(shown: &str) -> i64 {
    let negative = shown.trim().starts_with('-');
    let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
    let value: i64 = digits
        .parse()
        .unwrap_or_else(|_| panic!("not an amount: {shown:?}"));
    if negative {
        -value
    } else {
        value
    }
}

/// A page on another origin (another port of 127.0.0.1) with forms aimed at the shop.
pub struct Attacker {
    /// Where it is served.
    pub url: String,
}

/// Serves the attacker's page from a thread for the rest of the test.
pub fn attacker_page(shop: &str, product_id: &str) -> Attacker {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the other site");
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let page = format!(
        "<!doctype html><html><head><title>You won!</title></head><body>\
         <h1>You won a prize</h1>\
         <form action=\"{shop}/cart/items\" method=\"post\">\
         <input type=\"hidden\" name=\"product_id\" value=\"{product_id}\">\
         <input type=\"hidden\" name=\"quantity\" value=\"5\">\
         <button id=\"claim\">Claim your prize</button></form>\
         <form action=\"{shop}/logout\" method=\"post\"><button id=\"leave\">Continue</button></form>\
         <script>document.forms[0].submit()</script>\
         </body></html>"
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    Attacker { url }
}
