# json_schema.py SCHEMA FILE...: validate JSON files against a JSON Schema
# using only the keywords plots/json-schema uses (a keyword outside that set
# is an error, so a schema can never be silently half-checked).
import json, sys

KNOWN = {"$schema", "$id", "title", "description", "type", "const", "enum", "properties",
         "required", "items", "minItems", "minimum"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}

def is_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])

def check(s, v, path, errs):
    bad = set(s) - KNOWN
    if bad:
        errs.append("%s: schema uses unsupported %s" % (path, sorted(bad)))
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(is_type(v, t) for t in ts):
            errs.append("%s: %r is not %s" % (path, v, "/".join(ts)))
            return
    if "const" in s and v != s["const"]:
        errs.append("%s: %r is not %r" % (path, v, s["const"]))
    if "enum" in s and v not in s["enum"]:
        errs.append("%s: %r not one of %r" % (path, v, s["enum"]))
    if "minimum" in s and is_type(v, "number") and v < s["minimum"]:
        errs.append("%s: %r below %r" % (path, v, s["minimum"]))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append("%s: missing %r" % (path, k))
        for k, sub in s.get("properties", {}).items():
            if k in v:
                check(sub, v[k], "%s.%s" % (path, k), errs)
    if isinstance(v, list):
        if len(v) < s.get("minItems", 0):
            errs.append("%s: fewer than %d items" % (path, s["minItems"]))
        if "items" in s:
            for i, x in enumerate(v):
                check(s["items"], x, "%s[%d]" % (path, i), errs)

schema = json.load(open(sys.argv[1]))
fail = 0
for f in sys.argv[2:]:
    errs = []
    check(schema, json.load(open(f)), f, errs)
    for e in errs[:10]:
        print(e)
    fail |= bool(errs)
sys.exit(1 if fail else 0)
