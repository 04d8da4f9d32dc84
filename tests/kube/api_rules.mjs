// The API server's validation rules that no OpenAPI schema states: name
// formats and lengths, port ranges, names unique within a pod, mounts that
// name a volume, requests within limits, one object per kind and name.
// A subset, chosen for what `stack convert` writes; each rule is as strict
// as the API server's or stricter.

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const configMapKey = /^[-._a-zA-Z0-9]+$/;

const label = (s) => typeof s === "string" && s.length <= 63 && dns1123Label.test(s);
const subdomain = (s) => typeof s === "string" && s.length <= 253 && dns1123Subdomain.test(s);
const dnsLabel1035 = (s) => typeof s === "string" && s.length <= 63 && dns1035Label.test(s);

// A label or annotation key: [prefix/]name, the prefix a DNS subdomain.
function qualifiedKey(key) {
  const slash = key.lastIndexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0 && !subdomain(key.slice(0, slash))) return false;
  return name.length <= 63 && qualifiedName.test(name);
}

const labelValue = (v) => typeof v === "string" && (v === "" || (v.length <= 63 && qualifiedName.test(v)));

// IANA_SVC_NAME: what a container port's name must be.
const serviceName = (s) =>
  typeof s === "string" && s.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes("--");

const port = (p) => Number.isInteger(p) && p >= 1 && p <= 65535;

// A quantity (512Mi, 1.5, 100m, 1e3) in base units; NaN when it is not one.
function quantity(q) {
  const m = /^([+-]?[0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/.exec(String(q));
  if (!m || !/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(m[1])) return NaN;
  const suffix = m[2] ?? "";
  const binary = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  const decimal = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  const scale = binary[suffix] ?? decimal[suffix] ?? 10 ** Number(suffix.slice(1));
  return Number(m[1]) * scale;
}

export function checkObjects(documents, report) {
  const seen = new Set();
  for (const doc of documents) {
    const id = `${doc.kind}/${doc.metadata?.name ?? "?"}`;
    const key = `${doc.apiVersion} ${doc.kind} ${doc.metadata?.namespace ?? ""} ${doc.metadata?.name}`;
    if (seen.has(key)) report(`${id}: a second object of this kind and name`);
    seen.add(key);
    checkObject(doc, (path, message) => report(`${id}${path}: ${message}`));
  }
}

function checkObject(doc, error) {
  const meta = doc.metadata ?? {};
  const name = meta.name;
  if (!name) error(".metadata.name", "required");
  else if (doc.kind === "Service" && !dnsLabel1035(name))
    error(".metadata.name", `"${name}" is not a DNS-1035 label (lower case letters, digits and -, starting with a letter, at most 63)`);
  else if (["Job", "StatefulSet", "Namespace"].includes(doc.kind) && !label(name))
    error(".metadata.name", `"${name}" is not a DNS-1123 label (it names pods or labels them: at most 63 characters)`);
  else if (!subdomain(name)) error(".metadata.name", `"${name}" is not a DNS-1123 subdomain`);
  if (meta.namespace !== undefined && !label(meta.namespace)) error(".metadata.namespace", `"${meta.namespace}" is not a DNS-1123 label`);
  checkLabels(meta.labels, ".metadata.labels", error);
  for (const key of Object.keys(meta.annotations ?? {}))
    if (!qualifiedKey(key)) error(`.metadata.annotations.${key}`, "not a qualified name");

  const spec = doc.spec ?? {};
  switch (doc.kind) {
    case "Deployment":
    case "StatefulSet":
      checkSelector(spec, error);
      checkPodSpec(spec.template?.spec, ".spec.template.spec", error, ["Always"]);
      checkLabels(spec.template?.metadata?.labels, ".spec.template.metadata.labels", error);
      if (spec.replicas !== undefined && spec.replicas < 0) error(".spec.replicas", "must be 0 or more");
      break;
    case "Job":
      if (spec.selector) checkSelector(spec, error);
      checkPodSpec(spec.template?.spec, ".spec.template.spec", error, ["Never", "OnFailure"]);
      checkLabels(spec.template?.metadata?.labels, ".spec.template.metadata.labels", error);
      if (spec.backoffLimit !== undefined && spec.backoffLimit < 0) error(".spec.backoffLimit", "must be 0 or more");
      break;
    case "Service":
      checkService(spec, error);
      break;
    case "PersistentVolumeClaim":
      if (!spec.accessModes?.length) error(".spec.accessModes", "at least one access mode is required");
      if (!(quantity(spec.resources?.requests?.storage) > 0)) error(".spec.resources.requests.storage", "a positive quantity is required");
      break;
    case "ConfigMap":
      for (const key of Object.keys(doc.data ?? {}))
        if (key.length > 253 || !configMapKey.test(key)) error(`.data.${key}`, "a key must be letters, digits, '-', '_' or '.'");
      break;
    case "NetworkPolicy":
      for (const direction of ["ingress", "egress"])
        for (const [i, rule] of (spec[direction] ?? []).entries())
          for (const [j, p] of (rule.ports ?? []).entries())
            if (p.port !== undefined && typeof p.port === "number" && !port(p.port))
              error(`.spec.${direction}[${i}].ports[${j}].port`, "must be 1-65535");
      break;
  }
}

function checkLabels(labels, path, error) {
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!qualifiedKey(key)) error(`${path}.${key}`, "not a qualified name");
    if (!labelValue(value)) error(`${path}.${key}`, `"${value}" is not a label value (at most 63 letters, digits, '-', '_', '.')`);
  }
}

function checkSelector(spec, error) {
  const match = spec.selector?.matchLabels ?? {};
  const labels = spec.template?.metadata?.labels ?? {};
  if (Object.keys(match).length === 0) error(".spec.selector", "empty: it would select every pod");
  for (const [k, v] of Object.entries(match))
    if (labels[k] !== v) error(".spec.template.metadata.labels", `does not match the selector's ${k}=${v}`);
}

function checkPodSpec(pod, path, error, restartPolicies) {
  if (!pod) return;
  if (pod.restartPolicy !== undefined && !restartPolicies.includes(pod.restartPolicy))
    error(`${path}.restartPolicy`, `must be ${restartPolicies.join(" or ")} here`);
  if (restartPolicies.length === 2 && pod.restartPolicy === undefined) error(`${path}.restartPolicy`, "required for a Job");
  const volumes = new Set();
  for (const [i, v] of (pod.volumes ?? []).entries()) {
    if (!label(v.name)) error(`${path}.volumes[${i}].name`, `"${v.name}" is not a DNS-1123 label`);
    if (volumes.has(v.name)) error(`${path}.volumes[${i}].name`, `"${v.name}" twice`);
    volumes.add(v.name);
    const sources = Object.keys(v).filter((k) => k !== "name");
    if (sources.length !== 1) error(`${path}.volumes[${i}]`, "exactly one volume source is required");
  }
  const containers = new Set();
  for (const list of ["initContainers", "containers"]) {
    for (const [i, c] of (pod[list] ?? []).entries()) {
      const at = `${path}.${list}[${i}]`;
      if (!label(c.name)) error(`${at}.name`, `"${c.name}" is not a DNS-1123 label`);
      if (containers.has(c.name)) error(`${at}.name`, `"${c.name}" twice in the pod`);
      containers.add(c.name);
      checkContainer(c, at, volumes, error, list === "containers");
    }
  }
  if (!pod.containers?.length) error(`${path}.containers`, "at least one container is required");
  if (pod.hostname !== undefined && !label(pod.hostname)) error(`${path}.hostname`, `"${pod.hostname}" is not a DNS-1123 label`);
  if (pod.serviceAccountName !== undefined && !subdomain(pod.serviceAccountName))
    error(`${path}.serviceAccountName`, "not a DNS-1123 subdomain");
  if (pod.terminationGracePeriodSeconds < 0) error(`${path}.terminationGracePeriodSeconds`, "must be 0 or more");
}

function checkContainer(c, at, volumes, error, main) {
  const ports = new Set();
  for (const [i, p] of (c.ports ?? []).entries()) {
    if (!port(p.containerPort)) error(`${at}.ports[${i}].containerPort`, "must be 1-65535");
    if (p.name !== undefined) {
      if (!serviceName(p.name)) error(`${at}.ports[${i}].name`, `"${p.name}" is not an IANA service name (at most 15)`);
      if (ports.has(p.name)) error(`${at}.ports[${i}].name`, `"${p.name}" twice`);
      ports.add(p.name);
    }
  }
  for (const [i, e] of (c.env ?? []).entries())
    if (!e.name || e.name.includes("=")) error(`${at}.env[${i}].name`, "must be non-empty, without '='");
  const paths = new Set();
  for (const [i, m] of (c.volumeMounts ?? []).entries()) {
    if (!volumes.has(m.name)) error(`${at}.volumeMounts[${i}].name`, `no volume "${m.name}" in the pod`);
    if (paths.has(m.mountPath)) error(`${at}.volumeMounts[${i}].mountPath`, `"${m.mountPath}" twice`);
    if (!String(m.mountPath).startsWith("/")) error(`${at}.volumeMounts[${i}].mountPath`, "must be absolute");
    paths.add(m.mountPath);
  }
  const { limits = {}, requests = {} } = c.resources ?? {};
  for (const [resource, value] of Object.entries({ ...limits, ...requests }))
    if (!(quantity(value) >= 0)) error(`${at}.resources.${resource}`, `"${value}" is not a quantity`);
  for (const [resource, request] of Object.entries(requests))
    if (limits[resource] !== undefined && quantity(request) > quantity(limits[resource]))
      error(`${at}.resources.requests.${resource}`, `${request} is more than its limit ${limits[resource]}`);
  for (const [resource, value] of Object.entries(limits))
    if (resource.includes("/") && !resource.startsWith("kubernetes.io/") && !Number.isInteger(quantity(value)))
      error(`${at}.resources.limits.${resource}`, "an extended resource is asked for in whole units");
  for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"]) {
    const probe = c[kind];
    if (!probe) continue;
    if (!main) error(`${at}.${kind}`, "init containers take no probes");
    const handlers = ["exec", "httpGet", "tcpSocket", "grpc"].filter((h) => probe[h]);
    if (handlers.length !== 1) error(`${at}.${kind}`, "exactly one handler is required");
    for (const field of ["periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold"])
      if (probe[field] !== undefined && probe[field] < 1) error(`${at}.${kind}.${field}`, "must be 1 or more");
    if (probe.initialDelaySeconds < 0) error(`${at}.${kind}.initialDelaySeconds`, "must be 0 or more");
    if (kind === "livenessProbe" && probe.successThreshold !== undefined && probe.successThreshold !== 1)
      error(`${at}.${kind}.successThreshold`, "must be 1 for a liveness probe");
  }
}

function checkService(spec, error) {
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === "None";
  if (!ports.length && !headless) error(".spec.ports", "required unless the Service is headless");
  if (headless && spec.type && spec.type !== "ClusterIP") error(".spec.type", "a headless Service is of type ClusterIP");
  const names = new Set();
  for (const [i, p] of ports.entries()) {
    const at = `.spec.ports[${i}]`;
    if (!port(p.port)) error(`${at}.port`, "must be 1-65535");
    if (ports.length > 1 && !p.name) error(`${at}.name`, "required when there is more than one port");
    if (p.name !== undefined && !label(p.name)) error(`${at}.name`, `"${p.name}" is not a DNS-1123 label`);
    if (names.has(p.name)) error(`${at}.name`, `"${p.name}" twice`);
    names.add(p.name);
    if (typeof p.targetPort === "number" && !port(p.targetPort)) error(`${at}.targetPort`, "must be 1-65535");
    if (typeof p.targetPort === "string" && !serviceName(p.targetPort)) error(`${at}.targetPort`, "not an IANA service name");
    if (p.nodePort !== undefined) {
      if (spec.type !== "NodePort" && spec.type !== "LoadBalancer") error(`${at}.nodePort`, "only for NodePort and LoadBalancer");
      else if (p.nodePort < 30000 || p.nodePort > 32767) error(`${at}.nodePort`, "outside the default range 30000-32767");
    }
  }
}
