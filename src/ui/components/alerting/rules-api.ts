/** Prometheus-shaped /api/v1/rules data as the Alerts and Rules pages read it. */
export interface RuleAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'pending' | 'inactive';
  activeAt: string;
  value: string;
}

export interface ApiRule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  duration?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  alerts?: RuleAlert[];
  state?: 'firing' | 'pending' | 'inactive';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
}

export interface RuleGroup {
  name: string;
  file: string;
  rules: ApiRule[];
  interval: number;
  evaluationTime: number;
  lastEvaluation: string;
}

export interface RulesData {
  groups: RuleGroup[];
}
