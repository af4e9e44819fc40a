/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  // The console talks to the gateway; it has no server-side dependencies of its own yet.
  poweredByHeader: false,
};

export default nextConfig;
