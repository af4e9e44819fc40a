import { dirname, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The workspace libs are TypeScript sources: the gateway client, and the audio lib's log-mel that
  // draws the same spectrogram the model sees.
  transpilePackages: ['@heartbeat/api-client', '@heartbeat/audio'],
  // The audio lib's WebAssembly decoders load from node_modules at run time, as in the services.
  serverExternalPackages: ['audio-decode', '@audio/decode-flac'],
  // CONSOLE_STANDALONE=1 next build: a self-contained server (.next/standalone) for container images.
  ...(process.env.CONSOLE_STANDALONE === '1'
    ? { output: 'standalone', outputFileTracingRoot: repositoryRoot }
    : {}),
  turbopack: { root: repositoryRoot },
};

export default nextConfig;
