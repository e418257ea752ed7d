/**
 * Node-RED's runtime API as these nodes use it, from @types/node-red (its registry types), narrowed where
 * ours are stricter: node properties and message fields are read as `unknown` and checked.
 */
import type * as registry from '@node-red/registry';

export type NodeAPI = registry.NodeAPI;
export type Node = registry.Node;
export type NodeStatus = registry.NodeStatus;
/** A node's properties from the flow: the known ones plus whatever its editor defines. */
export type NodeDef = registry.NodeDef & Record<string, unknown>;
/** A message: the known fields plus whatever upstream nodes set. */
export type NodeMessage = registry.NodeMessage & Record<string, unknown>;
export type SendFn = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[]) => void;
export type DoneFn = (err?: Error) => void;
