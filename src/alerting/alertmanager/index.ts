export { Alertmanager, AlertValidationError, type AlertmanagerOptions, type AlertStatus } from './alertmanager.js';
export { registerAlertmanagerApiRoutes, type AlertmanagerApiDeps } from './api.js';
export { parseAlertmanagerConfig, loadAlertmanagerConfigFile, defaultAlertmanagerConfig, redactSecrets, type AlertmanagerConfig } from './config.js';
export { parseMatchers } from './matchers.js';
