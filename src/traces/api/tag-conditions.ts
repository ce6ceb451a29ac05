/**
 * Key/value tag filters (Jaeger `tags`, Tempo's legacy `tags=`) → store search fields. Jaeger and Tempo show
 * OTel status and kind as tags (`error=true`, `otel.status_code=ERROR`, `span.kind=server`), so those map to
 * the intrinsics; any other key is an attribute of the span or its resource.
 */
import type { StatusCode } from '../model.js';
import type { SpanCondition } from '../store/interface.js';
import { BadRequest } from './params.js';

export interface TagFilter {
  serviceName?: string;
  spanName?: string;
  status?: StatusCode;
  conditions: SpanCondition[];
}

export function tagFilter(pairs: readonly [string, string][]): TagFilter {
  const f: TagFilter = { conditions: [] };
  for (const [k, v] of pairs) {
    switch (k) {
      case 'error':
        if (v === 'true') f.status = 'error';
        else f.conditions.push({ field: 'status', op: '!=', value: 'error' });
        break;
      case 'otel.status_code':
      case 'status.code':
      case 'status': {
        const s = v.toLowerCase();
        if (s !== 'error' && s !== 'ok' && s !== 'unset') throw new BadRequest(`${k} must be ERROR, OK or UNSET, got "${v}"`);
        f.status = s;
        break;
      }
      case 'span.kind':
      case 'kind':
        f.conditions.push({ field: 'kind', op: '=', value: v.toLowerCase() });
        break;
      case 'service.name':
        f.serviceName = v;
        break;
      case 'name':
        f.spanName = v;
        break;
      default:
        f.conditions.push({ field: `.${k}`, op: '=', value: v });
    }
  }
  return f;
}
