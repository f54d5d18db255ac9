import type { Tensor } from "../graph/graph.ts";

/** Sum a broadcast gradient back to the shape of the input it flowed from. */
export function reduceTo(grad: Tensor, like: Tensor): Tensor {
  let g = grad;
  const extra = g.rank - like.rank;
  if (extra > 0) g = g.sum([...Array(extra).keys()], false);
  const axes: number[] = [];
  like.shape.forEach((d, i) => {
    if (d === 1 && g.shape[i] !== 1) axes.push(i);
  });
  if (axes.length > 0) g = g.sum(axes, true);
  return g;
}
