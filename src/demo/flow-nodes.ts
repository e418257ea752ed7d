/** Builders for the core nodes that the demo flow and the example flows (scripts/make-examples.js) share. */

export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** A core function node with one output per entry of `wires`. */
export function functionNode(id: string, name: string, func: string, x: number, y: number, wires: string[][]): FlowNode {
  return {
    id,
    type: 'function',
    name,
    func,
    outputs: wires.length,
    timeout: 0,
    noerr: 0,
    initialize: '',
    finalize: '',
    libs: [],
    x,
    y,
    wires,
  };
}
