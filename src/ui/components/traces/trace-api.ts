/**
 * The Traces UI's access to Sextant's Tempo- and Jaeger-compatible APIs (same origin): search, trace by id,
 * services and operations. Errors carry the server's message so the page can show it verbatim.
 */
export class TraceApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'TraceApiError';
  }
}

async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new TraceApiError('Cannot reach the Sextant server — is it running?', 0);
  }
  const text = await res.text();
  if (!res.ok) {
    let msg = text.trim() || `HTTP ${res.status}`;
    try {
      const j = JSON.parse(text) as { errors?: { msg: string }[] };
      if (j.errors?.[0]?.msg) msg = j.errors[0].msg;
    } catch {
      /* plain-text error (Tempo's shape) */
    }
    throw new TraceApiError(msg, res.status);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new TraceApiError(`Unexpected response from server (HTTP ${res.status})`, res.status);
  }
}

export interface KeyValue {
  key: string;
  value: AnyValue;
}
export type AnyValue = {
  stringValue?: string;
  intValue?: string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
};

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: KeyValue[];
  events?: { timeUnixNano: string; name: string; attributes?: KeyValue[] }[];
  links?: { traceId: string; spanId: string; attributes?: KeyValue[] }[];
  status?: { code?: number; message?: string };
}
export interface ResourceSpans {
  resource?: { attributes?: KeyValue[] };
  scopeSpans?: { scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }[];
}

export async function fetchTrace(id: string, signal?: AbortSignal): Promise<ResourceSpans[]> {
  const r = await getJson<{ trace?: { resourceSpans?: ResourceSpans[] } }>(`/tempo/api/v2/traces/${encodeURIComponent(id)}`, signal);
  return r.trace?.resourceSpans ?? [];
}

export interface SearchTrace {
  traceID: string;
  rootServiceName: string;
  rootTraceName: string;
  startTimeUnixNano: string;
  durationMs: number;
  spanSets?: { spans: { spanID: string; name: string }[]; matched: number }[];
  serviceStats?: Record<string, { spanCount: number; errorCount?: number }>;
}

export async function searchTraces(params: Record<string, string>, signal?: AbortSignal): Promise<SearchTrace[]> {
  const r = await getJson<{ traces?: SearchTrace[] }>(`/tempo/api/search?${new URLSearchParams(params)}`, signal);
  return r.traces ?? [];
}

export async function fetchServices(signal?: AbortSignal): Promise<string[]> {
  return (await getJson<{ data: string[] | null }>('/jaeger/api/services', signal)).data ?? [];
}

export async function fetchOperations(service: string, signal?: AbortSignal): Promise<string[]> {
  return (await getJson<{ data: string[] | null }>(`/jaeger/api/services/${encodeURIComponent(service)}/operations`, signal)).data ?? [];
}

export function anyValueText(v: AnyValue | undefined): string {
  if (!v) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return v.intValue;
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.boolValue !== undefined) return String(v.boolValue);
  if (v.arrayValue) return `[${(v.arrayValue.values ?? []).map(anyValueText).join(', ')}]`;
  if (v.kvlistValue) return `{${(v.kvlistValue.values ?? []).map((kv) => `${kv.key}: ${anyValueText(kv.value)}`).join(', ')}}`;
  return '';
}
