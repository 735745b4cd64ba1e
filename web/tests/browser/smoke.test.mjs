// The app loads from the binary with its security policy; the first run's link signs the admin in; a member
// who signs in with email and password is refused the admin pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, newPage, startRill, withBrowser } from './harness.mjs';

test('the first-run link signs the admin in and a member cannot open the admin pages', async () => {
  const rill = await startRill();
  try {
    rill.addMember('bea@example.com', 'Bea', 'bea long password 1');
    await withBrowser('smoke', async (browser) => {
      const admin = await newPage(browser);
      const response = await admin.goto(`${rill.baseUrl}/hub/`);
      assert.equal(response?.status(), 200);
      assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
      const started = Date.now();
      await admin.goto(rill.signInLink);
      await admin.getByLabel('New password').fill('the admin long password');
      await admin.getByLabel('Repeat the password').fill('the admin long password');
      await admin.getByRole('button', { name: 'Set password and sign in' }).click();
      await admin.getByRole('navigation', { name: 'Admin' }).waitFor();
      console.log(`admin signed in from the link in ${Date.now() - started} ms`);
      assertClean(admin);

      const member = await newPage(browser);
      await member.goto(`${rill.baseUrl}/hub/sign-in`);
      await member.getByLabel('Email').fill('bea@example.com');
      await member.getByLabel('Password', { exact: true }).fill('bea long password 1');
      await member.getByRole('button', { name: 'Sign in' }).click();
      await member.getByRole('navigation', { name: 'Conversations' }).waitFor();
      assert.equal(await member.getByRole('navigation', { name: 'Admin' }).count(), 0, 'no admin navigation');
      await member.goto(`${rill.baseUrl}/hub/admin/members`);
      await member.getByRole('heading', { name: 'Admins only' }).waitFor();
      assertClean(member);
    });
  } finally {
    await rill.stop();
  }
});
