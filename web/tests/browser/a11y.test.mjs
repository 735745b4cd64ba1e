// Every page of the app, in the light and the dark theme, passes axe-core's WCAG 2 A and AA rules (labels,
// roles, names, colour contrast, ...). axe runs inside the page through the DevTools protocol, which the page's
// CSP (script-src 'self') does not govern, so the page is tested exactly as it ships.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertClean, newPage, startRill, withBrowser } from './harness.mjs';

const AXE = readFileSync(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const PASSWORD = 'a long accessible password';
const PAGES = ['/hub/', '/hub/admin/integration', '/hub/admin/push', '/hub/admin/members', '/hub/admin/projects', '/hub/admin/moderation', '/hub/admin/audit', '/hub/admin/usage'];

async function violations(page) {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return result.violations.map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  return found;
}

test('every page passes WCAG 2.1 A and AA checks in both themes', async () => {
  const rill = await startRill();
  try {
    await withBrowser('a11y', async (browser) => {
      for (const colorScheme of ['light', 'dark']) {
        const page = await newPage(browser, { colorScheme });
        if (colorScheme === 'light') {
          await page.goto(rill.signInLink);
          await page.getByLabel('New password').waitFor();
          assert.deepEqual(await violations(page), [], 'the sign-in link page');
          await page.getByLabel('New password').fill(PASSWORD);
          await page.getByLabel('Repeat the password').fill(PASSWORD);
          await page.getByRole('button', { name: 'Set password and sign in' }).click();
        } else {
          await page.goto(`${rill.baseUrl}/hub/sign-in`);
          await page.getByLabel('Email').waitFor();
          assert.deepEqual(await violations(page), [], 'the sign-in page');
          await page.getByLabel('Email').fill('admin@localhost');
          await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
          await page.getByRole('button', { name: 'Sign in' }).click();
        }
        await page.getByRole('heading', { name: '# general' }).waitFor();
        const box = page.getByLabel('Message #general', { exact: true });
        await box.fill(`a **${colorScheme}** message with \`code\` and a link https://example.com`);
        await box.press('Enter');
        await page.getByRole('log', { name: 'Messages in #general' }).getByRole('article').first().waitFor();
        for (const path of PAGES) {
          await page.goto(rill.baseUrl + path);
          await page.getByRole('heading', { level: 1 }).first().waitFor();
          await page.waitForLoadState('networkidle');
          assert.deepEqual(await violations(page), [], `${colorScheme} ${path}`);
        }
        assertClean(page);
      }
    });
  } finally {
    await rill.stop();
  }
});
