// Runs once when the server starts: a wrong setting stops it here, naming the variable.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { consoleConfig } = await import('./lib/config');
  const config = consoleConfig();
  if (!config.sessionSecret)
    console.warn(
      'console: CONSOLE_SESSION_SECRET is not set; sessions use a random per-process secret and end when the console restarts.',
    );
}
