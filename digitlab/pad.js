// The drawing pad's browser side: ink is drawn here, under the pen, without waiting for Python;
// the strokes go to Python (traits `strokes` and `drawn`), which sends back `reading`.

const BUSY_AFTER_MS = 400; // no answer this long after sending: say that Python is busy

function render({ model, el }) {
  const size = model.get("size");
  el.classList.add("digitlab-pad-root");
  el.innerHTML = `
    <div class="digitlab-left">
      <canvas class="digitlab-pad" width="${size}" height="${size}"></canvas>
      <div class="digitlab-buttons">
        <button class="digitlab-clear" type="button">Clear</button>
        <button class="digitlab-undo" type="button">Undo</button>
      </div>
    </div>
    <div class="digitlab-right">
      <div class="digitlab-answer"></div>
      <div class="digitlab-status" role="status"></div>
      <div class="digitlab-reading">
        <div class="digitlab-bars"></div>
        <figure class="digitlab-seen-box">
          <canvas class="digitlab-seen" width="28" height="28"></canvas>
          <figcaption>what the network sees (28×28)</figcaption>
        </figure>
      </div>
    </div>`;
  const pad = el.querySelector(".digitlab-pad");
  pad.style.maxWidth = el.querySelector(".digitlab-left").style.flexBasis = `${size}px`;
  const ink = pad.getContext("2d");
  const seen = el.querySelector(".digitlab-seen").getContext("2d");
  const answer = el.querySelector(".digitlab-answer");
  const status = el.querySelector(".digitlab-status");
  const bars = el.querySelector(".digitlab-bars");
  for (let d = 0; d < 10; d++) {
    bars.insertAdjacentHTML("beforeend", `<span class="digitlab-label">${d}</span>
      <span class="digitlab-track"><span class="digitlab-fill"></span></span>
      <span class="digitlab-percent"></span>`);
  }
  const fills = bars.querySelectorAll(".digitlab-fill");
  const percents = bars.querySelectorAll(".digitlab-percent");

  let strokes = structuredClone(model.get("strokes"));
  let drawing = false, lastSent = 0, pointer = null;
  let waiting = null; // {drawn, since}: the pen went up; time until its reading is shown
  const timings = { ink: [], answer: [] }; // ms, measured here in the browser

  function at(event) {
    const box = pad.getBoundingClientRect(); // the page may show the pad smaller than `size`
    return [(event.clientX - box.left) * size / box.width,
            (event.clientY - box.top) * size / box.height];
  }

  function dot([x, y]) {
    ink.beginPath();
    ink.arc(x, y, model.get("stroke_width") / 2, 0, 2 * Math.PI);
    ink.fill();
  }

  function segment(from, to) {
    ink.beginPath();
    ink.moveTo(...from);
    ink.lineTo(...to);
    ink.stroke();
  }

  function redraw() {
    ink.fillStyle = "white";
    ink.fillRect(0, 0, size, size);
    ink.fillStyle = ink.strokeStyle = "black";
    ink.lineWidth = model.get("stroke_width");
    ink.lineCap = ink.lineJoin = "round";
    for (const stroke of strokes) {
      dot(stroke[0]);
      stroke.slice(1).forEach((point, i) => segment(stroke[i], point));
    }
  }

  function send() {
    const drawn = model.get("drawn") + 1;
    lastSent = performance.now();
    model.set("strokes", strokes.map((s) => s.map(([x, y]) => [+x.toFixed(1), +y.toFixed(1)])));
    model.set("drawn", drawn);
    model.save_changes();
    setTimeout(showStatus, BUSY_AFTER_MS);
    return drawn;
  }

  function showStatus() {
    const behind = (model.get("reading").drawn ?? 0) < model.get("drawn");
    const late = behind && performance.now() - lastSent >= BUSY_AFTER_MS - 1;
    status.textContent = late ? "Python is busy (is a cell running?): your digit will be " +
      "read as soon as it is free." : "";
  }

  function record(kind, since) {
    requestAnimationFrame(() => { // the frame that shows it has been painted
      timings[kind].push(performance.now() - since);
      el.dataset.timings = JSON.stringify(timings);
      if (kind === "answer") { // Python keeps them too, for the notebook to show
        model.set("browser_ms", structuredClone(timings));
        model.save_changes();
      }
    });
  }

  pad.addEventListener("pointerdown", (event) => {
    if (drawing) return;
    drawing = true;
    pointer = event.pointerId;
    pad.setPointerCapture(pointer);
    strokes.push([at(event)]);
    dot(strokes.at(-1)[0]);
    record("ink", event.timeStamp);
    event.preventDefault();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!drawing || event.pointerId !== pointer) return;
    const stroke = strokes.at(-1);
    for (const e of event.getCoalescedEvents?.() ?? [event]) { // every point the pen passed
      const point = at(e);
      segment(stroke.at(-1), point);
      stroke.push(point);
    }
    if (performance.now() - lastSent > model.get("every_ms")) send();
  });
  function penUp(event) {
    if (!drawing || event.pointerId !== pointer) return;
    drawing = false;
    waiting = { drawn: send(), since: event.timeStamp };
  }
  pad.addEventListener("pointerup", penUp);
  pad.addEventListener("pointercancel", penUp);

  el.querySelector(".digitlab-clear").addEventListener("click", () => {
    strokes = [];
    redraw();
    send();
  });
  el.querySelector(".digitlab-undo").addEventListener("click", () => {
    strokes.pop();
    redraw();
    send();
  });

  function show() {
    const reading = model.get("reading");
    const probabilities = reading.probabilities ?? Array(10).fill(0);
    answer.innerHTML = reading.digit === undefined ? "<h3>Draw a digit on the pad</h3>" :
      `<h3>It reads: <span class="digitlab-digit">${reading.digit}</span> ` +
      `(${Math.round(reading.confidence * 100)}% sure)</h3>`;
    probabilities.forEach((p, d) => {
      fills[d].style.width = `${100 * p}%`;
      fills[d].classList.toggle("digitlab-best", d === reading.digit);
      percents[d].textContent = reading.digit === undefined ? "" : `${Math.round(100 * p)}%`;
    });
    const pixels = seen.createImageData(28, 28);
    (reading.image ?? Array(784).fill(0)).forEach((v, i) => {
      pixels.data.set([255 - v, 255 - v, 255 - v, 255], 4 * i);
    });
    seen.putImageData(pixels, 0, 0);
    showStatus();
    if (waiting && reading.drawn >= waiting.drawn) {
      record("answer", waiting.since);
      waiting = null;
    }
  }

  model.on("change:reading", show);
  model.on("change:strokes", () => { // Python cleared or undid
    if (drawing) return;
    strokes = structuredClone(model.get("strokes"));
    redraw();
  });
  redraw();
  show();
}

export default { render };
