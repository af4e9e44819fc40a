export { loadConfig, ConfigError, CONFIG_VARIABLES, type Config } from './config';
