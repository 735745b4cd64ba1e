// Takes the README's screenshots from the real app: `node web/tests/browser/screenshots.mjs` (after `npm run
// build` in web/ and `cargo build -p rill`; RILL_BIN picks another binary). It starts a throwaway Rill, fills
// it with a small team's day, and writes docs/screenshots/{chat,integration,moderation}.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, newPage, startRill } from './harness.mjs';

const OUT = new URL('../../../docs/screenshots/', import.meta.url).pathname;
const PASSWORD = 'a long screenshot password';
const people = [
  ['bea@example.com', 'Bea Lindqvist'],
  ['omar@example.com', 'Omar Haddad'],
];

function step(text) {
  console.log(`screenshots: ${text}`);
}

async function signIn(browser, rill, email) {
  const page = await newPage(browser, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  await page.goto(`${rill.baseUrl}/hub/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: '# general' }).waitFor();
  return page;
}

async function say(page, text) {
  const box = page.getByLabel('Message #general', { exact: true });
  await box.fill(text);
  await box.press('Enter');
  await page.getByRole('log', { name: 'Messages in #general' }).getByText(text.replaceAll('**', '')).first().waitFor();
}

const rill = await startRill();
const browser = await launchBrowser();
try {
  mkdirSync(OUT, { recursive: true });
  step('a workspace with two members and a project');
  for (const [email, name] of people) {
    rill.addMember(email, name, PASSWORD);
  }
  rill.cli(['hub', 'project', 'add', '--name', 'Website relaunch', '--member', 'bea@example.com', '--member', 'omar@example.com']);
  rill.cli(['hub', 'project', 'add', '--name', 'Brand refresh', '--member', 'bea@example.com']);

  const admin = await newPage(browser, { viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  await admin.goto(rill.signInLink);
  await admin.getByLabel('New password').fill(PASSWORD);
  await admin.getByLabel('Repeat the password').fill(PASSWORD);
  await admin.getByRole('button', { name: 'Set password and sign in' }).click();
  await admin.getByRole('heading', { name: '# general' }).waitFor();
  const bea = await signIn(browser, rill, 'bea@example.com');
  const omar = await signIn(browser, rill, 'omar@example.com');

  step('a conversation in #general');
  await say(bea, 'Morning! The **homepage mock-ups** are in the shared folder.');
  await say(omar, 'Nice. I will wire the hero section into the staging site today.');
  await say(admin, 'Great work, both of you. Client review is on Thursday at 14:00.');
  await say(bea, 'I can present. Anything you want me to stress, @Omar?');
  await say(omar, 'The new navigation: it tested much better with their customers.');
  await say(omar, 'buy followers cheap, visit my site');
  const last = bea.getByRole('log', { name: 'Messages in #general' }).getByRole('article').filter({ hasText: 'The new navigation' });
  await last.hover();
  await last.getByRole('button', { name: 'Add reaction' }).click();
  await bea.getByRole('button', { name: 'React with heart' }).click();

  step('chat.png');
  await bea.getByLabel('Message #general', { exact: true }).fill('Drafts stay here per channel…');
  await bea.mouse.move(1200, 40);
  await bea.waitForTimeout(300);
  await bea.screenshot({ path: join(OUT, 'chat.png') });

  step('a flagged message for the queue');
  const spam = bea.getByRole('log', { name: 'Messages in #general' }).getByRole('article').filter({ hasText: 'buy followers' });
  await spam.hover();
  await spam.getByRole('button', { name: 'Flag message' }).click();
  await bea.getByRole('dialog').getByLabel(/^Spam/).check();
  await bea.getByRole('dialog').getByRole('button', { name: 'Flag' }).click();
  await bea.getByText('the message was reported to the admins').waitFor();

  step('integration.png');
  await admin.goto(`${rill.baseUrl}/hub/admin/integration`);
  await admin.getByText('Connected').first().waitFor();
  await admin.screenshot({ path: join(OUT, 'integration.png') });

  step('moderation.png');
  await admin.goto(`${rill.baseUrl}/hub/admin/moderation`);
  await admin.getByRole('list', { name: 'Flagged messages' }).getByText('buy followers').waitFor();
  await admin.screenshot({ path: join(OUT, 'moderation.png') });
  step(`written to ${OUT}`);
} finally {
  await browser.close();
  await rill.stop();
}
