/** Alerts as the rule engine hands them to the notifier, and as Alertmanager's v2 API receives them. */
import type { Labels } from '../../model/labels.js';

/** One alert from the rule engine (Prometheus's notifier.Alert). Times are ms since the epoch; 0 = unset. */
export interface NotifierAlert {
  labels: Labels;
  annotations: Labels;
  startsAt: number;
  endsAt: number;
  generatorURL: string;
}

/** Alertmanager v2 `postableAlert` (what POST /api/v2/alerts takes). Times are RFC 3339. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}
