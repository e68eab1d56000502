// The drawing pad's browser side: ink is drawn here, under the pen, without waiting for Python;
// the strokes go to Python (traits `strokes` and `drawn`). Beside the pad, a panel: in "read"
// mode the reading Python sends back (`reading`); in "collect" mode what to draw next (`task`),
// with Keep and Take back, which go to Python as messages.

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
    <div class="digitlab-right"></div>`;
  const pad = el.querySelector(".digitlab-pad");
  pad.style.maxWidth = `${size}px`;
  el.style.setProperty("--digitlab-size", `${size}px`); // pad.css sizes the column from it
  const ink = pad.getContext("2d");
  const timings = { ink: [], answer: [] }; // ms, measured here in the browser

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

  const right = el.querySelector(".digitlab-right");
  const panel = model.get("mode") === "collect" ? collector(model, right)
    : reader(model, right, record);

  let strokes = structuredClone(model.get("strokes"));
  let drawing = false, lastSent = 0, pointer = null;

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
    panel.sent(lastSent);
    return drawn;
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
    panel.penUp(send(), event.timeStamp);
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

  model.on("change:strokes", () => { // Python cleared or undid
    if (drawing) return;
    strokes = structuredClone(model.get("strokes"));
    redraw();
  });
  redraw();
}

// Read mode: the answer, ten probability bars, and the 28x28 image the network saw.
function reader(model, right, record) {
  right.innerHTML = `
    <div class="digitlab-answer"></div>
    <div class="digitlab-status" role="status"></div>
    <div class="digitlab-reading">
      <div class="digitlab-bars"></div>
      <figure class="digitlab-seen-box">
        <canvas class="digitlab-seen" width="28" height="28"></canvas>
        <figcaption>what the network sees (28×28)</figcaption>
      </figure>
    </div>`;
  const seen = right.querySelector(".digitlab-seen").getContext("2d");
  const answer = right.querySelector(".digitlab-answer");
  const status = right.querySelector(".digitlab-status");
  const bars = right.querySelector(".digitlab-bars");
  for (let d = 0; d < 10; d++) {
    bars.insertAdjacentHTML("beforeend", `<span class="digitlab-label">${d}</span>
      <span class="digitlab-track"><span class="digitlab-fill"></span></span>
      <span class="digitlab-percent"></span>`);
  }
  const fills = bars.querySelectorAll(".digitlab-fill");
  const percents = bars.querySelectorAll(".digitlab-percent");
  let lastSent = 0;
  let waiting = null; // {drawn, since}: the pen went up; time until its reading is shown

  function showStatus() {
    const behind = (model.get("reading").drawn ?? 0) < model.get("drawn");
    const late = behind && performance.now() - lastSent >= BUSY_AFTER_MS - 1;
    status.textContent = late ? "Python is busy (is a cell running?): your digit will be " +
      "read as soon as it is free." : "";
    if (late && model.get("strokes").length && model.get("reading").digit === undefined) {
      answer.innerHTML = "<h3>Waiting to read your digit…</h3>"; // not "Draw a digit" over one
    }
  }

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
  show();
  return {
    sent(at) {
      lastSent = at;
      setTimeout(showStatus, BUSY_AFTER_MS);
    },
    penUp(drawn, since) { waiting = { drawn, since }; },
  };
}

// Collect mode: what to draw next, how far the set has come, Keep and Take back.
function collector(model, right) {
  right.innerHTML = `
    <h3 class="digitlab-prompt"></h3>
    <div class="digitlab-progress"></div>
    <div class="digitlab-buttons">
      <button class="digitlab-keep" type="button">Keep</button>
      <button class="digitlab-take-back" type="button">Take back</button>
    </div>
    <div class="digitlab-note" role="status"></div>`;
  const prompt = right.querySelector(".digitlab-prompt");
  const progress = right.querySelector(".digitlab-progress");
  const note = right.querySelector(".digitlab-note");
  const keep = right.querySelector(".digitlab-keep");

  function show() {
    const task = model.get("task");
    const done = task.digit === null || task.digit === undefined;
    prompt.innerHTML = done ? "The set is complete: thank you!" :
      `Draw a <span class="digitlab-digit">${task.digit}</span>`;
    progress.textContent = (done ? "" : `${task.digit}: ${task.done} of ${task.of} · `) +
      `${task.kept} of ${task.total} in all`;
    note.textContent = task.note ?? "";
    keep.disabled = done;
  }

  keep.addEventListener("click", () => model.send({ button: "keep" }));
  right.querySelector(".digitlab-take-back").addEventListener("click",
    () => model.send({ button: "take_back" }));
  model.on("change:task", show);
  show();
  return { sent() {}, penUp() {} };
}

export default { render };
