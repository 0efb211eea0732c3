// k8s_validate.mjs: validates Kubernetes manifests against the API's schemas, as npm's
// kubernetes-models (core and apps, from Kubernetes' OpenAPI) and
// @kubernetes-models/prometheus-operator (PodMonitor, ServiceMonitor, from the Operator's CRDs)
// compile them (ajv): types, required fields, enums, formats. Those schemas do not refuse unknown
// fields, so what etc/kubernetes promises (read-only mounts, non-root, read-only root filesystem,
// probes, resources, scrape annotations) is also asserted here by name: a misspelt key fails.
// Usage: node k8s_validate.mjs FILE.yaml...   (exit 1 on any error, each printed)
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const modules = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};
let errors = 0;
const fail = (where, msg) => { console.log(`FAIL: ${where}: ${msg}`); errors++; };

function checkDaemonSet(where, ds) {
  const t = ds.spec.template, pod = t.spec, sc = pod.securityContext || {};
  const ann = (t.metadata && t.metadata.annotations) || {};
  if (ann["prometheus.io/scrape"] !== "true" || !ann["prometheus.io/port"] || !ann["prometheus.io/path"])
    fail(where, "the pod template lacks the prometheus.io/scrape, port and path annotations");
  if (sc.runAsNonRoot !== true || !(sc.runAsUser > 0)) fail(where, "the pod does not run as a non-root user");
  const mounts = {};
  for (const v of pod.volumes) mounts[v.name] = v;
  for (const c of pod.containers) {
    const csc = c.securityContext || {};
    if (csc.readOnlyRootFilesystem !== true) fail(where, `${c.name}: root filesystem not read-only`);
    if (csc.allowPrivilegeEscalation !== false) fail(where, `${c.name}: privilege escalation allowed`);
    if (!c.resources || !c.resources.requests || !c.resources.limits) fail(where, `${c.name}: no resources`);
    for (const p of ["livenessProbe", "readinessProbe"])
      if (!c[p] || !c[p].httpGet || !c[p].httpGet.path) fail(where, `${c.name}: no HTTP ${p}`);
    for (const hp of ["/var/log/pods", "/var/log/containers"]) {
      const m = (c.volumeMounts || []).find((vm) => mounts[vm.name] && mounts[vm.name].hostPath &&
                                                  mounts[vm.name].hostPath.path === hp);
      if (!m) fail(where, `${c.name}: ${hp} is not mounted from the host`);
      else if (m.readOnly !== true) fail(where, `${c.name}: ${hp} is mounted writable`);
    }
  }
}

for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  let n = 0;
  for (const doc of docs) {
    n++;
    const where = `${file}: document ${n}`;
    if (doc.errors.length) { fail(where, doc.errors.map((e) => e.message).join("; ")); continue; }
    const obj = doc.toJS();
    if (!obj) continue;
    const mod = modules[obj.apiVersion];
    if (!mod) { fail(where, `no schema for apiVersion ${obj.apiVersion}`); continue; }
    let Model;
    try {
      Model = (await import(`${mod}/${obj.kind}`))[obj.kind];
    } catch (e) {
      fail(where, `no schema for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    const before = errors;
    try {
      new Model(obj).validate();
    } catch (e) {
      fail(`${where} (${obj.kind} ${obj.metadata && obj.metadata.name})`, e.message);
    }
    try {
      if (obj.kind === "DaemonSet") checkDaemonSet(`${where} (DaemonSet)`, obj);
    } catch (e) {
      fail(`${where} (DaemonSet)`, `not the shape of a DaemonSet: ${e.message}`);
    }
    if (errors === before) console.log(`ok: ${file}: ${obj.kind} ${obj.metadata.name}`);
  }
}
process.exit(errors ? 1 : 0);
