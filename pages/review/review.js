// The review page: the render over its source with a wipe, the emotion
// curves on one time axis under it with a playhead, the markers on that
// axis (click to seek), and an editor's keys. Data: window.REVIEW_DATA
// (data.js, written by `empathy review`). Frames are the movie's, from 0;
// the clock shows the file number and timecode an editor sees.
(function () {
  'use strict';
  const D = window.REVIEW_DATA;
  const fps = D.fps;
  const render = document.getElementById('render');
  const source = document.getElementById('source');
  const charts = [];
  let reverse = null;      // the J key's backward shuttle: {speed, timer}

  // MARK: frames and time

  const frameAt = (t) => Math.min(D.frameCount - 1, Math.max(0, Math.floor(t * fps + 1e-6)));
  const timeOf = (frame) => (frame + 0.5) / fps;   // the middle of a frame: a seek lands on it
  function timecode(frame) {
    const n = D.nominalFps, total = D.startTimecodeFrames + frame;
    const f = total % n, s = Math.floor(total / n);
    const two = (v) => String(v).padStart(2, '0');
    return `${two(Math.floor(s / 3600) % 24)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}:${two(f)}`;
  }
  const fileNumber = (frame) => String(D.firstNumber + frame).padStart(D.padding, '0');

  function seek(frame) {
    stopReverse();
    render.pause();
    const f = Math.min(D.frameCount - 1, Math.max(0, frame));
    render.currentTime = timeOf(f);
  }
  const step = (n) => seek(frameAt(render.currentTime) + n);

  // MARK: playback, the source following the render

  function play(rate) {
    stopReverse();
    render.playbackRate = rate;
    render.play().catch((e) => note(`play: ${e.message}`));
  }
  function togglePlay() { if (render.paused && !reverse) play(1); else { stopReverse(); render.pause(); } }
  function stopReverse() { if (reverse) { clearInterval(reverse.timer); reverse = null; } }
  function shuttleBack() {
    const speed = reverse ? Math.min(reverse.speed * 2, 8) : 1;
    stopReverse();
    render.pause();
    // Browsers do not play backwards; step back at the shuttle's speed.
    const timer = setInterval(() => {
      const frame = frameAt(render.currentTime);
      if (frame <= 0) { stopReverse(); return; }
      render.currentTime = timeOf(frame - 1);
    }, 1000 / (fps * speed));
    reverse = { speed, timer };
  }
  function follow() {
    if (!D.videos.source) return;
    if (!render.paused && source.paused) source.play().catch(() => {});
    if (render.paused && !source.paused) source.pause();
    source.playbackRate = render.playbackRate;
    if (Math.abs(source.currentTime - render.currentTime) > (render.paused ? 0.25 : 2) / fps) source.currentTime = render.currentTime;
  }
  ['play', 'pause', 'seeked', 'ratechange'].forEach((e) => render.addEventListener(e, follow));

  // MARK: wipe

  const wipe = document.getElementById('wipe');
  function applyWipe() {
    const p = D.videos.source ? Number(wipe.value) : 0;
    render.style.clipPath = `inset(0 0 0 ${p}%)`;
    const line = document.getElementById('wipe-line');
    line.style.left = `calc(${p}% - 1px)`;
    line.style.display = D.videos.source ? '' : 'none';
  }
  wipe.addEventListener('input', applyWipe);

  // MARK: curves (dygraphs)

  const seconds = (i) => i / fps;
  function rows(columns) {
    const out = [];
    for (let i = 0; i < D.frameCount; i++) out.push([seconds(i)].concat(columns.map((c) => (c ? c[i] : null))));
    return out;
  }
  const axisX = {
    valueFormatter: (t) => `frame ${fileNumber(frameAt(t))} · ${timecode(frameAt(t))}`,
    axisLabelFormatter: (t) => timecode(Math.round(t * fps)).slice(3),
  };
  function chart(id, labels, columns, colors, extra) {
    const g = new Dygraph(document.getElementById(id), rows(columns), Object.assign({
      labels: ['time'].concat(labels), colors, strokeWidth: 1.4, connectSeparatedPoints: false,
      axes: { x: axisX }, legend: 'always', labelsSeparateLines: false, gridLineColor: '#2a2d33',
      axisLineColor: '#555', axisLabelFontSize: 11, xRangePad: 0, drawGapEdgePoints: true,
      clickCallback: (e, t) => seek(frameAt(t)),
      zoomCallback: (lo, hi) => { charts.forEach((c) => c !== g && c.updateOptions({ dateWindow: [lo, hi] })); placeMarkers(); },
    }, extra));
    charts.push(g);
    return g;
  }

  function buildCharts() {
    const s = D.series;
    const emotion = [['valence', s.valence, '#4cd964'], ['arousal', s.arousal, '#ff9a2e']];
    if (s.fusedArousal) emotion.push(['fused arousal', s.fusedArousal, '#ff3df2']);
    chart('chart-emotion', emotion.map((e) => e[0]), emotion.map((e) => e[1]), emotion.map((e) => e[2]),
          { valueRange: [-1.05, 1.05], title: '' });
    chart('chart-categories', D.categories.map((c) => c.name), D.categories.map((c) => s.categories[c.name]),
          D.categories.map((c) => c.color), { valueRange: [-0.02, 1.02] });
    if (s.heartRate) {
      chart('chart-heart', ['heart rate (bpm)'], [s.heartRate], ['#ff4040'], {
        underlayCallback: (canvas, area, g) => {
          // Each beat: a tick along the bottom of the heart chart.
          canvas.strokeStyle = '#ff404099';
          canvas.lineWidth = 1;
          D.beats.forEach((t) => {
            const x = g.toDomXCoord(t);
            if (x < area.x || x > area.x + area.w) return;
            canvas.beginPath(); canvas.moveTo(x, area.y + area.h); canvas.lineTo(x, area.y + area.h - 12); canvas.stroke();
          });
        },
      });
    } else {
      document.getElementById('heart-box').style.display = 'none';
    }
  }

  // MARK: markers, on the axis and in the list

  function markerButton(m, cls) {
    const b = document.createElement('button');
    b.className = `marker ${cls}` + (m.warning ? ' warning' : '');
    b.dataset.frame = m.frame;
    b.title = `${m.note} — frame ${fileNumber(m.frame)}, ${timecode(m.frame)}, ${m.frames} frames`;
    b.addEventListener('click', () => seek(m.frame));
    return b;
  }
  function buildMarkers() {
    const axis = document.getElementById('marker-axis');
    const list = document.getElementById('markers');
    D.markers.forEach((m) => {
      const chip = markerButton(m, 'chip');
      chip.style.background = m.css;
      axis.appendChild(chip);
      const row = document.createElement('tr');
      const name = markerButton(m, 'entry');
      name.innerHTML = `<span class="swatch" style="background:${m.css}"></span>`;
      name.appendChild(document.createTextNode(m.note));
      row.innerHTML = `<td>${fileNumber(m.frame)}</td><td>${timecode(m.frame)}</td><td>${m.kind}</td><td></td><td>${m.frames}</td>`;
      row.children[3].appendChild(name);
      list.appendChild(row);
    });
  }
  function placeMarkers() {
    const g = charts[0];
    if (!g) return;
    const area = g.getArea(), chips = document.querySelectorAll('#marker-axis .marker');
    D.markers.forEach((m, i) => {
      const x0 = g.toDomXCoord(seconds(m.frame)), x1 = g.toDomXCoord(seconds(m.frame + m.frames));
      const visible = x1 >= area.x && x0 <= area.x + area.w;
      chips[i].style.display = visible ? '' : 'none';
      chips[i].style.left = `${Math.max(area.x, x0)}px`;
      chips[i].style.width = `${Math.max(6, Math.min(x1, area.x + area.w) - Math.max(area.x, x0))}px`;
    });
  }

  // MARK: playhead and clock, every frame the browser paints

  function tick() {
    const t = render.currentTime, frame = frameAt(t);
    document.getElementById('clock').textContent = `frame ${fileNumber(frame)} · ${timecode(frame)} · ${frame + 1}/${D.frameCount}`;
    document.getElementById('play').textContent = render.paused && !reverse ? '▶' : '❚❚';
    document.querySelectorAll('.playhead').forEach((p, i) => {
      const g = charts[i];
      if (!g) return;
      p.style.left = `${g.toDomXCoord(timeOf(frame) - 0.5 / fps)}px`;
    });
    requestAnimationFrame(tick);
  }

  // MARK: keys, as editors have them

  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement && e.target.type !== 'range') return;
    const markers = D.markers.map((m) => m.frame);
    const frame = frameAt(render.currentTime);
    switch (e.key) {
      case ' ': togglePlay(); break;
      case 'k': case 'K': stopReverse(); render.pause(); break;
      case 'l': case 'L': play(render.paused || reverse ? 1 : Math.min(render.playbackRate * 2, 8)); break;
      case 'j': case 'J': shuttleBack(); break;
      case 'ArrowRight': step(e.shiftKey ? 10 : 1); break;
      case 'ArrowLeft': step(e.shiftKey ? -10 : -1); break;
      case 'ArrowDown': { const next = markers.find((f) => f > frame); if (next !== undefined) seek(next); break; }
      case 'ArrowUp': { const prev = markers.filter((f) => f < frame).pop(); if (prev !== undefined) seek(prev); break; }
      case 'Home': seek(0); break;
      case 'End': seek(D.frameCount - 1); break;
      default: return;
    }
    e.preventDefault();
  });
  document.getElementById('play').addEventListener('click', togglePlay);

  // MARK: header and notes

  function note(text) {
    const li = document.createElement('li');
    li.textContent = text;
    document.getElementById('notes').appendChild(li);
  }
  function buildInfo() {
    document.title = `Review · ${D.name}`;
    document.getElementById('title').textContent = D.name;
    const info = document.getElementById('info');
    D.info.forEach(([label, value]) => {
      const div = document.createElement('div');
      div.innerHTML = '<dt></dt><dd></dd>';
      div.children[0].textContent = label;
      div.children[1].textContent = value;
      info.appendChild(div);
    });
    D.notes.forEach(note);
  }

  // MARK: start

  const api = {
    ready: false, fps, frameCount: D.frameCount,
    markers: D.markers.map((m) => ({ frame: m.frame, name: m.note, kind: m.kind })),
    currentFrame: () => frameAt(render.currentTime),
    seek,
  };
  window.review = api;
  buildInfo();
  buildCharts();
  buildMarkers();
  placeMarkers();
  applyWipe();
  // The picture takes at most about half the window's height, so the curves show under it.
  function fitScreen() {
    if (!render.videoWidth) return;
    const width = Math.min(800, 0.5 * window.innerHeight * render.videoWidth / render.videoHeight);
    document.getElementById('screen').style.maxWidth = `${Math.round(width)}px`;
  }
  render.addEventListener('loadedmetadata', fitScreen);
  window.addEventListener('resize', () => { fitScreen(); placeMarkers(); });
  render.addEventListener('loadeddata', () => { api.ready = true; }, { once: true });
  render.addEventListener('error', () => note(`the render movie ${D.videos.render} cannot be played`));
  if (D.videos.source) source.src = D.videos.source; else source.style.display = 'none';
  render.src = D.videos.render;
  requestAnimationFrame(tick);
})();
