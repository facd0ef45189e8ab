/**
 * US dollars with enough decimals to tell small amounts apart: at least two, and two significant
 * digits below a cent (`$0`, `$0.005`, `$0.015`, `$1.50`).
 */
export function formatUsd(value: number): string {
  if (value === 0) return '$0';
  const decimals = Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(value)))));
  return `$${value.toFixed(decimals).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}
