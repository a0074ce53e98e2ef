import type { ContourSpec } from '../../streams/sinks/protocol';
import { contourLevels } from './contourLevels';

/** One optimizer's path on the objective. */
export interface Trajectory {
  readonly name: string;
  readonly color: string;
  /** x0, then the point after each step. */
  readonly points: readonly (readonly number[])[];
}

/** The book's plotting box for the 2-D traces. */
const BOX = { x1: [-5.5, 1] as const, x2: [-3, 1] as const };
const PAD = { left: 34, right: 10, top: 10, bottom: 26 };

/**
 * The contour of f(x) = a1·x1² + a2·x2² with each optimizer's trajectory, drawn on a canvas
 * (the figures of the book's §12.3–12.10).
 *
 * 1. Filled, outlined level ellipses (`contourLevels`) over the book's box x1 ∈ [−5.5, 1],
 *    x2 ∈ [−3, 1], with integer ticks.
 * 2. Each trajectory as a line with a dot per step in its run's colour, clipped to the box
 *    (a diverging run leaves it), and a legend of the runs drawn below the canvas.
 *
 * @example
 * const view = new ContourView(div, { kind: 'quadratic', a: [1, 2], x0: [-5, -2] });
 * view.draw([{ name: 'GD', color: '#4e79a7', points: [[-5, -2], [-4, -1.2]] }]);
 */
export class ContourView {
  private readonly canvas = document.createElement('canvas');
  private readonly legend = document.createElement('div');
  private last: readonly Trajectory[] = [];

  constructor(
    private readonly container: HTMLElement,
    private readonly objective: ContourSpec,
  ) {
    this.legend.className = 'legend';
    container.append(this.canvas, this.legend);
    new ResizeObserver(() => this.draw(this.last)).observe(container);
  }

  draw(trajectories: readonly Trajectory[]): void {
    this.last = trajectories;
    const width = Math.max(240, this.container.clientWidth);
    const height = Math.round(((width - PAD.left - PAD.right) * (BOX.x2[1] - BOX.x2[0])) / (BOX.x1[1] - BOX.x1[0])) + PAD.top + PAD.bottom;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = width * dpr;
    this.canvas.height = height * dpr;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const w = width - PAD.left - PAD.right;
    const h = height - PAD.top - PAD.bottom;
    const sx = w / (BOX.x1[1] - BOX.x1[0]);
    const sy = h / (BOX.x2[1] - BOX.x2[0]);
    const px = (x1: number) => PAD.left + (x1 - BOX.x1[0]) * sx;
    const py = (x2: number) => PAD.top + (BOX.x2[1] - x2) * sy;

    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, w, h);
    ctx.clip();
    ctx.fillStyle = '#fbfcfe';
    ctx.fillRect(PAD.left, PAD.top, w, h);
    const { levels, axes } = contourLevels(this.objective.a, BOX, 12);
    for (let i = levels.length - 1; i >= 0; i--) {
      const t = 1 - i / Math.max(1, levels.length - 1);
      ctx.beginPath();
      ctx.ellipse(px(0), py(0), axes[i][0] * sx, axes[i][1] * sy, 0, 0, 2 * Math.PI);
      ctx.fillStyle = `hsl(${212 - 40 * t}, ${45 + 20 * t}%, ${97 - 14 * t}%)`;
      ctx.fill();
      ctx.strokeStyle = `hsla(${212 - 40 * t}, 40%, 45%, 0.45)`;
      ctx.lineWidth = 0.8;
      ctx.stroke();
    }
    ctx.beginPath();
    ctx.arc(px(0), py(0), 3, 0, 2 * Math.PI);
    ctx.fillStyle = '#333';
    ctx.fill();
    for (const tr of trajectories) {
      ctx.strokeStyle = tr.color;
      ctx.fillStyle = tr.color;
      ctx.lineWidth = 1.6;
      ctx.beginPath();
      tr.points.forEach(([a, b], i) => (i === 0 ? ctx.moveTo(px(a), py(b)) : ctx.lineTo(px(a), py(b))));
      ctx.stroke();
      tr.points.forEach(([a, b], i) => {
        ctx.beginPath();
        ctx.arc(px(a), py(b), i === tr.points.length - 1 ? 3.6 : 2.2, 0, 2 * Math.PI);
        ctx.fill();
      });
    }
    ctx.restore();

    ctx.strokeStyle = '#c9ced6';
    ctx.lineWidth = 1;
    ctx.strokeRect(PAD.left + 0.5, PAD.top + 0.5, w - 1, h - 1);
    ctx.fillStyle = '#5b6270';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    for (let x = Math.ceil(BOX.x1[0]); x <= BOX.x1[1]; x++) ctx.fillText(String(x), px(x), PAD.top + h + 14);
    ctx.fillText('x1', PAD.left + w - 8, PAD.top + h + 24);
    ctx.textAlign = 'right';
    for (let y = Math.ceil(BOX.x2[0]); y <= BOX.x2[1]; y++) ctx.fillText(String(y), PAD.left - 6, py(y) + 4);
    ctx.fillText('x2', PAD.left - 6, PAD.top + 10);

    this.legend.replaceChildren(
      ...trajectories.map((tr) => {
        const item = document.createElement('span');
        item.style.setProperty('--c', tr.color);
        item.textContent = tr.name;
        return item;
      }),
    );
  }
}
