/**
 * A short line in a run's colour and dash pattern (an inline SVG, 18 × 6 px): the key of a run
 * in legends, tooltips and the run table.
 *
 * @example
 * legendItem.append(lineSwatch('#4e79a7', [7, 4]));
 */
export function lineSwatch(color: string, dash: readonly number[] = []): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '6');
  svg.classList.add('swatch-line');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
  for (const [k, v] of Object.entries({ x1: '0', y1: '3', x2: '18', y2: '3', stroke: color, 'stroke-width': '2.5' })) line.setAttribute(k, v);
  if (dash.length) line.setAttribute('stroke-dasharray', dash.join(' '));
  svg.append(line);
  return svg;
}
