/// The page `empathy live --serve` shows: the live picture beside BPM (with
/// the beat), valence, arousal, the top category, fps, drops and latency,
/// updated from `/events` as they change.
public enum LivePage {
    public static let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Empathy Engine — live</title>
        <style>
        body { margin: 0; padding: 16px; display: flex; gap: 24px; background: #0b0b10; color: #e8e8f0;
               font: 18px/1.4 system-ui, sans-serif; }
        #picture { max-width: 72vw; max-height: 92vh; background: #000; }
        #panel { min-width: 260px; }
        .big { font-size: 64px; font-weight: 600; }
        #beat { color: #ff3f6c; opacity: 0.15; }
        .row { margin: 8px 0; }
        .label { color: #9a9ab0; }
        </style></head>
        <body>
        <img id="picture" src="/stream.mjpg" alt="the live picture">
        <div id="panel">
          <div class="row"><span class="big" id="bpm">--</span> BPM <span class="big" id="beat">&#9829;</span></div>
          <div class="row"><span class="label">valence</span> <span id="valence">-</span>
                           <span class="label">arousal</span> <span id="arousal">-</span></div>
          <div class="row"><span class="label">now</span> <span id="top">-</span></div>
          <div class="row"><span id="fps">-</span> fps, <span id="dropped">-</span> dropped</div>
          <div class="row"><span class="label">latency</span> <span id="latency">-</span> ms</div>
          <div class="row" id="sensor"></div>
        </div>
        <script>
        const show = (id, text) => { document.getElementById(id).textContent = text; };
        const events = new EventSource('/events');
        events.onmessage = (message) => {
          const s = JSON.parse(message.data);
          show('bpm', s.bpm == null ? '--' : Math.round(s.bpm));
          document.getElementById('beat').style.opacity = s.beat ? 1 : 0.15;
          show('valence', s.valence.toFixed(2));
          show('arousal', s.arousal.toFixed(2));
          show('top', s.top);
          show('fps', s.fps.toFixed(1));
          show('dropped', s.dropped + ' (' + s.droppedPercent.toFixed(1) + ' %)');
          show('latency', s.latency == null ? '-' : Math.round(s.latency));
          show('sensor', s.sensor);
        };
        </script>
        </body></html>
        """
}
