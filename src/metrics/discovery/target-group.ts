/**
 * Target groups as service discovery produces them (Prometheus's targetgroup.Group), and reading the
 * file_sd file format: a JSON or YAML list of `{targets: [...], labels: {...}}`.
 */
import { extname } from 'node:path';
import { LineCounter, parseDocument, type Node } from 'yaml';
import { YamlReader } from '../../config/yaml-reader.js';
import { isValidLabelName } from '../../model/labels.js';

export interface TargetGroup {
  /** Identifies the group across updates: `<file>:<index>` for file_sd, `<index>` for static_configs. */
  source: string;
  /** One label set per target; each has `__address__`. */
  targets: Record<string, string>[];
  labels: Record<string, string>;
}

export const ADDRESS_LABEL = '__address__';
export const FILEPATH_LABEL = '__meta_filepath';

function fromJson(text: string): { targets: string[]; labels: Record<string, string> }[] {
  const data: unknown = JSON.parse(text);
  if (data === null) return [];
  if (!Array.isArray(data)) throw new Error('json: cannot unmarshal object into Go value of type []*targetgroup.Group');
  return data.map((g: unknown, i) => {
    if (g === null) throw new Error(`nil target group item found (index ${i})`);
    if (typeof g !== 'object' || Array.isArray(g)) throw new Error(`json: cannot unmarshal ${Array.isArray(g) ? 'array' : typeof g} into Go value of type targetgroup.Group`);
    const obj = g as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (k !== 'targets' && k !== 'labels') throw new Error(`json: unknown field ${JSON.stringify(k)}`);
    }
    const targets: string[] = [];
    if (obj.targets !== undefined && obj.targets !== null) {
      if (!Array.isArray(obj.targets)) throw new Error('json: cannot unmarshal into Go struct field .targets of type []string');
      for (const t of obj.targets) {
        if (typeof t !== 'string') throw new Error('json: cannot unmarshal into Go struct field .targets of type string');
        targets.push(t);
      }
    }
    const labels: Record<string, string> = {};
    if (obj.labels !== undefined && obj.labels !== null) {
      if (typeof obj.labels !== 'object' || Array.isArray(obj.labels)) {
        throw new Error('json: cannot unmarshal into Go struct field .labels of type model.LabelSet');
      }
      for (const [k, v] of Object.entries(obj.labels as Record<string, unknown>)) {
        if (!isValidLabelName(k)) throw new Error(`${JSON.stringify(k)} is not a valid label name`);
        if (typeof v !== 'string') throw new Error('json: cannot unmarshal into Go value of type model.LabelValue');
        labels[k] = v;
      }
    }
    return { targets, labels };
  });
}

function fromYaml(text: string, filename: string): { targets: string[]; labels: Record<string, string> }[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: '1.1', merge: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new Error(`${filename}:${e.linePos?.[0]?.line ?? '?'}: yaml: ${e.message.split('\n')[0]}`);
  }
  const r = new YamlReader(filename, doc, lineCounter);
  return r.list(doc.contents as Node | null, '', '*targetgroup.Group').map((n, i) => {
    if (!n) throw new Error(`nil target group item found (index ${i})`);
    const g = { targets: [] as string[], labels: {} as Record<string, string> };
    r.object(n, 'struct { Targets []string "yaml:\\"targets\\""; Labels model.LabelSet "yaml:\\"labels\\"" }', '', {
      targets: (v) => (g.targets = r.strings(v, 'targets')),
      labels: (v) => {
        for (const [k, val, key] of r.entries(v, 'labels', 'model.LabelSet')) {
          if (!isValidLabelName(k)) r.fail(key, 'labels', `${JSON.stringify(k)} is not a valid label name`);
          g.labels[k] = r.str(val, 'labels') ?? '';
        }
      },
    });
    return g;
  });
}

/**
 * Parses one file_sd file. The format follows the extension (.json, .yml, .yaml, any case), as Prometheus
 * decides it; each group gets `__meta_filepath` and source `<filename>:<index>`. Throws on malformed input.
 */
export function parseTargetGroupsFile(text: string, filename: string): TargetGroup[] {
  const ext = extname(filename).toLowerCase();
  let raw: { targets: string[]; labels: Record<string, string> }[];
  if (ext === '.json') raw = fromJson(text);
  else if (ext === '.yml' || ext === '.yaml') raw = fromYaml(text, filename);
  else throw new Error(`invalid file extension: ${JSON.stringify(extname(filename))}`);
  return raw.map((g, i) => ({
    source: `${filename}:${i}`,
    targets: g.targets.map((t) => ({ [ADDRESS_LABEL]: t })),
    labels: { ...g.labels, [FILEPATH_LABEL]: filename },
  }));
}
