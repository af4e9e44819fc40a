'use client';
// Waveform, log-mel spectrogram and per-window scores of one recording on a shared time axis, with
// playback (Web Audio) and a moving cursor. The console server decodes the recording with the audio
// lib (browsers refuse PhysioNet's 2 kHz files); the browser conditions it and computes the lib's
// log-mel, i.e. the spectrogram the model was shown.
import { useEffect, useRef, useState } from 'react';
import type { WindowScore } from '@heartbeat/api-client';
import { prepareSignal } from '@heartbeat/audio/src/dsp/condition';
import { resample } from '@heartbeat/audio/src/dsp/resample';
import { logMelSpectrogram } from '@heartbeat/audio/src/features/log-mel';
import { robustRange, scoreColour, timeSpan, viridis, waveformEnvelope } from '../lib/drawing';

const MODEL_RATE = 2000;
/** Web Audio buffers need at least 3 kHz; slower recordings are resampled to this for playback. */
const PLAYBACK_MIN_RATE = 8000;
const WIDTH = 1200;

interface Decoded {
  playback: { samples: Float32Array; sampleRate: number };
  prepared: Float32Array;
  duration: number;
}

function setup(canvas: HTMLCanvasElement, height: number): CanvasRenderingContext2D {
  canvas.width = WIDTH;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot draw on a canvas.');
  return context;
}

function drawWaveform(
  canvas: HTMLCanvasElement,
  decoded: Decoded,
  windows: WindowScore[],
  threshold: number | null,
) {
  const height = 140;
  const ctx = setup(canvas, height);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, WIDTH, height);
  for (const window of windows) {
    if (window.probability < (threshold ?? 0.5)) continue;
    const [x0, x1] = timeSpan(window.startSeconds, window.endSeconds, decoded.duration, WIDTH);
    ctx.fillStyle = scoreColour(window.probability, threshold);
    ctx.fillRect(x0, 0, x1 - x0, height);
  }
  const { min, max } = waveformEnvelope(decoded.prepared, WIDTH);
  let peak = 1e-9;
  for (let i = 0; i < WIDTH; i++) peak = Math.max(peak, Math.abs(min[i]), Math.abs(max[i]));
  ctx.fillStyle = '#10243e';
  for (let x = 0; x < WIDTH; x++) {
    const top = height / 2 - (max[x] / peak) * (height / 2 - 4);
    const bottom = height / 2 - (min[x] / peak) * (height / 2 - 4);
    ctx.fillRect(x, top, 1, Math.max(1, bottom - top));
  }
}

function drawSpectrogram(canvas: HTMLCanvasElement, decoded: Decoded, windows: WindowScore[]) {
  const spectrogram = logMelSpectrogram(decoded.prepared);
  const { frames, mels, data } = spectrogram;
  const height = mels * 3;
  const ctx = setup(canvas, height);
  const [low, high] = robustRange(data);
  const image = ctx.createImageData(WIDTH, height);
  for (let x = 0; x < WIDTH; x++) {
    const frame = Math.min(frames - 1, Math.floor((x / WIDTH) * frames));
    for (let y = 0; y < height; y++) {
      const mel = mels - 1 - Math.floor(y / 3);
      const [r, g, b] = viridis((data[frame * mels + mel] - low) / (high - low));
      const offset = (y * WIDTH + x) * 4;
      image.data[offset] = r;
      image.data[offset + 1] = g;
      image.data[offset + 2] = b;
      image.data[offset + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
  // Per-window probability of abnormal drawn over the spectrogram (top = 1, bottom = 0).
  if (windows.length > 0) {
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 3;
    ctx.beginPath();
    windows.forEach((window, index) => {
      const [x0, x1] = timeSpan(window.startSeconds, window.endSeconds, decoded.duration, WIDTH);
      const y = (1 - window.probability) * (height - 6) + 3;
      const x = (x0 + x1) / 2;
      if (index === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

function drawScores(
  canvas: HTMLCanvasElement,
  decoded: Decoded,
  windows: WindowScore[],
  threshold: number | null,
) {
  const height = 70;
  const ctx = setup(canvas, height);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, WIDTH, height);
  const line = threshold ?? 0.5;
  ctx.strokeStyle = '#4d5661';
  ctx.setLineDash([6, 4]);
  ctx.beginPath();
  ctx.moveTo(0, (1 - line) * height);
  ctx.lineTo(WIDTH, (1 - line) * height);
  ctx.stroke();
  ctx.setLineDash([]);
  for (const window of windows) {
    const [x0, x1] = timeSpan(window.startSeconds, window.endSeconds, decoded.duration, WIDTH);
    const y = (1 - window.probability) * (height - 4) + 2;
    ctx.strokeStyle = window.probability >= line ? '#b3261e' : '#1d6b33';
    ctx.lineWidth = 4;
    ctx.beginPath();
    ctx.moveTo(x0, y);
    ctx.lineTo(x1, y);
    ctx.stroke();
  }
}

export function RecordingView({
  recordingId,
  windows,
  threshold,
  onDuration,
}: {
  recordingId: string;
  windows: WindowScore[] | null;
  threshold: number | null;
  onDuration?: (seconds: number) => void;
}) {
  const [decoded, setDecoded] = useState<Decoded | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const waveform = useRef<HTMLCanvasElement>(null);
  const spectrogram = useRef<HTMLCanvasElement>(null);
  const scores = useRef<HTMLCanvasElement>(null);
  // Created on the first Play (a user gesture), so the browser's autoplay policy never blocks it.
  const audio = useRef<{
    context: AudioContext | null;
    node: AudioBufferSourceNode | null;
    startedAt: number;
    offset: number;
  }>({ context: null, node: null, startedAt: 0, offset: 0 });
  const frame = useRef<number>(0);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const response = await fetch(`/api/recordings/${recordingId}/samples`);
        if (!response.ok) {
          const body = (await response.json().catch(() => null)) as { message?: string } | null;
          throw new Error(body?.message ?? `the console answered ${response.status}`);
        }
        const sampleRate = Number(response.headers.get('x-sample-rate'));
        const samples = new Float32Array(await response.arrayBuffer());
        const prepared = prepareSignal({ samples, sampleRate });
        const playback =
          sampleRate >= PLAYBACK_MIN_RATE
            ? { samples, sampleRate }
            : { samples: resample(samples, sampleRate, PLAYBACK_MIN_RATE), sampleRate: PLAYBACK_MIN_RATE };
        if (cancelled) return;
        setDecoded({ playback, prepared, duration: prepared.length / MODEL_RATE });
        onDuration?.(samples.length / sampleRate);
      } catch (error) {
        if (!cancelled) setProblem((error as Error).message);
      }
    })();
    const state = audio.current;
    return () => {
      cancelled = true;
      cancelAnimationFrame(frame.current);
      state.node?.stop();
      void state.context?.close().catch(() => undefined);
      state.context = null;
    };
  }, [recordingId, onDuration]);

  useEffect(() => {
    if (!decoded || !waveform.current || !spectrogram.current || !scores.current) return;
    drawWaveform(waveform.current, decoded, windows ?? [], threshold);
    drawSpectrogram(spectrogram.current, decoded, windows ?? []);
    drawScores(scores.current, decoded, windows ?? [], threshold);
  }, [decoded, windows, threshold]);

  const stop = () => {
    const state = audio.current;
    if (!state.node || !state.context) return;
    state.offset = Math.min(
      decoded?.duration ?? 0,
      state.offset + state.context.currentTime - state.startedAt,
    );
    state.node.onended = null;
    state.node.stop();
    state.node = null;
    cancelAnimationFrame(frame.current);
    setPlaying(false);
  };

  const play = async (from?: number) => {
    const state = audio.current;
    if (!decoded) return;
    if (state.node) stop();
    if (from !== undefined) state.offset = from;
    if (state.offset >= decoded.duration - 0.05) state.offset = 0;
    state.context ??= new AudioContext();
    const context = state.context;
    await context.resume();
    const buffer = context.createBuffer(1, decoded.playback.samples.length, decoded.playback.sampleRate);
    buffer.copyToChannel(decoded.playback.samples as Float32Array<ArrayBuffer>, 0);
    const node = context.createBufferSource();
    node.buffer = buffer;
    node.connect(context.destination);
    node.onended = () => {
      state.node = null;
      state.offset = 0;
      setPlaying(false);
      cancelAnimationFrame(frame.current);
    };
    node.start(0, state.offset);
    state.node = node;
    state.startedAt = context.currentTime;
    setPlaying(true);
    const tick = () => {
      setPosition(Math.min(decoded.duration, state.offset + context.currentTime - state.startedAt));
      frame.current = requestAnimationFrame(tick);
    };
    tick();
  };

  const seek = (seconds: number) => {
    setPosition(seconds);
    audio.current.offset = seconds;
    if (playing) void play(seconds);
  };

  if (problem) return <p className="note">The recording cannot be drawn: {problem}.</p>;
  if (!decoded)
    return (
      <p className="muted" role="status">
        Loading the recording…
      </p>
    );

  const cursor = `${(position / decoded.duration) * 100}%`;
  return (
    <div>
      <div className="form-row">
        <button type="button" onClick={() => (playing ? stop() : void play())} aria-pressed={playing}>
          {playing ? 'Pause' : 'Play'}
        </button>
        <label style={{ flex: 1 }}>
          Position {position.toFixed(1)} s of {decoded.duration.toFixed(1)} s
          <input
            type="range"
            min={0}
            max={decoded.duration}
            step={0.1}
            value={position}
            onChange={(event) => seek(Number(event.target.value))}
          />
        </label>
      </div>
      <div style={{ position: 'relative' }}>
        <p className="small muted" style={{ margin: '.25rem 0' }}>
          Waveform (conditioned, 2 kHz); shaded where a window scored above the threshold. Click to seek.
        </p>
        <canvas
          ref={waveform}
          data-testid="waveform"
          data-drawn="true"
          role="img"
          aria-label="Waveform of the recording"
          style={{ height: 140, cursor: 'pointer' }}
          onClick={(event) => {
            const box = event.currentTarget.getBoundingClientRect();
            seek(((event.clientX - box.left) / box.width) * decoded.duration);
          }}
        />
        <p className="small muted" style={{ margin: '.25rem 0' }}>
          Log-mel spectrogram (25-1000 Hz, 64 bands) with the per-window P(abnormal) as a white line.
        </p>
        <canvas
          ref={spectrogram}
          data-testid="spectrogram"
          role="img"
          aria-label="Log-mel spectrogram with per-window scores"
          style={{ height: 192 }}
        />
        <p className="small muted" style={{ margin: '.25rem 0' }}>
          Per-window P(abnormal); dashed: the decision threshold
          {threshold !== null ? ` (${threshold.toFixed(2)})` : ''}.
        </p>
        <canvas
          ref={scores}
          data-testid="window-scores"
          role="img"
          aria-label="Per-window probability of abnormal over time"
          style={{ height: 70 }}
        />
        <div
          aria-hidden="true"
          data-testid="cursor"
          style={{
            position: 'absolute',
            top: 0,
            bottom: 0,
            left: cursor,
            width: 2,
            background: '#f0a500',
            pointerEvents: 'none',
          }}
        />
      </div>
    </div>
  );
}
