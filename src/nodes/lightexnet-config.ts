/** Node-RED config node `lightexnet-config`: model and runtime settings shared by the inference nodes. */
import { ModelConfigNode, parseModelSettings } from './model-settings';
import { Node, NodeAPI, NodeDef } from './node-red-types';

export = function register(RED: NodeAPI): void {
  RED.nodes.registerType('lightexnet-config', function (this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    (this as ModelConfigNode).settings = parseModelSettings(def);
  });
};
