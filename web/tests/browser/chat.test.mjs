// Two people chat in real time in two browser contexts: messages, unread badges, typing, presence, threads,
// reactions, edits and deletes, an image, a mention, and a network outage that loses nothing and shows nothing
// twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, newPage, startRill, withBrowser } from './harness.mjs';

const ADMIN_PASSWORD = 'the admin long password';
const BEA_PASSWORD = 'bea long password 1';
// A 2×2 PNG, so the engine's image check (it reads the bytes) accepts it.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

async function signInAdmin(page, rill) {
  await page.goto(rill.signInLink);
  await page.getByLabel('New password').fill(ADMIN_PASSWORD);
  await page.getByLabel('Repeat the password').fill(ADMIN_PASSWORD);
  const started = Date.now();
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await page.getByRole('heading', { name: '# general' }).waitFor();
  console.log(`sign-in to the first channel shown: ${Date.now() - started} ms`);
}

async function signInMember(page, rill) {
  await page.goto(`${rill.baseUrl}/hub/sign-in`);
  await page.getByLabel('Email').fill('bea@example.com');
  await page.getByLabel('Password', { exact: true }).fill(BEA_PASSWORD);
  const started = Date.now();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: '# general' }).waitFor();
  console.log(`member sign-in to the first channel shown: ${Date.now() - started} ms`);
}

function log(page, channel) {
  return page.getByRole('log', { name: `Messages in ${channel}` });
}

/** A message of the open channel (not its copy as a thread's parent). */
function message(page, text) {
  return page.getByRole('log', { name: /^Messages in/ }).getByRole('article').filter({ hasText: text });
}

async function send(page, channel, text) {
  // By label: while the mention list is open the box is a combobox.
  const box = page.getByLabel(`Message ${channel}`, { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

function row(page, name) {
  // Rows are list items; a section's toggle (a project's name too) is not.
  return page.getByRole('navigation', { name: 'Conversations' }).getByRole('listitem').getByRole('button', { name });
}

test('two people chat in real time', async () => {
  const rill = await startRill();
  try {
    rill.cli(['hub', 'member', 'add', '--email', 'bea@example.com', '--name', 'Bea', '--password-stdin'], `${BEA_PASSWORD}\n`);
    rill.cli(['hub', 'project', 'add', '--name', 'Apollo', '--member', 'bea@example.com']);
    await withBrowser('chat', async (browser) => {
      const admin = await newPage(browser);
      await signInAdmin(admin, rill);
      const bea = await newPage(browser);
      await signInMember(bea, rill);

      // A message reaches the other side, once, without a reload; typing shows while the admin types.
      await admin.getByLabel('Message #general', { exact: true }).pressSequentially('hel');
      await bea.getByText(/is typing/).waitFor();
      await admin.getByLabel('Message #general', { exact: true }).fill('');
      await send(admin, '#general', 'hello from the admin');
      await message(bea, 'hello from the admin').waitFor();
      assert.equal(await message(bea, 'hello from the admin').count(), 1);

      // Away in the project's channel, #general gets an exact unread count; opening it reads it.
      await row(bea, /^Apollo/).click();
      await bea.getByRole('heading', { name: /^# Apollo/ }).waitFor();
      await send(admin, '#general', 'one');
      await send(admin, '#general', 'two');
      await row(bea, 'general, 2 unread').waitFor();
      await bea.getByRole('group', { name: 'Projects' }).getByText('Apollo').first().waitFor();
      await row(bea, /^general/).click();
      await message(bea, 'two').waitFor();
      await row(bea, 'general').waitFor();
      assert.equal(await row(bea, /unread/).count(), 0, 'no unread left after reading');

      // A DM from the picker, with the peer's presence.
      await admin.getByRole('button', { name: 'New direct message' }).click();
      await admin.getByRole('combobox').fill('Be');
      await admin.getByRole('option', { name: /Bea/ }).click();
      await admin.getByRole('button', { name: 'Start conversation' }).click();
      await admin.getByRole('heading', { name: 'Bea' }).waitFor();
      await row(admin, 'Bea, online').waitFor();
      await send(admin, 'Bea', 'a direct hello');
      await row(bea, /^Admin.*1 unread/).waitFor();

      // A reply in a thread and a reaction, seen by the other side.
      await row(admin, 'general').click();
      await row(bea, 'general').click();
      const original = message(bea, 'hello from the admin');
      await original.hover();
      await original.getByRole('button', { name: 'Reply in thread' }).click();
      const thread = bea.getByRole('complementary', { name: 'Thread' });
      await thread.getByRole('textbox', { name: /thread/i }).fill('a reply in the thread');
      await thread.getByRole('textbox', { name: /thread/i }).press('Enter');
      await message(admin, 'hello from the admin').getByRole('button', { name: '1 reply' }).waitFor();
      await original.hover();
      await original.getByRole('button', { name: 'Add reaction' }).click();
      await bea.getByRole('button', { name: 'React with thumbs up' }).click();
      await message(admin, 'hello from the admin').getByRole('button', { name: /👍 1 reaction/ }).waitFor();
      await thread.getByRole('button', { name: 'Close thread' }).click();

      // Edit and delete one's own message: the other side sees both.
      const own = message(admin, 'two');
      await own.hover();
      await own.getByRole('button', { name: 'Edit message' }).click();
      const adminBox = admin.getByLabel('Message #general', { exact: true });
      await adminBox.fill('two, edited');
      await adminBox.press('Enter');
      await message(bea, 'two, edited').getByText('(edited)').waitFor();
      const gone = message(admin, 'one');
      await gone.hover();
      await gone.getByRole('button', { name: 'Delete message' }).click();
      await gone.getByRole('button', { name: 'Delete', exact: true }).click();
      await bea.getByText('This message was deleted.').waitFor();
      assert.equal(await log(bea, '#general').getByText('one', { exact: true }).count(), 0, 'the deleted text is gone');

      // An image: uploaded with progress, shown on both sides.
      await admin.locator('input[type=file]').first().setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG });
      await admin.getByRole('list', { name: 'Attachments' }).getByText('dot.png').waitFor();
      await admin.getByRole('button', { name: 'Send message' }).click();
      await bea.getByRole('log', { name: 'Messages in #general' }).locator('img[src^="http"]').first().waitFor();

      // A mention picked from the autocomplete reaches Bea as a mention.
      await adminBox.pressSequentially('ping @Be');
      await admin.getByRole('listbox', { name: 'Mention someone' }).getByRole('option', { name: /Bea/ }).waitFor();
      await adminBox.press('Enter');
      await adminBox.press('Enter');
      await message(bea, 'ping @Bea').waitFor();

      // Offline: the banner says so; messages sent meanwhile arrive once after the network returns.
      await bea.context().setOffline(true);
      await bea.getByText(/offline/i).first().waitFor();
      for (const text of ['missed 1', 'missed 2', 'missed 3']) await send(admin, '#general', text);
      await message(admin, 'missed 3').waitFor();
      await bea.context().setOffline(false);
      for (const text of ['missed 1', 'missed 2', 'missed 3']) await message(bea, text).waitFor();
      for (const text of ['missed 1', 'missed 2', 'missed 3']) assert.equal(await message(bea, text).count(), 1, text);

      assertClean(admin);
      assertClean(bea);
    });
  } finally {
    await rill.stop();
  }
});
