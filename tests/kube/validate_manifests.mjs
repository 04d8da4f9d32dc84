#!/usr/bin/env node
// Validates Kubernetes manifests (a multi-document YAML stream on stdin)
// against the OpenAPI schemas of a recent Kubernetes release, and prints
// each error with the object and the path in it. Exits 1 on any error.
//
// Two packages, pinned in package.json, each checks what the other cannot:
//  - kubernetes-models validates each object with its JSON schema: types,
//    int32/int64 formats, quantities and int-or-strings, enumerations,
//    required fields.
//  - The OpenAPI schemas leave objects open (no additionalProperties:
//    false), so a misspelt key would pass; kubectl's default strict field
//    validation refuses it. @kubernetes/client-node's models (generated from
//    the OpenAPI of release-1.36) list every field of every type, and a key
//    that is not one is an error here too.
//
// Last, api_rules.mjs checks what the API server validates beyond the
// schemas: name formats, port ranges, names unique in a pod, mounts of
// volumes that exist, requests within limits, one object per kind and name.
//
// The stream is read as YAML 1.1, as the API machinery's YAML decoder
// reads it: an unquoted yes, on or 0755 is a bool or an octal there.
import { readFileSync } from "node:fs";

import { checkObjects } from "./api_rules.mjs";

let yaml;
try {
  yaml = await import("js-yaml");
} catch {
  console.log("the schema packages are not installed: scripts/setup runs npm ci in tests/kube");
  process.exit(1);
}

const errors = [];

// kubernetes-models/<group>/<version>/<Kind>; the core group is "v1".
async function schemaModel(apiVersion, kind) {
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind];
  } catch {
    return undefined;
  }
}

// client-node names a type VersionKind: apps/v1 Deployment is V1Deployment.
const fieldMaps = new Map();
async function fields(typeName) {
  if (!fieldMaps.has(typeName)) {
    let map;
    try {
      const module = await import(`@kubernetes/client-node/dist/gen/models/${typeName}.js`);
      map = new Map(module[typeName].getAttributeTypeMap().map((a) => [a.baseName, a.type]));
    } catch {
      map = undefined;
    }
    fieldMaps.set(typeName, map);
  }
  return fieldMaps.get(typeName);
}

// An ajv instance path (/spec/ports/0/port) as this script writes paths.
const dotted = (pointer) =>
  pointer
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^[0-9]+$/.test(part) ? `[${part}]` : `.${part}`))
    .join("");

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// Walks value as a type of client-node's attribute maps; scalars' types are
// the JSON schema's to judge.
async function checkFields(value, type, path) {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) for (const [i, item] of value.entries()) await checkFields(item, array[1], `${path}[${i}]`);
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (isObject(value)) for (const [k, v] of Object.entries(value)) await checkFields(v, map[1], `${path}.${k}`);
    return;
  }
  if (!/^V[0-9]/.test(type) || !isObject(value)) return;
  const known = await fields(type);
  if (!known) {
    errors.push(`${path}: no type ${type} in the OpenAPI models`);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (!known.has(key)) errors.push(`${path}.${key}: not a field of ${type}`);
    else await checkFields(item, known.get(key), `${path}.${key}`);
  }
}

let documents;
try {
  documents = yaml.loadAll(readFileSync(0, "utf8"), { schema: yaml.YAML11_SCHEMA });
} catch (e) {
  console.log(`not YAML: ${e.message}`);
  process.exit(1);
}

let count = 0;
const wellTyped = [];
for (const [index, doc] of documents.entries()) {
  if (doc === null || doc === undefined) continue;
  ++count;
  if (!isObject(doc)) {
    errors.push(`document ${index + 1}: not a mapping`);
    continue;
  }
  const { apiVersion = "", kind = "" } = doc;
  const name = `${kind}/${doc.metadata?.name ?? "?"}`;
  const Model = await schemaModel(apiVersion, kind);
  if (!Model) {
    errors.push(`document ${index + 1}: no schema for apiVersion "${apiVersion}", kind "${kind}"`);
    continue;
  }
  const before = errors.length;
  try {
    new Model(doc).validate();
  } catch (e) {
    if (!Array.isArray(e.errors)) throw e;
    for (const { instancePath, message } of e.errors) errors.push(`${name}${dotted(instancePath)}: ${message}`);
  }
  const version = apiVersion.split("/").pop();
  await checkFields(doc, version[0].toUpperCase() + version.slice(1) + kind, name);
  // The rules read fields as their types say they are.
  if (errors.length === before) wellTyped.push(doc);
}
checkObjects(wellTyped, (e) => errors.push(e));

for (const e of errors) console.log(e);
if (count === 0) {
  console.log("no manifests on stdin");
  process.exit(1);
}
process.exit(errors.length ? 1 : 0);
