/**
 * The slice of Node-RED's runtime API these nodes use, typed here so the glue stays strict without a
 * dependency on @types/node-red.
 */
export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  topic?: string;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type SendFn = (msg: NodeMessage | (NodeMessage | null)[] | null) => void;
export type DoneFn = (err?: Error) => void;

export interface Node {
  id: string;
  name?: string;
  /** Sends from a node without input (e.g. one driven by MQTT). */
  send(msg: NodeMessage | (NodeMessage | null)[]): void;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => void): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  status(status: NodeStatus | Record<string, never>): void;
  warn(msg: unknown): void;
  error(err: unknown, msg?: NodeMessage): void;
  log(msg: unknown): void;
}

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  [key: string]: unknown;
}

export interface NodeAPI {
  nodes: {
    createNode(node: Node, def: NodeDef): void;
    registerType(type: string, ctor: (this: Node, def: NodeDef) => void): void;
    /** A config node by id (e.g. the core mqtt-broker node), undefined if it does not exist. */
    getNode(id: string): unknown;
  };
  _(key: string, subs?: Record<string, unknown>): string;
}
