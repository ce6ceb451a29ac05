/** static_configs as target groups, in the same shape file_sd produces. */
import type { StaticConfig } from '../../config/types.js';
import { ADDRESS_LABEL, type TargetGroup } from './target-group.js';

export function staticTargetGroups(configs: readonly StaticConfig[]): TargetGroup[] {
  return configs.map((c, i) => ({
    source: `static/${i}`,
    targets: c.targets.map((t) => ({ [ADDRESS_LABEL]: t })),
    labels: { ...c.labels },
  }));
}
