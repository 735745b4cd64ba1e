// Finding things: message search across channels, the quick switcher (Ctrl+K), and the same chat at a phone's
// width, where the sidebar is a drawer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, newPage, signIn, startRill, withBrowser } from './harness.mjs';

const PASSWORD = 'a long find password';

async function send(page, channel, text) {
  const box = page.getByLabel(`Message ${channel}`, { exact: true });
  await box.fill(text);
  await box.press('Enter');
  await page.getByRole('log', { name: `Messages in ${channel}` }).getByText(text).waitFor();
}

test('search, the quick switcher and a phone-sized screen', async () => {
  const rill = await startRill();
  try {
    rill.addMember('bea@example.com', 'Bea', PASSWORD);
    rill.cli(['hub', 'project', 'add', '--name', 'Apollo', '--member', 'bea@example.com']);
    await withBrowser('find', async (browser) => {
      const bea = await newPage(browser);
      await signIn(bea, rill, 'bea@example.com', PASSWORD);
      await send(bea, '#general', 'the quarterly report is ready');
      await send(bea, '#general', 'lunch at noon?');

      // Ctrl+K, type, Enter: the project's channel opens.
      await bea.keyboard.press('Control+k');
      const switcher = bea.getByRole('combobox', { name: 'Jump to a conversation' });
      await switcher.fill('apo');
      await switcher.press('Enter');
      await bea.getByRole('heading', { name: '# Apollo' }).waitFor();

      // Search finds a message of another channel and jumps to it there.
      await bea.getByRole('button', { name: 'Search messages' }).click();
      await bea.getByRole('searchbox', { name: 'Search messages' }).or(bea.getByRole('textbox', { name: 'Search messages' })).fill('quarterly');
      const results = bea.getByRole('list', { name: 'Search results' });
      await results.getByText('the quarterly report is ready').waitFor();
      assert.equal(await results.getByText('lunch at noon').count(), 0, 'only what matches');
      await results.getByRole('button').first().click();
      await bea.getByRole('heading', { name: '# general' }).waitFor();
      await bea.getByRole('log', { name: 'Messages in #general' }).getByText('the quarterly report is ready').waitFor();
      // A channel's address works as a link (a reload lands there), but only for its members: #engineering
      // is the admins', and the engine's refusal is shown in words, with no messages.
      await bea.goto(`${rill.baseUrl}/hub/channels/team/general`);
      await bea.getByRole('log', { name: 'Messages in #general' }).getByText('lunch at noon?').waitFor();
      await bea.goto(`${rill.baseUrl}/hub/channels/team/engineering`);
      await bea.getByText('Cannot open this conversation', { exact: true }).waitFor();
      await bea.getByText('This conversation does not exist, or you are not in it.').waitFor();
      assert.equal(await bea.getByRole('log').count(), 0, 'no messages of a channel she is not in');
      assertClean(bea);

      // A stranger with the same link is sent to sign in, and comes back to it afterwards.
      const stranger = await newPage(browser);
      await stranger.goto(`${rill.baseUrl}/hub/channels/team/general`);
      await stranger.waitForURL((url) => url.pathname === '/hub/sign-in' && url.searchParams.get('next') === '/hub/channels/team/general');
      assert.equal(await stranger.getByRole('log').count(), 0);
      assertClean(stranger);

      // A phone: the chat fills the screen; the channel list is a drawer behind the menu button.
      const phone = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await signIn(phone, rill, 'bea@example.com', PASSWORD);
      const composer = phone.getByLabel('Message #general', { exact: true });
      await composer.waitFor();
      const box = await composer.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the composer fits the screen: ${JSON.stringify(box)}`);
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `nothing scrolls sideways (${width} px)`);
      await phone.getByRole('button', { name: 'Open navigation' }).click();
      await phone.getByRole('navigation', { name: 'Conversations' }).getByRole('listitem').getByRole('button', { name: /^Apollo/ }).click();
      await phone.getByRole('heading', { name: '# Apollo' }).waitFor();
      // Choosing a channel closes the drawer (after its slide).
      await phone.getByRole('button', { name: 'Close navigation' }).waitFor({ state: 'hidden', timeout: 5_000 });
      assertClean(phone);
    });
  } finally {
    await rill.stop();
  }
});
