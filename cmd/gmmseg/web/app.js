// The page of gmmseg serve: it sends the image and the settings to /api/fits, reads the
// fit's server-sent events from the response as they come, and shows them. Everything it
// draws of the fit comes drawn from the server (the command's own figures), but for the
// BIC curve of a choice of K.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { file: null, example: '', inputURL: '', fitID: '', controller: null };

// setStatus shows a line under the buttons; an error is also marked as one.
function setStatus(text, error) {
  $('status').textContent = text;
  $('status').classList.toggle('error', !!error);
}

// showServer says what the server takes and how busy it is.
async function showServer() {
  try {
    const s = await (await fetch('/api/status')).json();
    $('server').textContent = `Images up to ${(s.max_upload_bytes / 1048576).toFixed(0)} MiB and ` +
      `${s.max_pixels.toLocaleString('en')} pixels. ${s.running} fit(s) running, ${s.waiting} waiting ` +
      `(at most ${s.jobs} at once, ${s.queue} waiting).`;
  } catch (e) {
    $('server').textContent = 'The server does not answer.';
  }
}

async function loadExamples() {
  const list = await (await fetch('/api/examples')).json();
  for (const ex of list) {
    const o = document.createElement('option');
    o.value = ex.name;
    o.textContent = `${ex.name}: ${ex.title}`;
    $('example').append(o);
  }
}

// choose takes a file (from the picker or a drop) or, with null, the example selected.
function choose(file) {
  if (state.inputURL.startsWith('blob:')) URL.revokeObjectURL(state.inputURL);
  state.file = file;
  if (file) {
    $('example').value = '';
    state.example = '';
    state.inputURL = URL.createObjectURL(file);
    $('chosen').textContent = `${file.name} (${file.size.toLocaleString('en')} bytes)`;
  } else {
    state.example = $('example').value;
    state.inputURL = state.example ? '/examples/' + encodeURIComponent(state.example) : '';
    $('chosen').textContent = state.example ? `the example ${state.example}` : 'No image chosen.';
  }
}

// query is the fit's settings as the command's flags name them.
function query() {
  const q = new URLSearchParams();
  const colour = ['rgb', 'lab', 'ycbcr'].includes($('channel').value);
  q.set('channel', $('channel').value);
  if ($('auto').checked) {
    q.set('components', 'auto');
    q.set('components-range', `${$('klo').value}-${$('khi').value}`);
  } else {
    q.set('components', $('components').value);
  }
  if (colour) q.set('covariance', $('covariance').value);
  q.set('iterations', $('iterations').value);
  q.set('init', $('init').value);
  if (['kmeans', 'kmeans++', 'random-from-data', 'random'].includes($('init').value)) q.set('seed', $('seed').value);
  q.set('method', $('method').value);
  if ($('palette').checked) q.set('palette', 'true');
  if (state.example) q.set('example', state.example);
  else q.set('name', state.file.name);
  return q;
}

// readEvents calls on(name, data) for each server-sent event of the response.
async function readEvents(response, on) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let name = 'message', data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) on(name, JSON.parse(data));
    }
  }
}

function running(on) {
  $('run').disabled = on;
  $('cancel').disabled = !on;
  document.body.classList.toggle('running', on);
}

async function runFit(ev) {
  ev.preventDefault();
  if (!state.file && !state.example) {
    setStatus('Choose an image or an example first.', true);
    return;
  }
  running(true);
  // The marks a watcher of the page (the browser test) waits for: set again by this fit.
  delete document.body.dataset.done;
  delete document.body.dataset.cancelled;
  $('result').hidden = true;
  $('live').hidden = false;
  $('progress').textContent = 'Sending the image...';
  $('frame').removeAttribute('src');
  setStatus('');
  state.controller = new AbortController();
  try {
    const response = await fetch('/api/fits?' + query(), {
      method: 'POST',
      body: state.example ? null : state.file,
      headers: { 'Content-Type': 'application/octet-stream' },
      signal: state.controller.signal,
    });
    if (!response.ok) {
      const e = await response.json().catch(() => ({ error: response.statusText }));
      throw new Error(e.error);
    }
    await readEvents(response, onEvent);
  } catch (e) {
    if (e.name !== 'AbortError') setStatus(e.message, true);
  } finally {
    running(false);
    state.fitID = '';
    showServer();
  }
}

// onEvent shows one event of the fit's stream.
function onEvent(name, d) {
  switch (name) {
    case 'fit':
      state.fitID = d.id;
      break;
    case 'queue':
      $('progress').textContent = d.position > 0
        ? `Waiting: ${d.position} of ${d.waiting} in the queue (${d.running} fit(s) running).`
        : 'Reading the image...';
      break;
    case 'frame':
      $('progress').textContent = `${d.components} components, iteration ${d.iteration}: ` +
        `log-likelihood ${d.log_likelihood} (${d.iterations} iteration(s) so far)`;
      if (d.png) $('frame').src = 'data:image/png;base64,' + d.png;
      break;
    case 'result':
      showResult(d);
      setStatus('Done.');
      break;
    case 'cancelled':
      $('progress').textContent += ' (cancelled)';
      setStatus(`Cancelled after ${d.iterations} iteration(s): the fit stopped ` +
        `${(1000 * d.after_seconds).toFixed(0)} ms after Cancel.`);
      document.body.dataset.cancelled = d.after_seconds;
      break;
    case 'error':
      setStatus(d.error, true);
      break;
  }
}

// showResult shows a finished fit: its numbers, the input and segmentation side by side,
// the downloads and the figures.
function showResult(r) {
  const doc = r.document;
  const last = doc.iterations[doc.iterations.length - 1];
  $('loglik').textContent = String(last.log_likelihood);
  $('iters').textContent = doc.iterations.length;
  $('k').textContent = doc.components;
  $('elapsed').textContent = `fit ${doc.elapsed_seconds.fit.toFixed(3)} s, all ${doc.elapsed_seconds.total.toFixed(3)} s`;
  $('input-note').hidden = true;
  $('compare').classList.remove('no-input');
  $('input-image').src = state.inputURL;
  $('segmentation').src = r.segmentation.url;
  $('slider').value = 50;
  slide();
  const list = $('downloads');
  list.replaceChildren();
  const link = (f, what) => {
    const a = document.createElement('a');
    a.href = f.url;
    a.download = f.name;
    a.textContent = f.name;
    const li = document.createElement('li');
    li.append(a, ' ' + what);
    list.append(li);
  };
  link(r.segmentation, 'the segmentation');
  link(r.labels, 'every pixel\'s class');
  link(r.model, 'the mixture, for --model or --init-model');
  const figs = $('figures');
  figs.replaceChildren();
  for (const f of r.figures) {
    link(f, 'a figure');
    if (f.name.endsWith('.png')) {
      const img = document.createElement('img');
      img.src = f.url;
      img.alt = f.name;
      figs.append(img);
    }
  }
  showBIC(doc.selection);
  $('result').hidden = false;
  document.body.dataset.done = 'true';
}

// showBIC draws the BIC of each number of components tried, the lowest marked.
function showBIC(sel) {
  $('bic').hidden = !sel;
  if (!sel) return;
  const svg = $('bic-plot');
  svg.replaceChildren();
  const ns = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const bics = sel.map((c) => c.bic);
  const lo = Math.min(...bics), hi = Math.max(...bics), span = hi - lo || 1;
  const x = (i) => 40 + (sel.length > 1 ? i * 340 / (sel.length - 1) : 170);
  const y = (b) => 170 - (b - lo) / span * 150;
  const best = bics.indexOf(lo);
  el('polyline', { points: sel.map((c, i) => `${x(i)},${y(c.bic)}`).join(' '), class: 'curve' });
  sel.forEach((c, i) => {
    el('circle', { cx: x(i), cy: y(c.bic), r: i === best ? 5 : 3, class: i === best ? 'best' : 'point' });
    el('text', { x: x(i), y: 190, 'text-anchor': 'middle' }, String(c.components));
  });
  el('text', { x: x(best), y: y(lo) - 10, 'text-anchor': 'middle' }, `K = ${sel[best].components}`);
}

// slide shows the input left of the slider and the segmentation right of it.
function slide() {
  $('segmentation').style.clipPath = `inset(0 0 0 ${$('slider').value}%)`;
}

async function cancelFit() {
  if (!state.fitID) {
    if (state.controller) state.controller.abort();
    return;
  }
  $('cancel').disabled = true;
  const r = await fetch(`/api/fits/${state.fitID}/cancel`, { method: 'POST' });
  if (!r.ok && state.controller) state.controller.abort(); // it ended already, or never began
}

function init() {
  $('file').addEventListener('change', () => { if ($('file').files.length) choose($('file').files[0]); });
  $('example').addEventListener('change', () => choose(null));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) choose(e.dataTransfer.files[0]);
  });
  $('channel').addEventListener('change', () => {
    $('covariance').disabled = !['rgb', 'lab', 'ycbcr'].includes($('channel').value);
  });
  $('auto').addEventListener('change', () => {
    for (const id of ['klo', 'khi']) $(id).disabled = !$('auto').checked;
    $('components').disabled = $('auto').checked;
  });
  $('slider').addEventListener('input', slide);
  $('input-image').addEventListener('error', () => {
    if (!$('input-image').getAttribute('src')) return;
    $('input-note').hidden = false;
    $('compare').classList.add('no-input');
  });
  $('settings').addEventListener('submit', runFit);
  $('cancel').addEventListener('click', cancelFit);
  loadExamples();
  showServer();
}

init();
