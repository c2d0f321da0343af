// dcgan serve: the live view of a run and the latent explorer. Plain JavaScript and SVG, served
// from the binary (no network access needed).
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  runs: [], run: 0, records: [], lastIter: 0, samples: [], view: "live",
  sheetStart: 0, picked: [], groups: { a: [], b: [], c: [] }, commands: {},
};
const WALK_STEPS = 8;
const SHEET = 64;

// ---------------------------------------------------------------- data
async function getJson(url) {
  const r = await fetch(url, { cache: "no-store" });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

function status(text) { $("status").textContent = text; }

async function refreshRuns() {
  state.runs = await getJson("/api/runs");
  const sel = $("run");
  if (sel.options.length !== state.runs.length) {
    sel.innerHTML = "";
    for (const r of state.runs) sel.add(new Option(r.name, r.id));
    sel.value = state.run;
  }
  const run = state.runs[state.run];
  $("config").textContent = JSON.stringify(run.config, null, 2);
  state.samples = run.samples;
  const ck = $("checkpoint");
  const names = run.checkpoints.slice().reverse();
  if ([...ck.options].map((o) => o.value).join() !== names.join()) {
    const keep = ck.value;
    ck.innerHTML = "";
    for (const n of names) ck.add(new Option(n, n));
    if (names.includes(keep)) ck.value = keep;
    if (state.view === "explore") refreshExplorer();
  }
  return run;
}

async function poll() {
  try {
    const run = await refreshRuns();
    const fresh = await getJson(`/api/runs/${state.run}/metrics?after=${state.lastIter}`);
    if (fresh.length) {
      state.records.push(...fresh);
      state.lastIter = fresh[fresh.length - 1].iteration;
      drawCharts();
    }
    updateGridSlider();
    status(`${run.training ? "training" : "not training"} · iteration ${state.lastIter}` +
      ` · ${run.checkpoints.length} checkpoint(s)`);
  } catch (e) {
    status(`cannot reach the server: ${e.message}`);
  }
}

// ---------------------------------------------------------------- live view
function updateGridSlider() {
  const s = $("grid-slider");
  s.max = Math.max(state.samples.length - 1, 0);
  if ($("grid-follow").checked) s.value = s.max;
  showGrid();
}

function showGrid() {
  if (!state.samples.length) { $("grid-iter").textContent = "(none yet)"; return; }
  const it = state.samples[+$("grid-slider").value];
  const name = `iter_${String(it).padStart(8, "0")}.png`;
  const src = `/runs/${state.run}/samples/${name}`;
  if ($("grid").dataset.src !== src) { $("grid").src = src; $("grid").dataset.src = src; }
  $("grid-iter").textContent = `at iteration ${it}`;
}

// Centred moving average over 2% of the points (as loss.png draws it).
function smooth(ys) {
  const n = ys.length;
  if (n < 20) return ys.slice();
  const half = Math.max(1, Math.floor(n / 100));
  const pre = [0];
  for (const y of ys) pre.push(pre[pre.length - 1] + y);
  return ys.map((_, i) => {
    const a = Math.max(0, i - half), b = Math.min(n, i + half + 1);
    return (pre[b] - pre[a]) / (b - a);
  });
}

function niceTicks(lo, hi, count) {
  const span = hi - lo || 1;
  const step0 = span / count, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= count) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function lineChart(svg, series, w, h) {
  const pad = { l: 52, r: 12, t: 10, b: 26 };
  const pts = series.flatMap((s) => s.points);
  if (!pts.length) { svg.innerHTML = ""; return; }
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]).filter(Number.isFinite).sort((a, b) => a - b);
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (x1 === x0) x1 = x0 + 1;
  let y0 = ys[Math.floor(ys.length * 0.005)], y1 = ys[Math.ceil(ys.length * 0.995) - 1];
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const px = (x) => pad.l + (x - x0) / (x1 - x0) * (w - pad.l - pad.r);
  const py = (y) => h - pad.b - (Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0) * (h - pad.t - pad.b);
  let out = "";
  for (const t of niceTicks(y0, y1, 6)) {
    out += `<line class="grid" x1="${pad.l}" x2="${w - pad.r}" y1="${py(t)}" y2="${py(t)}"/>` +
      `<text x="${pad.l - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>`;
  }
  for (const t of niceTicks(x0, x1, 8)) {
    out += `<line class="grid" y1="${pad.t}" y2="${h - pad.b}" x1="${px(t)}" x2="${px(t)}"/>` +
      `<text x="${px(t)}" y="${h - 8}" text-anchor="middle">${t}</text>`;
  }
  out += `<line class="axis" x1="${pad.l}" x2="${pad.l}" y1="${pad.t}" y2="${h - pad.b}"/>` +
    `<line class="axis" x1="${pad.l}" x2="${w - pad.r}" y1="${h - pad.b}" y2="${h - pad.b}"/>`;
  const path = (p) => p.map((q, i) => `${i ? "L" : "M"}${px(q[0]).toFixed(1)},${py(q[1]).toFixed(1)}`).join("");
  series.forEach((s, k) => {
    out += `<path d="${path(s.points)}" fill="none" stroke="${s.light}" stroke-width="1"/>`;
    const sm = smooth(s.points.map((p) => p[1]));
    out += `<path d="${path(s.points.map((p, i) => [p[0], sm[i]]))}" fill="none" stroke="${s.color}" stroke-width="2"/>`;
    out += `<rect x="${w - 130}" y="${14 + 16 * k}" width="18" height="3" fill="${s.color}"/>` +
      `<text x="${w - 106}" y="${19 + 16 * k}">${s.label}</text>`;
  });
  svg.innerHTML = out;
}

function drawCharts() {
  const r = state.records;
  lineChart($("loss-chart"), [
    { label: "Loss_D", color: "#d62728", light: "#f1b5b5", points: r.map((x) => [x.iteration, x.loss_d]) },
    { label: "Loss_G", color: "#1f77b4", light: "#b3d1ea", points: r.map((x) => [x.iteration, x.loss_g]) },
  ], 640, 300);
  const ev = r.filter((x) => x.eval);
  // (An <svg> ignores the hidden attribute: its display is set instead.)
  $("eval-title").hidden = !ev.length;
  $("eval-chart").style.display = ev.length ? "" : "none";
  if (ev.length) {
    lineChart($("eval-chart"), [
      { label: "FID", color: "#2ca02c", light: "#2ca02c", points: ev.map((x) => [x.iteration, x.eval.fid]) },
    ], 640, 220);
  }
  const last = r[r.length - 1];
  if (last) {
    const rows = [["iteration", last.iteration], ["epoch", last.epoch], ["Loss_D", last.loss_d.toFixed(4)],
      ["Loss_G", last.loss_g.toFixed(4)], ["D(x)", last.d_x.toFixed(4)],
      ["D(G(z))", `${last.d_g_z1.toFixed(4)} / ${last.d_g_z2.toFixed(4)}`],
      ["seconds / iteration", last.seconds.toFixed(3)]];
    $("latest").innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join("");
  }
}

// ---------------------------------------------------------------- explorer
function pictureUrl(kind, params) {
  const q = new URLSearchParams();
  const ck = $("checkpoint").value;
  if (ck) q.append("checkpoint", ck);
  for (const [k, v] of params) q.append(k, v);
  return `/api/runs/${state.run}/picture/${kind}?${q}`;
}

// Loads a picture into <img>, remembering the command that reproduces it.
async function showPicture(img, key, label, kind, params) {
  const url = pictureUrl(kind, params);
  img.dataset.want = url;
  const r = await fetch(url);
  if (img.dataset.want !== url) return; // a newer request replaced this one
  if (!r.ok) { status(`${label}: ${await r.text()}`); return; }
  const blob = await r.blob();
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(blob);
  img.dataset.loaded = url;
  state.commands[key] = { label, url, command: r.headers.get("x-dcgan-command") };
  drawCommands();
}

function drawCommands() {
  const list = $("commands");
  list.innerHTML = "";
  for (const c of Object.values(state.commands)) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `${c.url}&download=1`;
    a.textContent = `download ${c.label}`;
    const code = document.createElement("code");
    code.textContent = c.command;
    li.append(a, code);
    list.append(li);
  }
}

function refreshSheet() {
  const sheet = $("sheet");
  sheet.innerHTML = "";
  for (let s = state.sheetStart; s < state.sheetStart + SHEET; s++) {
    const tile = document.createElement("div");
    tile.className = "tile" + (state.picked.includes(s) ? " picked" : "");
    tile.dataset.seed = s;
    const img = document.createElement("img");
    img.src = pictureUrl("seed", [["seed", s]]);
    img.alt = `seed ${s}`;
    tile.append(img, document.createTextNode(s));
    tile.onclick = () => togglePick(s);
    sheet.append(tile);
  }
  const last = state.sheetStart + SHEET - 1;
  state.commands.sheet = {
    label: "contact sheet", url: pictureUrl("sheet", [["seeds", `${state.sheetStart}-${last}`]]),
    command: "",
  };
  getJson(state.commands.sheet.url.replace("/picture/", "/command/")).then((c) => {
    state.commands.sheet.command = c.command;
    drawCommands();
  });
}

function togglePick(seed) {
  const i = state.picked.indexOf(seed);
  if (i >= 0) {
    state.picked.splice(i, 1);
    for (const g of Object.values(state.groups)) { const j = g.indexOf(seed); if (j >= 0) g.splice(j, 1); }
  } else {
    state.picked.push(seed);
  }
  for (const t of document.querySelectorAll(".tile")) t.classList.toggle("picked", state.picked.includes(+t.dataset.seed));
  refreshExplorerParts();
}

function trayTile(seed, from) {
  const t = document.createElement("div");
  t.className = "tile";
  t.draggable = true;
  t.dataset.seed = seed;
  const img = document.createElement("img");
  img.src = pictureUrl("seed", [["seed", seed]]);
  img.alt = `seed ${seed}`;
  t.append(img, document.createTextNode(seed));
  t.ondragstart = (e) => e.dataTransfer.setData("text/plain", JSON.stringify({ seed, from }));
  if (from !== "picked") t.onclick = () => { removeFrom(from, seed); refreshExplorerParts(); };
  return t;
}

function removeFrom(group, seed) {
  const g = state.groups[group];
  const i = g.indexOf(seed);
  if (i >= 0) g.splice(i, 1);
}

function drawTrays() {
  const picked = $("picked");
  picked.innerHTML = "";
  for (const s of state.picked) picked.append(trayTile(s, "picked"));
  for (const g of ["a", "b", "c"]) {
    const tray = $(`group-${g}`);
    tray.innerHTML = "";
    for (const s of state.groups[g]) tray.append(trayTile(s, g));
  }
}

function setupDrops() {
  for (const tray of document.querySelectorAll(".drop")) {
    tray.ondragover = (e) => { e.preventDefault(); tray.classList.add("over"); };
    tray.ondragleave = () => tray.classList.remove("over");
    tray.ondrop = (e) => {
      e.preventDefault();
      tray.classList.remove("over");
      const { seed, from } = JSON.parse(e.dataTransfer.getData("text/plain"));
      moveTo(tray.dataset.group, seed, from);
    };
  }
  const picked = $("picked");
  picked.ondragover = (e) => e.preventDefault();
  picked.ondrop = (e) => {
    e.preventDefault();
    const { seed, from } = JSON.parse(e.dataTransfer.getData("text/plain"));
    if (from !== "picked") { removeFrom(from, seed); refreshExplorerParts(); }
  };
}

// Puts `seed` into group `to` (from the picked tray: a copy; from another group: a move).
function moveTo(to, seed, from = "picked") {
  if (from !== "picked") removeFrom(from, seed);
  if (!state.groups[to].includes(seed)) state.groups[to].push(seed);
  refreshExplorerParts();
}

function refreshWalk() {
  const n = state.picked.length;
  const slider = $("walk-slider");
  if (n < 2) {
    $("walk-pos").textContent = "pick two seeds or more";
    delete state.commands.walk;
    delete state.commands.frame;
    drawCommands();
    return;
  }
  slider.max = (n - 1) * WALK_STEPS;
  if (state.initialFrame !== undefined) { slider.value = state.initialFrame; delete state.initialFrame; }
  if (+slider.value > +slider.max) slider.value = slider.max;
  const seeds = state.picked.join(",");
  const slerp = $("walk-slerp").checked ? "1" : "0";
  const f = +slider.value;
  $("walk-pos").textContent = `frame ${f} of ${slider.max}: between seeds ` +
    `${state.picked[Math.min(Math.floor(f / WALK_STEPS), n - 2)]} and ${state.picked[Math.min(Math.floor(f / WALK_STEPS) + 1, n - 1)]}`;
  showPicture($("walk-frame"), "frame", "this frame", "frame",
    [["seeds", seeds], ["steps", WALK_STEPS], ["slerp", slerp], ["frame", f]]);
  const walkUrl = pictureUrl("walk", [["seeds", seeds], ["steps", WALK_STEPS], ["slerp", slerp]]);
  getJson(walkUrl.replace("/picture/", "/command/")).then((c) => {
    state.commands.walk = { label: "walk figure", url: walkUrl, command: c.command };
    drawCommands();
  });
}

function terms() {
  const out = [];
  if (state.groups.a.length) out.push(["term", "+" + state.groups.a.join(",")]);
  if (state.groups.b.length) out.push(["term", "-" + state.groups.b.join(",")]);
  if (state.groups.c.length) out.push(["term", "+" + state.groups.c.join(",")]);
  return out;
}

function refreshArithmetic() {
  const t = terms();
  if (!t.length) { $("arith").removeAttribute("src"); delete state.commands.arithmetic; drawCommands(); return; }
  showPicture($("arith"), "arithmetic", "arithmetic figure", "arithmetic", t);
}

function refreshTurn() {
  const { a, b } = state.groups;
  const seed = state.picked[0];
  const alpha = +$("turn-slider").value / 100;
  if (!a.length || !b.length || seed === undefined) {
    $("turn-pos").textContent = "needs a picked seed, and seeds in A and B";
    delete state.commands.turn;
    delete state.commands.turnFigure;
    drawCommands();
    return;
  }
  $("turn-pos").textContent = `seed ${seed} ${alpha >= 0 ? "+" : "−"} ${Math.abs(alpha).toFixed(2)} × (mean A − mean B)`;
  const dir = [["towards", a.join(",")], ["away", b.join(",")]];
  showPicture($("turn-frame"), "turn", "this turn", "turn-frame", [...dir, ["seed", seed], ["alpha", alpha]]);
  const turnUrl = pictureUrl("turn", [...dir, ["seeds", state.picked.join(",")]]);
  getJson(turnUrl.replace("/picture/", "/command/")).then((c) => {
    state.commands.turnFigure = { label: "turn figure", url: turnUrl, command: c.command };
    drawCommands();
  });
}

function refreshExplorerParts() {
  drawTrays();
  refreshWalk();
  refreshArithmetic();
  refreshTurn();
}

function refreshExplorer() {
  refreshSheet();
  refreshExplorerParts();
}

// ---------------------------------------------------------------- wiring
function setView(view) {
  state.view = view;
  for (const b of document.querySelectorAll(".tab")) b.classList.toggle("active", b.dataset.view === view);
  $("live").hidden = view !== "live";
  $("explore").hidden = view !== "explore";
  if (view === "explore") refreshExplorer();
}

function selectRun(id) {
  state.run = +id;
  state.records = [];
  state.lastIter = 0;
  state.commands = {};
  poll().then(() => { if (state.view === "explore") refreshExplorer(); });
}

function init() {
  const params = new URLSearchParams(location.search);
  for (const b of document.querySelectorAll(".tab")) b.onclick = () => setView(b.dataset.view);
  $("run").onchange = (e) => selectRun(e.target.value);
  $("grid-slider").oninput = () => { $("grid-follow").checked = false; showGrid(); };
  $("grid-follow").onchange = updateGridSlider;
  $("checkpoint").onchange = refreshExplorer;
  $("sheet-start").onchange = (e) => { state.sheetStart = Math.max(0, +e.target.value || 0); refreshSheet(); };
  $("sheet-prev").onclick = () => { state.sheetStart = Math.max(0, state.sheetStart - SHEET); $("sheet-start").value = state.sheetStart; refreshSheet(); };
  $("sheet-next").onclick = () => { state.sheetStart += SHEET; $("sheet-start").value = state.sheetStart; refreshSheet(); };
  $("walk-slider").oninput = refreshWalk;
  $("walk-slerp").onchange = refreshWalk;
  $("turn-slider").oninput = refreshTurn;
  setupDrops();
  // ?run=N&view=explore&pick=3,17&a=..&b=..&c=..: a view can be linked (and screenshotted).
  if (params.has("run")) state.run = +params.get("run");
  const seeds = (k) => (params.get(k) || "").split(",").filter((s) => s !== "").map(Number);
  state.picked = seeds("pick");
  for (const g of ["a", "b", "c"]) state.groups[g] = seeds(g);
  if (params.has("frame")) state.initialFrame = +params.get("frame");
  poll().then(() => setView(params.get("view") || "live"));
  setInterval(poll, 2000);
}

init();
