export {
  ScrapeManager,
  type ScrapeManagerOptions,
  type ActiveTarget,
  type DroppedTarget,
  type TargetsResult,
  type MetadataEntry,
  type TargetMetadataEntry,
  type FileDiscoveryFactory,
  type DiscoveryHandle,
} from './manager.js';
export { SCRAPE_ACCEPT_HEADER } from './http-client.js';
export type { DiscoveredGroup } from './target.js';
