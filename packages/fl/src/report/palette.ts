/**
 * Line and bar colours: the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), readable by
 * people with the common colour-vision deficiencies, then a few darker tones; series past the list reuse
 * colours with a dash pattern so every line stays distinguishable.
 */
export const PALETTE: readonly string[] = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#000000",
  "#8C564B",
  "#7F7F7F",
  "#BCBD22",
];

const DASHES: readonly string[] = ["", "6 3", "2 3", "8 3 2 3"];

/** Stroke colour and dash pattern of the i-th series. */
export function seriesStyle(i: number): { readonly color: string; readonly dash: string } {
  return {
    color: PALETTE[i % PALETTE.length]!,
    dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length]!,
  };
}
