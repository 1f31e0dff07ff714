import { describe, expect, it } from 'vitest';
import { escapeHtml, html, SafeHtml, trustedHtml } from '../../../src/web/html.js';

describe('html', () => {
  it('escapes every character that can open markup or leave an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;',
    );
  });

  it('escapes interpolated values but keeps nested html as is', () => {
    const inner = html`<b>${'<i>'}</b>`;
    const out = html`<p title="${'" onmouseover="x'}">${inner}${['<', html`<br />`]}</p>`;
    expect(out).toBeInstanceOf(SafeHtml);
    expect(out.value).toBe('<p title="&quot; onmouseover=&quot;x"><b>&lt;i&gt;</b>&lt;<br /></p>');
  });

  it('drops null, undefined and false; prints numbers and true', () => {
    expect(html`${null}${undefined}${false}${0}${true}`.value).toBe('0true');
  });

  it('does not treat look-alike objects as safe', () => {
    const fake = { value: '<script>', toString: () => '<script>' } as unknown as SafeHtml;
    expect(html`${fake}`.value).toBe('&lt;script&gt;');
    expect(html`${trustedHtml('<hr />')}`.value).toBe('<hr />');
  });
});
