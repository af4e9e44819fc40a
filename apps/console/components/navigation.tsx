'use client';
// The main navigation; marks the current page for screen readers (aria-current).
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { Role } from '@heartbeat/api-client';

const PAGES: { href: string; title: string; adminOnly?: boolean }[] = [
  { href: '/', title: 'Overview' },
  { href: '/screen', title: 'Screen' },
  { href: '/history', title: 'History' },
  { href: '/models', title: 'Models' },
  { href: '/training', title: 'Training' },
  { href: '/metrics', title: 'Metrics' },
  { href: '/keys', title: 'API keys', adminOnly: true },
];

export function Navigation({ role }: { role: Role }) {
  const path = usePathname();
  return (
    <nav className="main" aria-label="Main">
      <ul>
        {PAGES.filter((page) => role === 'admin' || !page.adminOnly).map((page) => {
          const current = page.href === '/' ? path === '/' : path.startsWith(page.href);
          return (
            <li key={page.href}>
              <Link href={page.href} aria-current={current ? 'page' : undefined}>
                {page.title}
                {role !== 'admin' && (page.href === '/training' || page.href === '/models') ? (
                  <span className="small"> (view)</span>
                ) : null}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
