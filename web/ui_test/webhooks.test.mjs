// Browser test of the webhooks section and the event log
// (web/static/webhooks.js) on the shared reel (REEL_URL, open: everyone
// acts as admin, started without --webhook-allow-private): a loopback
// receiver is refused with the server's sentence; a webhook is created
// (its secret shown once), its deliveries listed, deleted; a video's
// page shows its event log.
//
//   REEL_URL=http://127.0.0.1:8080 node --test web/ui_test/webhooks.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const baseURL = (process.env.REEL_URL || '').replace(/\/+$/, '');
const executablePath = process.env.REEL_CHROMIUM || '/usr/bin/chromium';

test('webhooks section and event log', {
  skip: baseURL ? false : 'REEL_URL is not set',
  timeout: 120_000,
}, async (t) => {
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ baseURL });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => d.accept());
  await page.goto('/');
  await page.locator('#webhooks-section').waitFor();

  // Loopback is refused unless the server allows private receivers.
  await page.getByLabel('Receiver URL').fill('http://127.0.0.1:9/hook');
  await page.getByRole('button', { name: 'Add webhook' }).click();
  const error = page.locator('#webhooks-section .error');
  await error.waitFor();
  assert.match(await error.textContent(), /--webhook-allow-private/);

  // A documentation address (TEST-NET-1) is public: accepted. Only
  // video.deleted, so the other tests' videos send it nothing meanwhile.
  await page.getByLabel('Receiver URL').fill('https://192.0.2.10/hook');
  for (const e of ['video.ready', 'video.failed']) await page.getByLabel(e).uncheck();
  await page.getByLabel('video.deleted').check();
  await page.getByRole('button', { name: 'Add webhook' }).click();
  const secret = page.locator('#webhook-secret code');
  await secret.waitFor();
  assert.match(await secret.textContent(), /^whsec_[A-Za-z0-9+/]+=*$/);
  const item = page.locator('li.webhook', { hasText: 'https://192.0.2.10/hook' });
  await item.waitFor();
  assert.match(await item.textContent(), /video\.deleted/);
  await item.getByRole('button', { name: 'Deliveries' }).click();
  await item.getByText('No deliveries yet.').waitFor();
  await item.getByRole('button', { name: 'Delete' }).click();
  await item.waitFor({ state: 'detached' });

  // A video's page shows its event log. (A non-video file is enough.)
  const id = await page.evaluate(async () => {
    const form = new FormData();
    form.append('file', new Blob(['not a video']), 'notes.txt');
    const res = await fetch('/api/videos', { method: 'POST', body: form });
    return (await res.json()).id;
  });
  assert.ok(id);
  t.after(() => page.evaluate((v) => fetch(`/api/videos/${v}`, { method: 'DELETE' }), id).catch(() => {}));
  await page.goto(`/#/v/${id}`);
  const log = page.locator('details#events');
  await log.waitFor();
  await log.locator('summary').click();
  const text = await log.textContent();
  assert.match(text, /created/);
  assert.match(text, /uploaded/);
  assert.deepEqual(errors, []);
});
