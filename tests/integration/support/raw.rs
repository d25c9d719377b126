//! Requests written byte by byte on a TCP socket, for what an HTTP library would hide: an
//! HTTP/1.0 request, a body that arrives slowly, a header no browser would send.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long a raw read waits for the server before the test fails.
const READ_DEADLINE: Duration = super::DEADLINE;

/// An open connection to the server at `base` (`http://host:port`).
pub fn connect(base: &str) -> TcpStream {
    let address = base.trim_start_matches("http://");
    let stream = TcpStream::connect(address).expect("connect to the server");
    stream
        .set_read_timeout(Some(READ_DEADLINE))
        .expect("set a read timeout");
    stream
}

/// A response as read off the wire: the head (status line and headers) and the body bytes.
pub struct RawResponse {
    /// Status line and headers, as sent.
    pub head: String,
    /// Everything after the blank line.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {:?}", self.head))
    }

    /// The value of header `name` (case-insensitive), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// Reads until the head is complete, then whatever of the body is there until the server
/// closes the connection (or, with `Content-Length`, until that many bytes arrived).
pub fn read_response(stream: &mut TcpStream) -> RawResponse {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream
            .read(&mut chunk)
            .unwrap_or_else(|e| panic!("no response head within {READ_DEADLINE:?}: {e}"));
        assert!(n > 0, "the connection closed before a response head");
        bytes.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let mut response = RawResponse {
        head,
        body: bytes[head_end + 4..].to_vec(),
    };
    let length: Option<usize> = response
        .header("content-length")
        .and_then(|n| n.parse().ok());
    while length.is_none_or(|n| response.body.len() < n) {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => response.body.extend_from_slice(&chunk[..n]),
        }
    }
    response
}

/// Sends `request` whole on a new connection and reads the response.
pub fn exchange(base: &str, request: &[u8]) -> RawResponse {
    let mut stream = connect(base);
    stream.write_all(request).expect("send the request");
    read_response(&mut stream)
}
