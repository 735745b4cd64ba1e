// The browser tests' harness: a real `rill serve` on a fresh data directory (serving this checkout's web/dist
// through --web-dir), Debian's Chromium through playwright-core, and a screenshot of every open page when a
// test fails. Pages fail their test on any console error, uncaught exception or Content-Security-Policy
// violation, so a broken script or a blocked request cannot pass unnoticed.

import { createHmac } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const WEB = new URL('../../', import.meta.url).pathname;
const RESULTS = join(WEB, 'test-results');
const BIN = process.env.RILL_BIN ?? join(WEB, '../target/debug/rill');
const CHROMIUM = process.env.RILL_CHROMIUM ?? '/usr/bin/chromium';

/** Starts Rill on a fresh data directory and a free port; resolves once it listens and printed its link. */
export async function startRill({ args = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'rill-browser-'));
  const child = spawn(
    BIN,
    ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--web-dir', join(WEB, 'dist'), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } },
  );
  const log = [];
  const ready = new Promise((resolve, reject) => {
    let baseUrl;
    let signInLink;
    const onLine = (line) => {
      log.push(line);
      baseUrl ??= line.match(/^Rill is listening on (\S+)/)?.[1];
      signInLink ??= line.match(/^Sign in \(once, within 24 hours\): (\S+)/)?.[1];
      if (baseUrl && signInLink) resolve({ baseUrl, signInLink });
    };
    lines(child.stdout, onLine);
    lines(child.stderr, onLine);
    child.on('exit', (code) => reject(new Error(`rill serve exited (${code}):\n${log.join('\n')}`)));
    setTimeout(() => reject(new Error(`rill serve did not start in 60 s:\n${log.join('\n')}`)), 60_000).unref();
  });
  const { baseUrl, signInLink } = await ready;
  return {
    baseUrl,
    signInLink,
    dataDir,
    log,
    /** Runs a `rill` command against this server's data directory; returns its stdout. */
    cli(commandArgs, input) {
      const result = spawnSync(BIN, [...commandArgs, '--data-dir', dataDir], { input, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`rill ${commandArgs.join(' ')} failed: ${result.stderr}`);
      return result.stdout;
    },
    /** Adds a Hub member with a password, as an operator would (`rill hub member add --password-stdin`). */
    addMember(email, name, password) {
      this.cli(['hub', 'member', 'add', '--email', email, '--name', name, '--password-stdin'], `${password}\n`);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function lines(stream, onLine) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    parts.forEach(onLine);
  });
}

export async function launchBrowser() {
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/**
 * A fresh browser context and page whose console errors, page errors and CSP violations are collected;
 * `page.problems` lists them and `assertClean(page)` fails on any.
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (message) => {
    // Failed requests are judged by the response listener below, which knows their address: a 401 from
    // /hub/api/auth/me is how a signed-out page learns it is signed out.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      page.problems.push(`console: ${message.text()}`);
    }
  });
  page.on('response', (response) => {
    const url = new URL(response.url());
    const missingFile = response.status() === 404 && !url.pathname.startsWith('/hub/api/');
    if (response.status() >= 500 || missingFile) page.problems.push(`${response.status()} from ${url.pathname}`);
  });
  page.on('pageerror', (error) => page.problems.push(`uncaught: ${error.message}`));
  return page;
}

export function assertClean(page) {
  if (page.problems.length > 0) throw new Error(`the page reported problems:\n${page.problems.join('\n')}`);
}

/**
 * Runs `body(browser)` and, if it throws, saves a screenshot of every open page to web/test-results/ (named
 * after the test) before failing.
 */
export async function withBrowser(name, body) {
  const browser = await launchBrowser();
  try {
    await body(browser);
  } catch (error) {
    mkdirSync(RESULTS, { recursive: true });
    let index = 0;
    for (const context of browser.contexts()) {
      for (const page of context.pages()) {
        const file = join(RESULTS, `${name.replace(/[^a-z0-9]+/gi, '-')}-${index++}.png`);
        await page.screenshot({ path: file, fullPage: true }).catch(() => {});
        console.error(`screenshot: ${file}`);
      }
    }
    throw error;
  } finally {
    await browser.close();
  }
}

/**
 * The first run's one-time link: the admin chooses `password` and lands in #general. Returns the milliseconds
 * from submitting to the first channel shown.
 */
export async function signInWithLink(page, rill, password) {
  await page.goto(rill.signInLink);
  await page.getByLabel('New password').fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  const started = Date.now();
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await page.getByRole('heading', { name: '# general' }).waitFor();
  return Date.now() - started;
}

/** Email and password on the sign-in page, into #general; returns the milliseconds to the first channel. */
export async function signIn(page, rill, email, password) {
  await page.goto(`${rill.baseUrl}/hub/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const started = Date.now();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: '# general' }).waitFor();
  return Date.now() - started;
}

/** A server-side token of the app (HS256 `{"server": true}` with its secret), as any Stream backend client signs. */
export function serverToken(secret) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ server: true })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
