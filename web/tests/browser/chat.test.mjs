// Two people chat in real time in two browser contexts: messages, unread badges, typing, presence, threads,
// reactions, edits and deletes, an image, a mention, and a network outage that loses nothing and shows nothing
// twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, newPage, signIn, signInWithLink, startRill, withBrowser } from './harness.mjs';

const ADMIN_PASSWORD = 'the admin long password';
const BEA_PASSWORD = 'bea long password 1';
// A 2×2 PNG, so the engine's image check (it reads the bytes) accepts it.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

async function signInAdmin(page, rill) {
  console.log(`sign-in to the first channel shown: ${await signInWithLink(page, rill, ADMIN_PASSWORD)} ms`);
}

async function signInMember(page, rill) {
  console.log(`member sign-in to the first channel shown: ${await signIn(page, rill, 'bea@example.com', BEA_PASSWORD)} ms`);
}

function log(page, channel) {
  return page.getByRole('log', { name: `Messages in ${channel}` });
}

/** Bea (a member, in the project Apollo) and the admin, each signed in in a browser context of their own. */
async function team(browser, rill) {
  rill.addMember('bea@example.com', 'Bea', BEA_PASSWORD);
  rill.cli(['hub', 'project', 'add', '--name', 'Apollo', '--member', 'bea@example.com']);
  const admin = await newPage(browser);
  await signInAdmin(admin, rill);
  const bea = await newPage(browser);
  await signInMember(bea, rill);
  return { admin, bea };
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
    await withBrowser('chat', async (browser) => {
      const { admin, bea } = await team(browser, rill);

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

async function flag(page, text) {
  const target = message(page, text);
  await target.hover();
  await target.getByRole('button', { name: 'Flag message' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel(/^Spam/).check();
  await dialog.getByRole('button', { name: 'Flag', exact: true }).click();
  // The dialog closes only once the engine took the flag; the thanks may be one of several toasts.
  await dialog.waitFor({ state: 'detached' });
  await page.getByText('the message was reported to the admins').first().waitFor();
}

test('moderation from the chat to the queue, the audit trail, a mute and an archived project', async () => {
  const rill = await startRill();
  try {
    await withBrowser('moderation', async (browser) => {
      const { admin, bea } = await team(browser, rill);

      // Bea flags the admin's message; the admin flags two of Bea's.
      await send(admin, '#general', 'an admin remark');
      await send(bea, '#general', 'buy cheap watches');
      await send(bea, '#general', 'more cheap watches');
      await message(bea, 'an admin remark').waitFor();
      await flag(bea, 'an admin remark');
      await message(admin, 'more cheap watches').waitFor();
      await flag(admin, 'buy cheap watches');
      await flag(admin, 'more cheap watches');

      await admin.goto(`${rill.baseUrl}/hub/admin/moderation`);
      const queue = admin.getByRole('list', { name: 'Flagged messages' });
      await queue.getByText('an admin remark').waitFor();
      await queue.getByRole('button', { name: 'Dismiss the flag on Admin’s message' }).click();
      await queue.getByText('an admin remark').waitFor({ state: 'detached' });

      const buy = queue.getByRole('listitem').filter({ hasText: 'buy cheap watches' });
      await buy.getByRole('button', { name: 'Delete Bea’s message' }).click();
      await admin.getByRole('dialog').getByRole('button', { name: 'Delete message' }).click();
      await queue.getByText('buy cheap watches').waitFor({ state: 'detached' });
      await bea.getByText('This message was deleted.').waitFor();

      // A mute in #general: Bea's composer there says why it refuses, live.
      const more = queue.getByRole('listitem').filter({ hasText: 'more cheap watches' });
      await more.getByRole('button', { name: /^Mute Bea in/ }).click();
      await admin.getByRole('dialog').getByRole('button', { name: 'Mute', exact: true }).click();
      await bea.getByText(/You are muted in this channel until/).waitFor();
      assert.equal(await bea.getByLabel('Message #general', { exact: true }).count(), 0, 'no composer while muted');

      await admin.goto(`${rill.baseUrl}/hub/admin/audit`);
      for (const what of ['Dismissed a flag', 'Deleted a message', 'Muted in a channel']) {
        await admin.getByRole('cell', { name: what }).first().waitFor();
      }

      // Completing the project archives its channel for its members: out of the list, into Archived, read-only.
      await row(bea, /^Apollo/).click();
      await send(bea, '#Apollo', 'before the archive');
      await message(bea, 'before the archive').waitFor();
      rill.cli(['hub', 'project', 'complete', '--name', 'Apollo']);
      const archived = bea.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: /^Archived/ });
      await archived.waitFor({ timeout: 15_000 });
      await archived.click();
      await bea.getByRole('list', { name: 'Archived' }).getByRole('button', { name: /Apollo/ }).click();
      await bea.getByText(/This channel is archived/).waitFor();
      await message(bea, 'before the archive').waitFor();

      assertClean(admin);
      assertClean(bea);
    });
  } finally {
    await rill.stop();
  }
});
