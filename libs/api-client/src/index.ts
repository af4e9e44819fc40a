export { GatewayClient, GatewayError, queryString, type GatewayClientOptions } from './gateway-client';
export type * from './types';
