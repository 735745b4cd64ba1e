// The admin pages against the real binary: Connect and Test on Settings → Integrations → Stream Chat with the
// good keys, a wrong secret and a wrong API key (the secret never reaching the page); a project created,
// completed after the archive confirmation, and reopened; and a member refused the admin pages and their API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, newPage, serverToken, signIn, signInWithLink, startRill, withBrowser } from './harness.mjs';

const ADMIN_PASSWORD = 'the admin long password';
const BEA_PASSWORD = 'bea long password 1';

async function signInAdmin(page, rill) {
  await signInWithLink(page, rill, ADMIN_PASSWORD);
}

async function signInMember(page, rill) {
  await signIn(page, rill, 'bea@example.com', BEA_PASSWORD);
}

/** The page's own fetch of a Hub API route, with its session cookie: `{status, body}`. */
function hubFetch(page, path) {
  return page.evaluate(async (p) => {
    const response = await fetch(p, { credentials: 'same-origin' });
    return { status: response.status, body: await response.text() };
  }, path);
}

/**
 * The chat engine's own view of a channel, asked the way any Stream server-side client asks: a server token
 * (HS256 `{"server": true}` with the app's secret) on `POST /channels/{type}/{id}/query`.
 */
async function engineChannel(rill, app, cid) {
  const token = serverToken(app.api_secret);
  const [type, id] = cid.split(':');
  const response = await fetch(`${rill.baseUrl}/channels/${type}/${id}/query?api_key=${app.api_key}`, {
    method: 'POST',
    headers: { Authorization: token, 'Stream-Auth-Type': 'jwt', 'Content-Type': 'application/json' },
    body: JSON.stringify({ state: true }),
  });
  assert.ok(response.ok, `query ${cid}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

/** Waits (provisioning runs within seconds of a change) until the engine's channel state satisfies `ok`. */
async function untilChannel(rill, app, cid, ok, what) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const state = await engineChannel(rill, app, cid);
    if (ok(state)) return state;
    if (Date.now() > deadline) throw new Error(`${cid} never became ${what}: ${JSON.stringify(state.channel)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The outcome notice of Connect and Test: the one whose title is `title`. */
function outcome(form, title) {
  return form.locator('.notice').filter({ has: form.page().locator('.notice__title', { hasText: title }) });
}

test('Connect and Test tells good keys, a wrong secret and a wrong API key apart, and never shows the secret', async () => {
  const rill = await startRill();
  try {
    // The first run made the default chat app and connected the Hub to it (the built-in engine). Its secret is
    // never shown by the Hub; the server's own start-up banner points the operator at `rill app list` for it,
    // so that is how the test learns the good secret, as an admin would.
    const apps = JSON.parse(rill.cli(['app', 'list', '--json']));
    assert.equal(apps.length, 1, 'one app after the first run');
    const [{ api_key: apiKey, api_secret: secret }] = apps;
    assert.ok(secret.length >= 16, 'a real secret');

    await withBrowser('admin-integration', async (browser) => {
      const admin = await newPage(browser);
      await signInAdmin(admin, rill);
      await admin.goto(`${rill.baseUrl}/hub/admin/integration`);
      await admin.getByRole('heading', { name: 'Stream Chat integration', level: 1 }).waitFor();
      const form = admin.getByRole('form', { name: 'Stream Chat settings' });
      await form.waitFor();
      await admin.getByText('Connected: built-in engine').waitFor();

      // What is stored shows: the built-in engine, its API key, and the secret only as its last four characters.
      assert.equal(await form.getByRole('radio', { name: /This server’s built-in engine/ }).isChecked(), true);
      const keyField = form.getByLabel('API Key');
      const secretField = form.getByLabel('API Secret');
      assert.equal(await keyField.inputValue(), apiKey);
      assert.equal(await secretField.inputValue(), '');
      await form.getByText(`A secret is stored (ending ${secret.slice(-4)}).`).waitFor();
      assert.ok(!(await admin.content()).includes(secret), 'the secret is not in the page as loaded');
      const stored = await hubFetch(admin, '/hub/api/integration');
      assert.equal(stored.status, 200);
      assert.ok(!stored.body.includes(secret), 'the Hub API does not return the secret');
      assert.equal(JSON.parse(stored.body).api_secret, `••••${secret.slice(-4)}`);

      const testButton = form.getByRole('button', { name: 'Connect and Test' });
      const saveButton = form.getByRole('button', { name: 'Save', exact: true });
      assert.equal(await saveButton.isDisabled(), true, 'Save waits for a passing test');

      // Good keys, the stored secret (the field left empty): connected to the default app, named "Rill".
      await testButton.click();
      let notice = outcome(form, 'Connected to “Rill”');
      await notice.waitFor();
      await notice.getByText('The keys work. Save to use them.').waitFor();
      assert.equal(await saveButton.isEnabled(), true, 'Save is offered after a passing test');

      // Good keys, the secret typed in whole: connected again, and Save stores it.
      await secretField.fill(secret);
      await admin.getByText('The settings changed since the last test. Test again before saving.').waitFor();
      assert.equal(await saveButton.isDisabled(), true, 'a change needs a new test');
      await testButton.click();
      await outcome(form, 'Connected to “Rill”').waitFor();
      await saveButton.click();
      await admin.getByText('Saved. Provisioning runs now with these settings.').waitFor();

      // A wrong secret for the right key: code 43's words.
      await secretField.fill('this-is-not-the-secret-0123456789abcdef');
      await testButton.click();
      notice = outcome(form, 'Wrong API secret');
      await notice.waitFor();
      assert.equal(await notice.getAttribute('role'), 'alert');
      await notice
        .getByText('The API key is right but the secret does not belong to it. Copy the secret again, whole.')
        .waitFor();
      // The detail is the engine's own refusal of the token's signature.
      await notice.getByText(/^The API secret does not match the key \(.*signature is invalid/).waitFor();
      assert.ok(!(await notice.innerText()).includes('this-is-not-the-secret'), 'the detail does not echo the secret');
      assert.equal(await saveButton.isDisabled(), true, 'no Save after a failed test');
      await form.getByRole('button', { name: 'Save anyway…' }).waitFor();

      // A wrong API key with the right secret: code 2's words.
      await secretField.fill(secret);
      await keyField.fill('nosuchkey123');
      await testButton.click();
      notice = outcome(form, 'Wrong API key');
      await notice.waitFor();
      assert.equal(await notice.getAttribute('role'), 'alert');
      await notice
        .getByText('The backend does not know this API key. Copy it again from your Stream app’s dashboard.')
        .waitFor();
      await notice.getByText(/^The API key is not valid \(.*"nosuchkey123" is not valid/).waitFor();
      assert.ok(!(await notice.innerText()).includes(secret), 'the detail does not echo the secret');
      assert.equal(await saveButton.isDisabled(), true, 'no Save after a failed test');

      // Nothing failed was saved: a fresh load shows the good key, the stored secret masked, still connected, and
      // no trace of the secret in the page. (Checked on a fresh load, not while the secret sits typed in the field:
      // React mirrors a controlled input's value into its `value` attribute, so what the admin types is in the
      // DOM until the field is emptied; the point here is that the server never sends it back.)
      await admin.reload();
      await form.waitFor();
      await admin.getByText('Connected: built-in engine').waitFor();
      assert.equal(await form.getByLabel('API Key').inputValue(), apiKey);
      await form.getByText(`A secret is stored (ending ${secret.slice(-4)}).`).waitFor();
      await form.getByRole('button', { name: 'Connect and Test' }).click();
      await outcome(form, 'Connected to “Rill”').waitFor();
      assert.ok(!(await admin.content()).includes(secret), 'the secret is not in the page after the tests');
      assertClean(admin);
    });
  } finally {
    await rill.stop();
  }
});

test('an admin completes a project after the archive confirmation, and reopens it', async () => {
  const rill = await startRill();
  try {
    rill.addMember('bea@example.com', 'Bea', BEA_PASSWORD);
    // One project from the command line, which the page must show beside the one made in it.
    rill.cli(['hub', 'project', 'add', '--name', 'Borealis', '--member', 'bea@example.com']);

    await withBrowser('admin-projects', async (browser) => {
      const admin = await newPage(browser);
      await signInAdmin(admin, rill);
      await admin.goto(`${rill.baseUrl}/hub/admin/projects`);
      await admin.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
      const active = admin.getByRole('list', { name: 'Active projects' });
      await active.getByRole('heading', { name: 'Borealis' }).waitFor();

      // Create one in the page, with Bea as its member.
      await admin.getByRole('button', { name: 'New project' }).first().click();
      const dialog = admin.getByRole('dialog', { name: 'New project' });
      await dialog.getByLabel('Name').fill('Apollo');
      await dialog.getByRole('checkbox', { name: /Bea/ }).check();
      await dialog.getByRole('button', { name: 'Create project' }).click();
      await admin.getByText('Created “Apollo” and its channel.').waitFor();
      await dialog.waitFor({ state: 'hidden' });
      const apollo = active.getByRole('listitem').filter({ has: admin.getByRole('heading', { name: 'Apollo' }) });
      await apollo.getByText(/^1 member · updated/).waitFor();
      const tabs = admin.getByRole('group', { name: 'Show projects' });
      await tabs.getByRole('button', { name: 'Active 2' }).waitFor();

      // Provisioning made its channel in the chat engine, holding Bea, not archived.
      const app = JSON.parse(rill.cli(['app', 'list', '--json']))[0];
      const { projects } = JSON.parse((await hubFetch(admin, '/hub/api/projects')).body);
      const apolloId = projects.find((p) => p.name === 'Apollo').id;
      const { members } = JSON.parse((await hubFetch(admin, '/hub/api/members')).body);
      const beaId = members.find((m) => m.email === 'bea@example.com').id;
      await untilChannel(
        rill,
        app,
        `team:project-${apolloId}`,
        ({ channel: c, members: people }) => c.frozen === false && !c.globally_archived && people.some((m) => m.user_id === beaId),
        'provisioned with Bea',
      );

      // Complete asks first; Cancel leaves it active.
      await apollo.getByRole('button', { name: 'Complete Apollo' }).click();
      let confirm = admin.getByRole('dialog', { name: 'Complete “Apollo”?' });
      await confirm.getByText('The project’s channel will be archived for everyone.').waitFor();
      await confirm.getByText('You can reopen the project later to bring the channel back.').waitFor();
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'hidden' });
      await tabs.getByRole('button', { name: 'Active 2' }).waitFor();
      assert.equal(await apollo.count(), 1, 'still active after Cancel');

      // Confirmed: completed and archived.
      await apollo.getByRole('button', { name: 'Complete Apollo' }).click();
      confirm = admin.getByRole('dialog', { name: 'Complete “Apollo”?' });
      await confirm.getByRole('button', { name: 'Complete and archive' }).click();
      await admin.getByText('“Apollo” is completed and its channel archived.').waitFor();
      await confirm.waitFor({ state: 'hidden' });
      await tabs.getByRole('button', { name: 'Active 1' }).waitFor();
      await apollo.waitFor({ state: 'detached' });
      await tabs.getByRole('button', { name: 'Completed 1' }).click();
      const completed = admin.getByRole('list', { name: 'Completed projects' });
      const done = completed.getByRole('listitem').filter({ has: admin.getByRole('heading', { name: 'Apollo' }) });
      await done.getByText(/· channel archived$/).waitFor();
      assert.equal(await done.getByRole('button', { name: 'Complete Apollo' }).count(), 0);

      // The server holds it completed: a fresh load still shows it there.
      const api = JSON.parse((await hubFetch(admin, '/hub/api/projects')).body);
      const list = api.projects;
      assert.equal(list.find((p) => p.name === 'Apollo')?.status, 'completed');
      assert.equal(list.find((p) => p.name === 'Borealis')?.status, 'active');
      // And provisioning archived its channel in the chat engine: frozen and globally archived.
      await untilChannel(rill, app, `team:project-${apolloId}`, ({ channel: c }) => c.frozen === true && c.globally_archived === true, 'archived');
      await admin.reload();
      await tabs.getByRole('button', { name: 'Completed 1' }).click();
      await done.getByRole('button', { name: 'Reopen Apollo' }).waitFor();

      // Reopen: active again.
      await done.getByRole('button', { name: 'Reopen Apollo' }).click();
      await admin.getByText('“Apollo” is active again; its channel is back for its members.').waitFor();
      await tabs.getByRole('button', { name: 'Completed 0' }).waitFor();
      await admin.getByText('No completed projects').waitFor();
      await tabs.getByRole('button', { name: 'Active 2' }).click();
      await apollo.getByRole('button', { name: 'Complete Apollo' }).waitFor();
      await apollo.getByText(/^1 member · updated/).waitFor();
      const after = JSON.parse((await hubFetch(admin, '/hub/api/projects')).body);
      assert.equal(after.projects.find((p) => p.name === 'Apollo')?.status, 'active');
      await untilChannel(rill, app, `team:project-${apolloId}`, ({ channel: c }) => c.frozen === false && !c.globally_archived, 'unarchived');
      assertClean(admin);
    });
  } finally {
    await rill.stop();
  }
});

test('a member cannot open the admin pages, and the Hub API refuses them', async () => {
  const rill = await startRill();
  try {
    rill.addMember('bea@example.com', 'Bea', BEA_PASSWORD);
    const [{ api_secret: secret }] = JSON.parse(rill.cli(['app', 'list', '--json']));

    await withBrowser('admin-member-refused', async (browser) => {
      // The admin, in a context of their own, sees the page: the refusal below is about the member.
      const admin = await newPage(browser);
      await signInAdmin(admin, rill);
      await admin.goto(`${rill.baseUrl}/hub/admin/integration`);
      await admin.getByRole('form', { name: 'Stream Chat settings' }).waitFor();
      assert.equal((await hubFetch(admin, '/hub/api/integration')).status, 200);

      const member = await newPage(browser);
      await signInMember(member, rill);
      assert.equal(await member.getByRole('navigation', { name: 'Admin' }).count(), 0, 'no admin navigation');
      for (const page of ['integration', 'projects']) {
        await member.goto(`${rill.baseUrl}/hub/admin/${page}`);
        await member.getByRole('heading', { name: 'Admins only' }).waitFor();
        assert.equal(await member.getByRole('form', { name: 'Stream Chat settings' }).count(), 0);
        assert.equal(await member.getByRole('button', { name: 'New project' }).count(), 0);
      }
      const refused = await hubFetch(member, '/hub/api/integration');
      assert.equal(refused.status, 403);
      assert.ok(!refused.body.includes(secret));
      // Other admin-only routes too (projects, by contrast, every member may read).
      assert.equal((await hubFetch(member, '/hub/api/provisioning')).status, 403);
      assert.equal((await hubFetch(member, '/hub/api/audit')).status, 403);
      assert.ok(!(await member.content()).includes(secret));
      assertClean(member);
      assertClean(admin);
    });
  } finally {
    await rill.stop();
  }
});
