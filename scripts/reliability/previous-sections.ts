// Splits a generated report into its level-2 sections, so a section can be kept when its suite has not run.

/** The lines under each `## heading` (up to the next one), by heading. */
export function previousSections(markdown: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let body: string[] | undefined;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## ')) {
      body = [];
      sections.set(line.slice(3).trim(), body);
    } else if (body && !(body.length === 0 && line === '')) body.push(line);
  }
  return sections;
}
