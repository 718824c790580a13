/** The config file every command reads unless given --config (relative to the working directory). */
export const DEFAULT_CONFIG = 'config/vendorwatch.yaml';
