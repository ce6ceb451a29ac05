/** Rule evaluation metrics on the self registry, Prometheus's prometheus_rule_* under Sextant's names. */
import { Counter, Gauge, type Metric } from 'prom-client';
import { selfRegistry } from '../../metrics/collectors/self.js';

function once<T extends Metric>(name: string, make: () => T): T {
  return (selfRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

const g = (name: string, help: string) => once(name, () => new Gauge({ name, help, labelNames: ['rule_group'], registers: [selfRegistry] }));
const c = (name: string, help: string) => once(name, () => new Counter({ name, help, labelNames: ['rule_group'], registers: [selfRegistry] }));

export const ruleMetrics = {
  evaluations: c('sextant_rule_evaluations_total', 'The total number of rule evaluations.'),
  failures: c('sextant_rule_evaluation_failures_total', 'The total number of rule evaluation failures.'),
  iterations: c('sextant_rule_group_iterations_total', 'The total number of scheduled rule group evaluations, whether executed or missed.'),
  missed: c('sextant_rule_group_iterations_missed_total', 'The total number of rule group evaluations missed due to slow rule group evaluation.'),
  lastDuration: g('sextant_rule_group_last_duration_seconds', 'The duration of the last rule group evaluation.'),
  lastEvaluation: g('sextant_rule_group_last_evaluation_timestamp_seconds', 'The timestamp of the last rule group evaluation in seconds.'),
  interval: g('sextant_rule_group_interval_seconds', 'The interval of a rule group.'),
  rules: g('sextant_rule_group_rules', 'The number of rules.'),
  samples: g('sextant_rule_group_last_evaluation_samples', 'The number of samples returned during the last rule group evaluation.'),
};

export function dropGroupMetrics(key: string): void {
  for (const m of Object.values(ruleMetrics)) {
    try {
      m.remove(key);
    } catch {
      // not present
    }
  }
}
