#!/usr/bin/env python3
"""Validates Kubernetes manifests (a multi-document YAML stream on stdin)
against the API's OpenAPI types, as Debian's python3-kubernetes generated
them: every key must be a field of its type, every value of the field's
type, every required field present. Prints each error and exits 1; exits
77 (skipped) when python3-kubernetes is missing.
"""
import sys

try:
    import yaml
    import kubernetes.client as models
except ImportError:
    print("python3-kubernetes is missing (scripts/setup installs it)", file=sys.stderr)
    sys.exit(77)

errors = []


def check(value, type_name, path):
    if value is None:
        return
    if type_name == "object":
        return  # int-or-string and free-form fields
    if type_name == "str":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {type(value).__name__} {value!r}")
        return
    if type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer, got {value!r}")
        return
    if type_name == "bool":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean, got {value!r}")
        return
    if type_name.startswith("list["):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {value!r}")
            return
        for i, item in enumerate(value):
            check(item, type_name[5:-1], f"{path}[{i}]")
        return
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a mapping, got {value!r}")
            return
        inner = type_name[type_name.index(",") + 1:-1].strip()
        for k, v in value.items():
            check(v, inner, f"{path}.{k}")
        return
    cls = getattr(models, type_name, None)
    if cls is None:
        errors.append(f"{path}: unknown type {type_name}")
        return
    if not isinstance(value, dict):
        errors.append(f"{path}: expected a {type_name} mapping, got {value!r}")
        return
    fields = {json: attr for attr, json in cls.attribute_map.items()}
    kwargs = {}
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{path}.{key}: not a field of {type_name}")
            continue
        check(item, cls.openapi_types[fields[key]], f"{path}.{key}")
        kwargs[fields[key]] = item
    # The generated setters refuse a missing required field, and a value
    # outside a field's enumeration.
    try:
        cls(**kwargs)
    except ValueError as e:
        errors.append(f"{path}: {e}")


count = 0
for number, doc in enumerate(yaml.safe_load_all(sys.stdin), 1):
    if doc is None:
        continue
    count += 1
    api, kind = doc.get("apiVersion", ""), doc.get("kind", "")
    version = api.split("/")[-1]
    type_name = version[0].upper() + version[1:] + kind
    if not hasattr(models, type_name):
        errors.append(f"document {number}: no type {type_name} for apiVersion {api!r}, kind {kind!r}")
        continue
    name = doc.get("metadata", {}).get("name", "?")
    check(doc, type_name, f"{kind}/{name}")

for e in errors:
    print(e)
if count == 0:
    print("no manifests on stdin")
    sys.exit(1)
sys.exit(1 if errors else 0)
