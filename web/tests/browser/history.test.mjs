// A channel of 10,000 messages: it opens at the newest, keeps only a screenful of rows in the page
// (virtualized), and loads older history as the reader scrolls up, with the page staying small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, newPage, serverToken, signInWithLink, startRill, withBrowser } from './harness.mjs';

const COUNT = 10_000;
const PASSWORD = 'a long history password';

/** Sends `COUNT` messages as `userId` through the engine's public API, 16 at a time. */
async function seed(rill, app, userId) {
  const token = serverToken(app.api_secret);
  const url = `${rill.baseUrl}/channels/team/general/message?api_key=${app.api_key}`;
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < COUNT) {
      const i = next++;
      const response = await fetch(url, {
        method: 'POST',
        headers: { Authorization: token, 'Stream-Auth-Type': 'jwt', 'Content-Type': 'application/json' },
        body: JSON.stringify({ message: { text: `history message ${i}`, user_id: userId } }),
      });
      if (!response.ok) throw new Error(`send ${i}: ${response.status} ${await response.text()}`);
      if ((i + 1) % 2_500 === 0) console.log(`seeded ${i + 1} of ${COUNT} messages`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  console.log(`seeded ${COUNT} messages in ${Date.now() - started} ms`);
}

async function articles(page) {
  return page.getByRole('log', { name: 'Messages in #general' }).getByRole('article').count();
}

test('a channel of 10,000 messages stays light and pages history as you scroll up', async () => {
  const rill = await startRill();
  try {
    const [app] = JSON.parse(rill.cli(['app', 'list', '--json']));
    rill.cli(['app', 'set-rate-limits', '--app-id', String(app.app_id), '--off']);
    await withBrowser('history', async (browser) => {
      const page = await newPage(browser);
      await signInWithLink(page, rill, PASSWORD);
      const { user_id: userId } = await page.evaluate(async () => (await fetch('/hub/api/chat/session')).json());
      await seed(rill, app, userId);

      await page.reload();
      const log = page.getByRole('log', { name: 'Messages in #general' });
      await log.getByText(`history message ${COUNT - 1}`, { exact: true }).waitFor();
      const opened = await articles(page);
      assert.ok(opened > 0 && opened <= 80, `a screenful of rows, not the channel: ${opened}`);

      // Scrolling up loads older pages; the page keeps about a screenful of rows all the while.
      const oldestShown = () =>
        log.evaluate((el) =>
          Math.min(...[...el.querySelectorAll('article')].map((a) => Number(/history message (\d+)/.exec(a.textContent ?? '')?.[1] ?? Infinity))),
        );
      const deadline = Date.now() + 30_000;
      while ((await oldestShown()) > COUNT - 100) {
        assert.ok(Date.now() < deadline, `older pages never came: the oldest shown is ${await oldestShown()}`);
        await log.evaluate((el) => el.scrollTo({ top: 0 }));
        await page.waitForTimeout(200);
      }
      const scrolled = await articles(page);
      assert.ok(scrolled <= 80, `still a screenful after paging: ${scrolled}`);
      assertClean(page);
    });
  } finally {
    await rill.stop();
  }
});
