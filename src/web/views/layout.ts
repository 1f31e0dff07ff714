import { html, type SafeHtml } from '../html.js';

export interface PageShell {
  title: string;
  /** Which live view the page follows (`overview`, `epic:3`, `agent:7`); none for error pages. */
  live?: { view: string; version: string };
  main: SafeHtml;
  /** Shown in the header when the page is behind the access token. */
  gated?: boolean;
  /** A warning above every page (agents running unjailed, or not at all). */
  banner?: string;
}

/** The document around every page. Scripts and styles only from our own assets (see the CSP). */
export function layout(shell: PageShell): SafeHtml {
  const live = shell.live;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${shell.title} · Factory</title>
        <link rel="icon" href="/factory/assets/icon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/factory/assets/status.css" />
        <script src="/factory/assets/status.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/factory"><img src="/factory/assets/icon.svg" alt="" />Factory</a>
          <nav><a href="/factory">Overview</a><a href="/factory/api/overview">JSON</a></nav>
          ${
            live
              ? html`<span id="live-status" class="live" data-state="connecting">connecting…</span>`
              : ''
          }
        </header>
        ${shell.banner ? html`<p class="notice banner" role="alert">${shell.banner}</p>` : ''}
        <main
          id="main"
          data-live="${live ? live.view : ''}"
          data-version="${live ? live.version : ''}"
        >
          ${shell.main}
        </main>
        <footer>
          Factory status page${shell.gated ? ' · private' : ''} · times in UTC unless shown relative
        </footer>
      </body>
    </html>`;
}

export function messagePage(title: string, message: string): SafeHtml {
  return layout({
    title,
    main: html`<section class="card message">
      <h1>${title}</h1>
      <p>${message}</p>
      <p><a href="/factory">Back to the overview</a></p>
    </section>`,
  });
}
