//! `dcgan serve`: a local web page to watch training runs and explore their latent spaces.
//!
//! ```text
//! GET /                                  the page (assets compiled in: works offline)
//! GET /api/runs                          the runs served: name, configuration, checkpoints, grids
//! GET /api/runs/ID/metrics?after=N       metrics.jsonl records of iterations after N (polled)
//! GET /runs/ID/samples/iter_XXXXXXXX.png a sample grid (or latest.png)
//! GET /runs/ID/loss.png, /runs/ID/fid.png the run's plots
//! GET /api/runs/ID/picture/KIND?...      an explorer picture (explore::Picture) as PNG, its
//!                                        command line in the `x-dcgan-command` header
//! GET /api/runs/ID/command/KIND?...      that command line and file name, without the picture
//! ```
//!
//! Only the runs named on the command line are served, by their index; file names are checked
//! against the few a run folder holds, so no request reaches a file outside them. Bad parameters
//! are a 400 with a message naming the parameter, unknown runs and files a 404.

pub mod explore;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::device::{Device, DeviceChoice};
use crate::model::{Generator, ModelConfig};
use crate::run::RunDir;
use crate::{Error, Result};
use explore::Picture;

/// What to serve, and where.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The run folders.
    pub runs: Vec<PathBuf>,
    /// Address to listen on (default 127.0.0.1: this machine only).
    pub host: String,
    /// Port (0: any free one).
    pub port: u16,
    /// Device the explorer computes on.
    pub device: DeviceChoice,
}

struct Served {
    name: String,
    dir: RunDir,
}

type Loaded = Arc<Mutex<(Generator, ModelConfig)>>;

struct AppState {
    runs: Vec<Served>,
    device: Device,
    /// Generators by checkpoint path and modification time (a checkpoint rewritten in place is
    /// read again).
    generators: Mutex<HashMap<(PathBuf, std::time::SystemTime), Loaded>>,
}

/// Checks the runs (each must be a folder holding `config.json`), binds the address and serves
/// until the process ends; `ready` is called with the bound address first (port 0 names the
/// port it got).
pub fn serve(config: &ServeConfig, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let state = Arc::new(state(config)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::option("serve", format!("cannot start the server: {e}")))?;
    runtime.block_on(async move {
        let address = format!("{}:{}", config.host, config.port);
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|e| Error::option("port", format!("cannot listen on {address}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::option("port", format!("{address}: {e}")))?;
        ready(local);
        axum::serve(listener, router(state))
            .await
            .map_err(|e| Error::option("serve", format!("the server stopped: {e}")))
    })
}

fn state(config: &ServeConfig) -> Result<AppState> {
    if config.runs.is_empty() {
        return Err(Error::option(
            "run",
            "name at least one run folder to serve",
        ));
    }
    let mut runs: Vec<Served> = Vec::new();
    for root in &config.runs {
        let dir = RunDir::new(root);
        if !dir.config().is_file() {
            return Err(Error::format(
                root,
                "not a dcgan run folder (it has no config.json)",
            ));
        }
        let base = root
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| root.display().to_string());
        let taken = runs.iter().filter(|r| r.name.starts_with(&base)).count();
        let name = if taken == 0 {
            base
        } else {
            format!("{base} ({})", taken + 1)
        };
        runs.push(Served { name, dir });
    }
    Ok(AppState {
        runs,
        device: config.device.device()?,
        generators: Mutex::new(HashMap::new()),
    })
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(|| async { asset("index.html") }))
        .route(
            "/assets/{name}",
            get(|UrlPath(name): UrlPath<String>| async move { asset(&name) }),
        )
        .route("/api/runs", get(runs))
        .route("/api/runs/{id}/metrics", get(metrics))
        .route("/runs/{id}/samples/{file}", get(sample_grid))
        .route("/runs/{id}/{file}", get(plot))
        .route("/api/runs/{id}/picture/{kind}", get(picture))
        .route("/api/runs/{id}/command/{kind}", get(command))
        .fallback(|| async { ApiError::not_found("no such page") })
        .with_state(state)
}

/// A failed request: its status and a plain-text message.
#[derive(Debug)]
struct ApiError(StatusCode, String);

impl ApiError {
    fn not_found(what: impl Into<String>) -> Self {
        Self(StatusCode::NOT_FOUND, what.into())
    }
    fn bad(err: Error) -> Self {
        Self(StatusCode::BAD_REQUEST, err.to_string())
    }
    fn internal(err: impl std::fmt::Display) -> Self {
        Self(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.0,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{}\n", self.1),
        )
            .into_response()
    }
}

type ApiResult<T> = std::result::Result<T, ApiError>;

const INDEX: &str = include_str!("assets/index.html");
const APP: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/style.css");

fn asset(name: &str) -> Response {
    let (body, kind) = match name {
        "index.html" => (INDEX, "text/html; charset=utf-8"),
        "app.js" => (APP, "text/javascript; charset=utf-8"),
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        _ => return ApiError::not_found(format!("no asset `{name}`")).into_response(),
    };
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

fn run_of<'a>(state: &'a AppState, id: &str) -> ApiResult<&'a Served> {
    id.parse::<usize>()
        .ok()
        .and_then(|i| state.runs.get(i))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no run `{id}` (this server shows runs 0 to {})",
                state.runs.len() - 1
            ))
        })
}

/// One run as the page sees it.
#[derive(Serialize)]
struct RunInfo {
    id: usize,
    name: String,
    path: String,
    config: serde_json::Value,
    checkpoints: Vec<String>,
    samples: Vec<u64>,
    plots: Vec<&'static str>,
    training: bool,
}

fn run_info(id: usize, run: &Served) -> ApiResult<RunInfo> {
    let dir = &run.dir;
    let text = std::fs::read_to_string(dir.config())
        .map_err(|e| ApiError::internal(Error::io(dir.config(), e)))?;
    let config = serde_json::from_str(&text)
        .map_err(|e| ApiError::internal(format!("{}: {e}", dir.config().display())))?;
    let mut checkpoints: Vec<String> = dir
        .list_checkpoints()
        .map_err(ApiError::internal)?
        .into_iter()
        .filter_map(|(_, p)| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if dir.best_checkpoint().is_file() {
        checkpoints.push("best.safetensors".into());
    }
    let samples = sample_iterations(&dir.samples());
    let plots = ["loss.png", "fid.png"]
        .into_iter()
        .filter(|p| dir.root().join(p).is_file())
        .collect();
    Ok(RunInfo {
        id,
        name: run.name.clone(),
        path: dir.root().display().to_string(),
        config,
        checkpoints,
        samples,
        plots,
        training: is_training(dir),
    })
}

/// Whether a training writes the run now: its `train.lock` names a live process. (Taking the lock,
/// even shared and for a moment, could make a training starting at that moment refuse the
/// folder, so the server only reads it.)
fn is_training(dir: &RunDir) -> bool {
    std::fs::read_to_string(dir.lock_file())
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
        .is_some_and(|pid| Path::new("/proc").join(pid.to_string()).exists())
}

/// The iterations of the grids in `samples/`, in order.
fn sample_iterations(dir: &Path) -> Vec<u64> {
    let mut found: Vec<u64> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            grid_iteration(&name)
        })
        .collect();
    found.sort_unstable();
    found
}

/// `iter_XXXXXXXX.png` → its iteration; anything else → `None`.
fn grid_iteration(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("iter_")?.strip_suffix(".png")?;
    (digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

async fn runs(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let infos = state
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| run_info(i, r))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(no_store(axum::Json(infos).into_response()))
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn metrics(
    State(state): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let run = run_of(&state, &id)?;
    let mut after: Option<u64> = None;
    for (name, value) in &query {
        match name.as_str() {
            "after" => {
                after = Some(value.parse().map_err(|_| {
                    ApiError::bad(Error::option(
                        "after",
                        format!("`{value}` is not an iteration"),
                    ))
                })?)
            }
            other => {
                return Err(ApiError::bad(Error::option(
                    other,
                    "unknown parameter (metrics takes after)",
                )));
            }
        }
    }
    // A line being appended as we read is passed over: the next poll gets it whole.
    let records =
        crate::train::metrics::read_live(&run.dir.metrics()).map_err(ApiError::internal)?;
    let records: Vec<_> = records
        .into_iter()
        .filter(|r| after.is_none_or(|a| r.iteration > a))
        .collect();
    Ok(no_store(axum::Json(records).into_response()))
}

fn png(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "image/png")], bytes).into_response()
}

async fn sample_grid(
    State(state): State<Arc<AppState>>,
    UrlPath((id, file)): UrlPath<(String, String)>,
) -> ApiResult<Response> {
    let run = run_of(&state, &id)?;
    if file != "latest.png" && grid_iteration(&file).is_none() {
        return Err(ApiError::not_found(format!(
            "`{file}`: sample grids are named iter_XXXXXXXX.png or latest.png"
        )));
    }
    read_file(&run.dir.samples().join(&file)).map(|b| no_store(png(b)))
}

async fn plot(
    State(state): State<Arc<AppState>>,
    UrlPath((id, file)): UrlPath<(String, String)>,
) -> ApiResult<Response> {
    let run = run_of(&state, &id)?;
    if !matches!(file.as_str(), "loss.png" | "fid.png") {
        return Err(ApiError::not_found(format!(
            "`{file}`: a run's plots are loss.png and fid.png"
        )));
    }
    read_file(&run.dir.root().join(&file)).map(|b| no_store(png(b)))
}

fn read_file(path: &Path) -> ApiResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ApiError::not_found(format!("{} is not there (yet)", path.display()))
        } else {
            ApiError::internal(Error::io(path, e))
        }
    })
}

/// The checkpoint a picture request names (`checkpoint=NAME`, one of the run's; default the
/// newest).
fn checkpoint_of(run: &Served, query: &[(String, String)]) -> ApiResult<PathBuf> {
    let named = query
        .iter()
        .rev()
        .find(|(n, _)| n == "checkpoint")
        .map(|(_, v)| v.as_str());
    let listed = run.dir.list_checkpoints().map_err(ApiError::internal)?;
    match named {
        None => listed.last().map(|(_, p)| p.clone()).ok_or_else(|| {
            ApiError::not_found(format!(
                "{}: no checkpoint yet (the explorer needs one)",
                run.dir.root().display()
            ))
        }),
        Some("best.safetensors") if run.dir.best_checkpoint().is_file() => {
            Ok(run.dir.best_checkpoint())
        }
        Some(name) => listed
            .into_iter()
            .map(|(_, p)| p)
            .find(|p| p.file_name().is_some_and(|n| n == name))
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "checkpoint `{name}` is not one of this run's (see /api/runs)"
                ))
            }),
    }
}

fn generator(state: &AppState, path: &Path) -> Result<Loaded> {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| Error::io(path, e))?;
    let key = (path.to_path_buf(), modified);
    if let Some(g) = state.generators.lock().expect("not poisoned").get(&key) {
        return Ok(g.clone());
    }
    let (g, config) = crate::train::checkpoint::load_generator(path, &state.device)?;
    let loaded = Arc::new(Mutex::new((g, config.model)));
    let mut cache = state.generators.lock().expect("not poisoned");
    // Checkpoints come and go as a run trains: keep the few most recently loaded.
    if cache.len() >= 4 {
        cache.clear();
    }
    cache.insert(key, loaded.clone());
    Ok(loaded)
}

async fn command(
    State(state): State<Arc<AppState>>,
    UrlPath((id, kind)): UrlPath<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let run = run_of(&state, &id)?;
    let picture = Picture::parse(&kind, &query).map_err(ApiError::bad)?;
    let checkpoint = checkpoint_of(run, &query)?;
    Ok(axum::Json(serde_json::json!({
        "command": picture.command(&checkpoint),
        "file": picture.file_name(),
    }))
    .into_response())
}

async fn picture(
    State(state): State<Arc<AppState>>,
    UrlPath((id, kind)): UrlPath<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let run = run_of(&state, &id)?;
    let picture = Picture::parse(&kind, &query).map_err(ApiError::bad)?;
    if let Ok(config) = crate::train::read_run_config(&run.dir)
        && config.model.is_conditional()
    {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "{} is a conditional model ({} classes): the explorer works on unconditional \
                 models (sample this one with `dcgan sample --class`)",
                run.dir.root().display(),
                config.model.classes
            ),
        ));
    }
    let checkpoint = checkpoint_of(run, &query)?;
    let download = query.iter().any(|(n, v)| n == "download" && v != "0");
    let command = picture.command(&checkpoint);
    let state2 = state.clone();
    let path = checkpoint.clone();
    let pic = picture.clone();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
        let loaded = generator(&state2, &path)?;
        let guard = loaded.lock().expect("not poisoned");
        pic.render(&guard.0, &guard.1, &state2.device)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| match e {
        Error::InvalidOption { .. } => ApiError::bad(e),
        other => ApiError::internal(other),
    })?;
    let mut response = png(bytes);
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&command) {
        headers.insert("x-dcgan-command", v);
    }
    if download {
        let disposition = format!("attachment; filename=\"{}\"", picture.file_name());
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-dcgan-command"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_grid_names_pass() {
        assert_eq!(grid_iteration("iter_00000500.png"), Some(500));
        for bad in [
            "iter_500.png",
            "iter_0000050a.png",
            "../iter_00000500.png",
            "iter_00000500.png/..",
            "iter_00000500.PNG",
        ] {
            assert_eq!(grid_iteration(bad), None, "{bad}");
        }
    }
}
