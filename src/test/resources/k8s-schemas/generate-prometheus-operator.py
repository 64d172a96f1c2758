"""Generates strict JSON Schemas for ServiceMonitor and PrometheusRule (monitoring.coreos.com/v1) from the type
declarations of @kubernetes-models/prometheus-operator 6.0.0, which are generated from the published CRDs."""
import json, re, os, sys
V1 = sys.argv[1]
PREFIX = 'IComGithubPrometheusOperatorPrometheusOperatorPkgApisMonitoringV1'
defs = {}

def fields(name):
    text = re.sub(r'\s*/\*\*.*?\*/', '', open(os.path.join(V1, name + '.d.ts')).read(), flags=re.S)
    m = re.search(r'export interface I\w+(?: extends ([\w, ]+))? \{\n(.*?)\n\}', text, re.S)
    if m:
        body = m.group(2)
        out = []
        for parent in (m.group(1) or '').split(','):
            parent = parent.strip()
            if parent.startswith(PREFIX):
                out.extend(fields(parent[len(PREFIX):])[1])
        # top-level fields are indented by 4 spaces; inline object types span lines
        for fm in re.finditer(r'^    "([^"]+)"(\?)?: (.*?);$(?=\n    "|\n?\Z)', body + '\n', re.M | re.S):
            out.append((fm.group(1), fm.group(2) is None, fm.group(3).strip()))
        return ('object', out)
    m = re.search(r'export type I\w+ = (.*?);', text, re.S)
    return ('alias', m.group(1).strip())

def ts(t):
    t = t.strip()
    if t == 'string': return {'type': 'string'}
    if t == 'number': return {'type': 'number'}
    if t == 'boolean': return {'type': 'boolean'}
    if t.startswith('Array<') and t.endswith('>'): return {'type': 'array', 'items': ts(t[6:-1])}
    if re.fullmatch(r'(\s*"[^"]*"\s*\|?)+', t): return {'enum': re.findall(r'"([^"]*)"', t)}
    if t.startswith('{'):
        if re.search(r'\[key: string\]: string', t): return {'type': 'object', 'additionalProperties': {'type': 'string'}}
        return {'type': 'object'}
    if t == 'IIoK8sApimachineryPkgUtilIntstrIntOrString': return {'type': ['string', 'integer']}
    if t == 'IIoK8sApimachineryPkgApiResourceQuantity': return {'type': ['string', 'number']}
    if t == 'IIoK8sApimachineryPkgApisMetaV1LabelSelector':
        return {'type': 'object', 'additionalProperties': False, 'properties': {
            'matchLabels': {'type': 'object', 'additionalProperties': {'type': 'string'}},
            'matchExpressions': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False,
                'required': ['key', 'operator'], 'properties': {'key': {'type': 'string'}, 'operator': {'type': 'string'},
                'values': {'type': 'array', 'items': {'type': 'string'}}}}}}}
    if t.startswith(PREFIX):
        name = t[len(PREFIX):]
        if name not in defs:
            defs[name] = {}
            kind, value = fields(name)
            if kind == 'alias':
                defs[name] = ts(value)
            else:
                defs[name] = {'type': 'object', 'additionalProperties': False,
                              'properties': {f: ts(ft) for f, _, ft in value},
                              'required': [f for f, req, _ in value if req]}
                if not defs[name]['required']: del defs[name]['required']
        return {'$ref': '#/$defs/' + name}
    return {}  # a type from elsewhere (secrets, TLS config): any value

def resource(kind, spec):
    defs.clear()
    root = ts(PREFIX + spec)
    return {'$schema': 'https://json-schema.org/draft/2020-12/schema',
            '$id': 'https://monitoring.coreos.com/schemas/v1/' + kind.lower() + '.json',
            '$comment': ('monitoring.coreos.com/v1 ' + kind + ', generated from the type declarations of the npm package '
                         '@kubernetes-models/prometheus-operator 6.0.0 (themselves generated from the published CRDs) by '
                         'src/test/resources/k8s-schemas/generate-prometheus-operator.py. Objects allow no unknown fields.'),
            'type': 'object', 'required': ['apiVersion', 'kind', 'metadata', 'spec'],
            'properties': {'apiVersion': {'const': 'monitoring.coreos.com/v1'}, 'kind': {'const': kind},
                           'metadata': {'type': 'object', 'required': ['name']}, 'spec': root},
            '$defs': dict(defs)}

out = sys.argv[2]
for kind, spec in [('ServiceMonitor', 'ServiceMonitorSpec'), ('PrometheusRule', 'PrometheusRuleSpec')]:
    with open(os.path.join(out, 'monitoring-' + kind.lower() + '-v1.schema.json'), 'w') as f:
        f.write(json.dumps(resource(kind, spec), indent=2) + '\n')
