import { describe, expect, it } from "vitest";
import { applyDefaults, defaultImagePullPolicy } from "./defaults.ts";
import { findResource } from "./registry.ts";

const r = (g: string, res: string) => findResource(g, "v1", res)!;

describe("applyDefaults", () => {
  it("defaults a Deployment like Kubernetes", () => {
    const input = { metadata: { name: "web" }, spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx:1.25", ports: [{ containerPort: 80 }] }] } } } };
    const out = applyDefaults(r("apps", "deployments"), input) as any;
    expect(input.spec).not.toHaveProperty("replicas");
    expect(out.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } } });
    expect(out.spec.template.spec).toMatchObject({ restartPolicy: "Always", terminationGracePeriodSeconds: 30, dnsPolicy: "ClusterFirst", schedulerName: "default-scheduler", securityContext: {} });
    expect(out.spec.template.spec).not.toHaveProperty("enableServiceLinks");
    expect(out.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: "IfNotPresent", terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File", ports: [{ containerPort: 80, protocol: "TCP" }], resources: {} });
    expect(applyDefaults(r("apps", "deployments"), out)).toEqual(out);
    const recreate = applyDefaults(r("apps", "deployments"), { spec: { strategy: { type: "Recreate" } } }) as any;
    expect(recreate.spec.strategy).toEqual({ type: "Recreate" });
  });

  it("defaults Pods: pull policy, probes, requests from limits, quantities canonical", () => {
    const pod = applyDefaults(r("", "pods"), {
      spec: {
        containers: [
          { name: "a", image: "nginx", livenessProbe: { httpGet: { port: 80 } }, resources: { limits: { cpu: "2000m", memory: "1.5Gi" } } },
          { name: "b", image: "nginx@sha256:abc", readinessProbe: { exec: { command: ["true"] }, periodSeconds: 5 } },
        ],
        volumes: [{ name: "v" }, { name: "c", configMap: { name: "x" } }],
      },
    }) as any;
    const [a, b] = pod.spec.containers;
    expect(a.imagePullPolicy).toBe("Always");
    expect(b.imagePullPolicy).toBe("IfNotPresent");
    expect(a.livenessProbe).toEqual({ httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(b.readinessProbe.periodSeconds).toBe(5);
    expect(a.resources).toEqual({ limits: { cpu: "2", memory: "1536Mi" }, requests: { cpu: "2", memory: "1536Mi" } });
    expect(pod.spec.enableServiceLinks).toBe(true);
    expect(pod.spec.volumes).toEqual([{ name: "v", emptyDir: {} }, { name: "c", configMap: { name: "x", defaultMode: 420 } }]);
    expect(defaultImagePullPolicy("nginx:latest")).toBe("Always");
    expect(defaultImagePullPolicy("localhost:5000/nginx")).toBe("Always");
    expect(defaultImagePullPolicy("localhost:5000/nginx:1")).toBe("IfNotPresent");
  });

  it("defaults Services, Namespaces, Secrets, ReplicaSets", () => {
    const svc = applyDefaults(r("", "services"), { spec: { ports: [{ port: 80 }, { port: 443, targetPort: "https" }] } }) as any;
    expect(svc.spec).toEqual({
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }, { port: 443, protocol: "TCP", targetPort: "https" }],
      type: "ClusterIP", sessionAffinity: "None", internalTrafficPolicy: "Cluster", ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv4"],
    });
    const np = applyDefaults(r("", "services"), { spec: { type: "NodePort", ports: [{ port: 80 }] } }) as any;
    expect(np.spec.externalTrafficPolicy).toBe("Cluster");
    const ns = applyDefaults(r("", "namespaces"), { metadata: { name: "team" } }) as any;
    expect(ns).toEqual({ metadata: { name: "team", labels: { "kubernetes.io/metadata.name": "team" } }, spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } });
    expect((applyDefaults(r("", "secrets"), {}) as any).type).toBe("Opaque");
    expect((applyDefaults(r("apps", "replicasets"), { spec: {} }) as any).spec.replicas).toBe(1);
    expect(applyDefaults(r("coordination.k8s.io", "leases"), { spec: { holderIdentity: "x" } })).toEqual({ spec: { holderIdentity: "x" } });
  });
});
