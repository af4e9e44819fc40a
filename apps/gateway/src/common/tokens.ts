// Injection tokens for values that are not classes.
export const CONFIG = Symbol('CONFIG');
export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');
export const REDIS = Symbol('REDIS');
