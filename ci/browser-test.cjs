// The browser walk of ci/browser-test.sh, in headless Chromium through playwright-core.
// Fails (exit 1) on any unexpected page, on any console error (a CSP violation shows up there),
// and when a step's expected text is missing.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const base = process.env.MSADESK_URL;
const shots = process.env.MSADESK_SHOTS;
const fixtures = process.env.MSADESK_FIXTURES;

function check(cond, what) {
  if (!cond) throw new Error('browser test: ' + what);
}

(async () => {
  const context = await chromium.launchPersistentContext(process.env.MSADESK_PROFILE, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const errors = [];
  const page = context.pages()[0] || await context.newPage();
  // The wrong password (401) and the rejected import (422) are answered with error statuses on
  // purpose; Chromium logs those as failed loads. Anything else is a real error.
  const expected = /status of (401|422) /;
  page.on('console', (m) => { if (m.type() === 'error' && !expected.test(m.text())) errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const shot = (name) => page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
  try {
    // Log in.
    await page.goto(base + '/');
    check(page.url().endsWith('/login'), 'an anonymous visitor is sent to the login page');
    await shot('01-login');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    check(await page.getByRole('alert').innerText() === 'The user name or the password is wrong.', 'a wrong password is explained');
    await page.getByLabel('Password').fill(process.env.MSADESK_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    check((await page.content()).includes('Supply events'), 'the dashboard shows counts');
    await shot('02-dashboard');

    await page.getByRole('link', { name: 'Products' }).first().click();
    await page.getByRole('heading', { name: 'Products and versions' }).waitFor();
    await shot('03-products');
    await page.getByRole('link', { name: 'Operators' }).click();
    await page.getByRole('heading', { name: 'Economic operators' }).waitFor();
    await shot('04-operators');

    // A rejected import shows its line errors.
    await page.getByRole('link', { name: 'Import' }).click();
    await page.getByLabel('File', { exact: true }).setInputFiles(path.join(fixtures, 'supply-invalid.csv'));
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('alert').waitFor();
    const rejected = await page.getByRole('alert').innerText();
    check(rejected.includes('Rejected: nothing was imported'), 'the rejection is announced: ' + rejected);
    const cells = await page.locator('tbody tr').first().locator('td').allInnerTexts();
    check(cells[0] === '3', 'the first error names line 3: ' + cells.join(' | '));
    await shot('05-import-rejected');

    // Good files.
    await page.getByLabel('Product master data (CSV)').check();
    await page.getByLabel('File', { exact: true }).setInputFiles(path.join(fixtures, 'products.csv'));
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').waitFor();
    check((await page.getByRole('status').innerText()).includes('3 new'), 'products imported');
    await page.getByLabel('Supply events (CSV or EPCIS 2.0 JSON-LD)').check();
    await page.getByLabel('File', { exact: true }).setInputFiles(path.join(fixtures, 'supply.csv'));
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').waitFor();
    check((await page.getByRole('status').innerText()).includes('5 new'), 'supply events imported');
    await shot('06-import-done');

    // A trace, and its CSV.
    await page.getByRole('link', { name: 'Trace' }).click();
    await page.getByLabel('Product').selectOption('CAM-1');
    await page.getByLabel('From (first day)').fill('2026-01-01');
    await page.getByLabel('To (last day)').fill('2026-12-31');
    await page.getByRole('button', { name: 'Show the trace' }).click();
    await page.getByRole('heading', { name: /Supplied by us/ }).waitFor();
    const html = await page.content();
    check(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; Handel GmbH'), 'names are shown escaped');
    await shot('07-trace');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
    const csvPath = path.join(shots, 'trace.csv');
    await download.saveAs(csvPath);
    const csv = fs.readFileSync(csvPath, 'utf8');
    check(csv.startsWith('direction,operator_id,name'), 'the CSV has the trace columns');
    check(csv.includes('downstream,D-1,'), 'the CSV holds the downstream operator');

    // The trace on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await shot('08-trace-phone');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Tokens (admin).
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name (what uses it)').fill('erp-sync');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.locator('#new-token').innerText();
    check(secret.startsWith('msd_'), 'a new token is shown once');
    const me = await (await fetch(base + '/api/v1/me', { headers: { Authorization: 'Bearer ' + secret } })).json();
    check(me.name === 'erp-sync' && me.role === 'viewer', 'the token works on the API');
    await shot('09-tokens');

    await page.getByRole('link', { name: 'API reference' }).first().click();
    await page.getByRole('heading', { name: 'API reference' }).waitFor();
    await shot('10-api-reference');

    // The audit trail: the chain verifies and the imports made above are listed.
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    check((await page.content()).includes('The audit trail verifies'), 'the audit trail verifies');
    await shot('11-audit');

    // The documentation library: gaps, an upload, the document listed with its hash.
    await page.getByRole('link', { name: 'Documents' }).click();
    await page.getByRole('heading', { name: 'Documentation library' }).waitFor();
    check((await page.content()).includes('Readiness gaps'), 'the library shows readiness gaps');
    await page.locator('#up-product').fill('CAM-1');
    await page.locator('#up-version').fill('1.0');
    await page.getByLabel('Kind').selectOption('doc');
    await page.getByLabel('File', { exact: true }).setInputFiles(path.join(fixtures, 'products.csv'));
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('status').waitFor();
    check((await page.getByRole('status').innerText()).includes('EU declaration of conformity revision 1'), 'a document is stored');
    await shot('12-library');

    // The MSA requests page.
    await page.getByRole('link', { name: 'MSA requests' }).click();
    await page.getByRole('heading', { name: 'Requests from authorities' }).waitFor();
    await shot('13-requests');

    // The readiness report: every live check with its status and tier.
    await page.getByRole('link', { name: 'Readiness' }).click();
    await page.getByRole('heading', { name: 'Readiness report' }).waitFor();
    const ready = await page.content();
    check(ready.includes('identity.contact') && ready.includes('CRA Art 64(3)'), 'the readiness checks are listed with their tiers');
    await shot('14-readiness');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    check(errors.length === 0, 'no console errors (CSP violations included): ' + errors.join('; '));
    console.log('browser walk passed: 14 screenshots');
  } catch (e) {
    await shot('failure').catch(() => {});
    console.error(e);
    process.exitCode = 1;
  } finally {
    await context.close();
  }
})();
