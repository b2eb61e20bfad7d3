/** The kubeconfig `kubeactor up` writes next to its data, for kubectl and client libraries. */
import { writeFileSync } from "node:fs";

export const kubeconfigYaml = (serverUrl: string, name = "kubeactor"): string =>
  `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: ${serverUrl}
users:
- name: ${name}-admin
  user: {}
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: ${name}-admin
    namespace: default
current-context: ${name}
preferences: {}
`;

export const writeKubeconfig = (path: string, serverUrl: string): void => writeFileSync(path, kubeconfigYaml(serverUrl), { mode: 0o600 });
