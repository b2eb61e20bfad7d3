/** NodeName: a pod that names its node (spec.nodeName) fits only there (pkg/scheduler/framework/plugins/nodename). */
import { type FilterPlugin, success, unresolvable } from "../framework.ts";

export const NODE_NAME = "NodeName";
export const ErrReasonNodeName = "node(s) didn't match the requested node name";

export const nodeName: FilterPlugin = {
  name: NODE_NAME,
  skip: (_state, pod) => !pod.spec?.nodeName,
  filter: (_state, pod, node) => (!pod.spec?.nodeName || pod.spec.nodeName === node.name ? success : unresolvable(ErrReasonNodeName)),
};
