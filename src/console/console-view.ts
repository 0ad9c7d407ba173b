import { Injectable } from '@nestjs/common';
import { AdminRole } from '../auth/admin-token.entity';
import { PagesService } from '../web/pages.service';
import { ConsoleSession } from './console-sessions.service';

interface NavItem {
  key: string;
  href: string;
  label: string;
  roles: AdminRole[];
}

/** The console's sections; a role sees only the ones it may use (the others also answer 403). */
export const CONSOLE_NAV: NavItem[] = [
  { key: 'queue', href: '/admin/queue', label: 'Queue', roles: ['admin', 'moderator'] },
  { key: 'audit', href: '/admin/audit', label: 'Audit log', roles: ['admin', 'moderator'] },
  { key: 'articles', href: '/admin/articles', label: 'Articles', roles: ['admin'] },
  { key: 'settings', href: '/admin/settings', label: 'Settings', roles: ['admin'] },
  { key: 'newsletter', href: '/admin/newsletter', label: 'Newsletter', roles: ['admin'] },
  { key: 'mail', href: '/admin/mail', label: 'Mail', roles: ['admin'] },
  { key: 'people', href: '/admin/people', label: 'People', roles: ['admin'] },
  { key: 'sessions', href: '/admin/sessions', label: 'Sessions', roles: ['admin'] },
];

/** Renders console pages in the console layout: navigation for the role, the CSRF token. */
@Injectable()
export class ConsoleView {
  constructor(private readonly pages: PagesService) {}

  render(
    page: string,
    session: ConsoleSession,
    section: string,
    data: { title: string; [key: string]: unknown },
  ): string {
    return this.pages.render(`console-${page}`, {
      ...data,
      console: {
        csrf: session.csrf,
        tokenName: session.tokenName,
        role: session.role,
        isAdmin: session.role === 'admin',
        nav: CONSOLE_NAV.filter((n) => n.roles.includes(session.role)).map((n) => ({
          ...n,
          current: n.key === section,
        })),
      },
    });
  }

  /** Pages without a session (sign-in). */
  renderPublic(page: string, data: { title: string; [key: string]: unknown }): string {
    return this.pages.render(`console-${page}`, data);
  }

  trusted(html: string): unknown {
    return this.pages.trusted(html);
  }
}
