// Version numbers of the candidates a run registers: a retrain is the next minor version after every
// registered release (site versions registered before sites had their own calibrations count too).

interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease?: string;
}

export function parseSemVer(version: string): SemVer | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(version);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), prerelease: match[4] };
}

const compare = (a: SemVer, b: SemVer) => a.major - b.major || a.minor - b.minor || a.patch - b.patch;

/** Next minor after the highest registered version (site versions count by their numbers too). */
export function nextCandidateVersion(registered: readonly string[]): string {
  const versions = registered
    .map(parseSemVer)
    .filter((v): v is SemVer => v !== undefined)
    .sort(compare);
  const highest = versions.at(-1);
  if (!highest) return '1.0.0';
  return `${highest.major}.${highest.minor + 1}.0`;
}
