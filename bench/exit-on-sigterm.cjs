// Preloaded into s3rver when the service benchmark profiles it: s3rver has no SIGTERM handler, and a
// process killed by a signal never writes its --cpu-prof profile.
process.once('SIGTERM', () => process.exit(0));
