/**
 * A number as the page shows it in tables, legends and tooltips.
 *
 * 1. `digits` significant digits (default 4), trailing zeros dropped: 0.24169 → "0.2417".
 * 2. Magnitudes ≥ 1e5 or < 1e-3 (not 0) in exponent form with 2 decimals: 1673365 → "1.67e+6".
 * 3. `null`, `undefined`, NaN and ±∞ show as "–".
 *
 * @example
 * formatNumber(0.241694); // "0.2417"
 * formatNumber(0.00004);  // "4.00e-5"
 * formatNumber(null);     // "–"
 */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}
