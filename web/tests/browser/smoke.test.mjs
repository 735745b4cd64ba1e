// The app loads from the binary with its security policy and reports no error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, newPage, startRill, withBrowser } from './harness.mjs';

test('the app loads under /hub/ with its policy and no errors', async () => {
  const rill = await startRill();
  try {
    await withBrowser('smoke', async (browser) => {
      const page = await newPage(browser);
      const response = await page.goto(`${rill.baseUrl}/hub/`);
      assert.equal(response?.status(), 200);
      assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
      await page.getByRole('heading', { name: 'Rill' }).first().waitFor();
      assertClean(page);
    });
  } finally {
    await rill.stop();
  }
});
