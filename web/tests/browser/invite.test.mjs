// An admin invites a member from the Members page; the invite link, opened in another browser, lets them
// choose a password and lands them in #general, where the admin's message is waiting; the link works once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, newPage, signInWithLink, startRill, withBrowser } from './harness.mjs';

const PASSWORD = 'the admin long password';

async function join(page, link, password) {
  await page.goto(link);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('form', { name: 'Join' }).getByRole('button', { name: 'Join' }).click();
}

test('an invite link signs a new member up once, straight into the chat', async () => {
  const rill = await startRill();
  try {
    await withBrowser('invite', async (browser) => {
      const admin = await newPage(browser);
      await signInWithLink(admin, rill, PASSWORD);
      const box = admin.getByLabel('Message #general', { exact: true });
      await box.fill('welcome aboard');
      await box.press('Enter');

      await admin.goto(`${rill.baseUrl}/hub/admin/members`);
      await admin.getByRole('button', { name: 'Invite a member' }).click();
      const dialog = admin.getByRole('dialog');
      await dialog.getByLabel('Email').fill('cy@example.com');
      await dialog.getByLabel('Name').fill('Cy Newcomer');
      await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
      const link = await dialog.getByLabel('Invite link').inputValue();
      assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/hub\/invite#token=/);

      const cy = await newPage(browser);
      await join(cy, link, 'cy long password 1');
      await cy.getByRole('heading', { name: '# general' }).waitFor();
      await cy.getByRole('log', { name: 'Messages in #general' }).getByText('welcome aboard').waitFor();
      assert.ok(!cy.url().includes('token='), 'the token leaves the address bar');
      assertClean(cy);

      // Used once: the same link again is refused in words.
      const again = await newPage(browser);
      await join(again, link, 'another long password');
      await again.getByRole('heading', { name: 'This invite no longer works' }).waitFor();
      await again.getByText(/it was already used/).waitFor();
      assertClean(admin);
    });
  } finally {
    await rill.stop();
  }
});
