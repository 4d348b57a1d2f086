// One headless Chromium per test file (Debian's /usr/bin/chromium, or CHROMIUM_PATH, through puppeteer-core).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches Chromium before the file's tests and closes it after; `newPage()` opens a tab. */
export function useBrowser() {
  let browser;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install -y chromium)`);
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });
  after(async () => { await browser?.close(); });
  return { newPage: () => browser.newPage() };
}
