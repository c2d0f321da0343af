//! A small HTTP/1.1 file server on 127.0.0.1 for the fetch tests (they cannot reach the
//! internet): it serves bytes by path, honours `Range: bytes=N-` with 206, and can be told to
//! answer with an error status or to break a transfer off after some bytes. Every request is
//! logged. Shared by the library's and the CLI's tests (`#[path]`-included by both).

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// What one path serves.
#[derive(Debug, Clone, Default)]
pub struct Served {
    pub bytes: Vec<u8>,
    /// Answer every request with this status and no body.
    pub status: Option<u16>,
    /// Break the next transfer off after this many bytes (then serve whole again).
    pub cut_after: Option<usize>,
}

/// A request as received: the path and the range's start, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub path: String,
    pub range_from: Option<usize>,
}

pub struct Server {
    pub base: String,
    pub files: Arc<Mutex<HashMap<String, Served>>>,
    pub log: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let files: Arc<Mutex<HashMap<String, Served>>> = Arc::default();
        let log: Arc<Mutex<Vec<Request>>> = Arc::default();
        let (f, l) = (files.clone(), log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
                let mut range_from = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(r) = lower.strip_prefix("range: bytes=") {
                        range_from = r.trim().trim_end_matches('-').parse().ok();
                    }
                }
                l.lock().unwrap().push(Request {
                    path: path.clone(),
                    range_from,
                });
                let served = {
                    let mut files = f.lock().unwrap();
                    let entry = files.get_mut(path.trim_start_matches('/'));
                    entry.map(|e| {
                        let s = e.clone();
                        e.cut_after = None;
                        s
                    })
                };
                let reply = |stream: &mut std::net::TcpStream, status: &str, headers: String| {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\n{headers}Connection: close\r\n\r\n"
                    );
                };
                match served {
                    None => reply(&mut stream, "404 Not Found", "Content-Length: 0\r\n".into()),
                    Some(Served {
                        status: Some(code), ..
                    }) => reply(
                        &mut stream,
                        &format!("{code} Error"),
                        "Content-Length: 0\r\n".into(),
                    ),
                    Some(s) => {
                        let from = range_from.unwrap_or(0);
                        if from >= s.bytes.len() && range_from.is_some() {
                            reply(
                                &mut stream,
                                "416 Range Not Satisfiable",
                                "Content-Length: 0\r\n".into(),
                            );
                            continue;
                        }
                        let body = &s.bytes[from..];
                        let status = if range_from.is_some() {
                            "206 Partial Content"
                        } else {
                            "200 OK"
                        };
                        reply(
                            &mut stream,
                            status,
                            format!("Content-Length: {}\r\n", body.len()),
                        );
                        let send = s.cut_after.map_or(body.len(), |c| c.min(body.len()));
                        let _ = stream.write_all(&body[..send]);
                    }
                }
                let _ = stream.flush();
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        });
        Self { base, files, log }
    }

    pub fn serve(&self, path: &str, served: Served) {
        self.files.lock().unwrap().insert(path.to_string(), served);
    }

    pub fn requests(&self, path: &str) -> Vec<Request> {
        let want = format!("/{path}");
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == want)
            .cloned()
            .collect()
    }
}
