// console_e2e.mjs - the console end to end in headless Chromium (playwright-core, Debian's
// chromium): headers, first paint, sign in, approve, edit and reject held answers, take over and reply, mark
// feedback handled, halt and resume, both languages, screenshots checked, and an HTML/JS
// payload in a prompt shown as text and never run. Prints TAP.
// usage: node console_e2e.mjs BASE_URL ADMIN_KEY REVIEWER_KEY USER_KEY OUT_DIR
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { decodePng, inkStats } from './png.mjs';

const [base, adminKey, reviewerKey, userKey, outDir] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FCP_MAX_MS = Number(process.env.CONSOLE_FCP_MAX_MS || 200);
const WAIT_MS = 20000;          // for a poll (every 3 s) to show what the API holds
const MIN_INK = 0.01;           // a drawn page: at least 1% of pixels off the background
const MIN_COLOURS = 8;
const PAYLOAD = 'Mail bob@example.com <img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
const FB_PAYLOAD = '<img src=y onerror="window.__xss=3">wrong answer';
const HALT_REASON = 'drill <b onmouseover="window.__xss=4">now</b>';
const CONV = 'conv-e2e-1';
const REPLY = 'A person answers here.';
const EDITED = 'Edited by a person: <b>not bold</b>';

let n = 0, failed = 0;
function ok(cond, name, detail) {
  n++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond) { failed++; if (detail !== undefined) for (const l of String(detail).split('\n').slice(0, 30)) console.log('#   ' + l); }
  return cond;
}

async function api(method, p, key, body) {
  const headers = { Authorization: 'Bearer ' + key };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
  return { status: r.status, json, text };
}

async function shot(page, name) {
  const file = path.join(outDir, name + '.png');
  const buf = await page.screenshot({ path: file, fullPage: false });
  const s = inkStats(decodePng(buf));
  ok(s.ink >= MIN_INK && s.colours >= MIN_COLOURS, `screenshot ${name} is drawn (ink ${(s.ink * 100).toFixed(1)}%, ${s.colours} colours)`, file);
}

async function until(fn, what) {
  const t0 = Date.now();
  for (;;) {
    try { if (await fn()) return true; } catch (e) { /* not yet */ }
    if (Date.now() - t0 > WAIT_MS) { ok(false, 'in time: ' + what); return false; }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function checkHeaders() {
  const r = await fetch(base + '/console');
  const csp = r.headers.get('content-security-policy') || '';
  ok(r.status === 200 && /text\/html/.test(r.headers.get('content-type')), 'GET /console is the page');
  ok(/default-src 'self'/.test(csp) && /frame-ancestors 'none'/.test(csp) && /script-src 'self'/.test(csp) &&
     !/unsafe-inline|unsafe-eval/.test(csp), 'strict Content-Security-Policy', csp);
  ok(r.headers.get('x-content-type-options') === 'nosniff' && r.headers.get('referrer-policy') === 'no-referrer' &&
     !!r.headers.get('cache-control'), 'nosniff, no-referrer, Cache-Control');
  const html = await r.text();
  ok(!/<script>|<script [^>]*>[^<]|<style|\son[a-z]+=|javascript:/i.test(html), 'no inline script, style or handler in the page');
  const js = await fetch(base + '/console/app.js');
  ok(js.status === 200 && /javascript/.test(js.headers.get('content-type')), 'app.js served as JavaScript');
  const src = await js.text();
  ok(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write|localStorage|sessionStorage|document\.cookie/.test(src),
     'app.js never writes HTML and never stores the key');
  ok((await fetch(base + '/console/nope.js')).status === 404, 'an unknown console file is 404');
}

const PAINT_LOADS = 7;          // loads of each page for the first-paint figure (the first is a warm-up)
const PAINT_MAX_SCALE = 5;      // a loaded machine: the bound grows with load per core, to at most 5x

function paintOf(page) {
  return page.evaluate(() => new Promise((res) => {
    const e = performance.getEntriesByName('first-contentful-paint')[0];
    if (e) return res(e.startTime);
    new PerformanceObserver((l) => res(l.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true });
  }));
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

/* The console's first contentful paint (best and median of warm loads in fresh tabs), beside
 * that of a bare one-line page with a one-rule stylesheet from a plain node server, measured
 * the same way in the same browser (the floor for a page with a stylesheet on this machine
 * at this moment). The best load must paint
 * within FCP_MAX_MS when the machine has no more runnable work than cores (1-minute load
 * average <= cores); on a busier machine (shared by several builds) the bound grows in
 * proportion to the load per core, to at most PAINT_MAX_SCALE times. */
async function firstPaint(context) {
  const bare = http.createServer((q, r) => {
    if (q.url === '/s.css') { r.setHeader('Content-Type', 'text/css'); r.end('p { color: #123; }'); return; }
    r.setHeader('Content-Type', 'text/html');
    r.end('<!doctype html><title>x</title><link rel="stylesheet" href="/s.css"><p>steward</p>');
  });
  await new Promise((res) => bare.listen(0, '127.0.0.1', res));
  const bareUrl = 'http://127.0.0.1:' + bare.address().port + '/';
  const con = [], ref = [];
  for (let i = 0; i < PAINT_LOADS; i++) {
    for (const [url, into] of [[base + '/console', con], [bareUrl, ref]]) {
      const p = await context.newPage();
      await p.goto(url, { waitUntil: 'load' });
      const v = await paintOf(p);
      if (i > 0) into.push(v);
      await p.close();
    }
  }
  bare.close();
  const c = Math.min(...con), b = Math.min(...ref);
  const perCore = os.loadavg()[0] / os.cpus().length;
  const limit = FCP_MAX_MS * Math.min(Math.max(perCore, 1), PAINT_MAX_SCALE);
  console.log(`# console first-contentful-paint: best ${c.toFixed(1)} ms, median ${median(con).toFixed(1)} ms of ` +
    `${con.length} loads (${con.map((x) => x.toFixed(0)).join(', ')}); a bare page with a stylesheet: best ${b.toFixed(1)} ms, median ` +
    `${median(ref).toFixed(1)} ms; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
  ok(c > 0 && c <= limit, `first contentful paint ${c.toFixed(1)} ms <= ${limit.toFixed(0)} ms` +
     (limit > FCP_MAX_MS ? ` (${FCP_MAX_MS} ms scaled by the load per core)` : ''));
}

async function signIn(page, key) {
  await page.fill('#key', key);
  await page.press('#key', 'Enter');
}

async function userKeyRefused(browser) {
  const page = await browser.newPage();
  await page.goto(base + '/console');
  await signIn(page, userKey);
  await until(async () => /user role/.test(await page.textContent('#signin-msg')), 'a user key is refused');
  ok(await page.isHidden('#app'), 'a user key does not open the console');
  await signIn(page, 'sk-sw-not-a-key');
  await until(async () => /not accepted/.test(await page.textContent('#signin-msg')), 'a wrong key is refused');
  await page.close();
}

async function reviewerSees(browser) {
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const refused = [];
  page.on('response', (r) => { if (r.status() >= 400) refused.push(r.status() + ' ' + r.url()); });
  await page.goto(base + '/console');
  await signIn(page, reviewerKey);
  await until(() => page.isVisible('#app'), 'a reviewer key opens the console');
  ok(await page.isHidden('#admin'), 'a reviewer does not get the kill switch');
  ok(/reviewer/.test(await page.textContent('#who')), 'the header names the reviewer role');
  await until(async () => (await page.textContent('#count-pending')) === '0', 'a reviewer gets the counts');
  // a reviewer sees the halt too (GET /v1/oversight/status), without the kill switch
  const h = await api('POST', '/v1/admin/halt', adminKey, { reason: 'reviewer drill' });
  await until(async () => (await page.isVisible('#banner')) && /reviewer drill/.test(await page.textContent('#banner')),
              'a reviewer sees the halt banner with its reason');
  const rs = await api('POST', '/v1/admin/resume', adminKey);
  await until(() => page.isHidden('#banner'), 'the reviewer\'s banner goes once resumed');
  ok(h.status === 200 && rs.status === 200, 'halt and resume for the reviewer\'s view');
  ok(refused.length === 0, 'a reviewer session asks no route it may not use (no 4xx)', refused.join('\n'));
  ok(errors.length === 0, 'a reviewer session has no console error', errors.join('\n'));
  await page.close();
}

/* The client's view of a held completion once decided: polls GET /v1/chat/completions/{id}
 * (the first answer may already carry the decision when it came within --review-wait). */
async function decided(first, status) {
  let got = first;
  const id = first.json && first.json.id;
  const st = (x) => x.json && x.json.steward && x.json.steward.review && x.json.steward.review.status;
  await until(async () => {
    if (st(got) !== status) got = await api('GET', '/v1/chat/completions/' + encodeURIComponent(id), userKey);
    return st(got) === status;
  }, 'the client sees ' + status);
  return got;
}

const itemWith = (page, text) => page.locator('#review-list > li', { hasText: text });

async function review(page) {
  // three held requests whose prompts carry the payload; each waits for its decision
  const ask = (tag) => api('POST', '/v1/chat/completions', userKey,
    { messages: [{ role: 'user', content: tag + ' ' + PAYLOAD }], max_tokens: 8 });
  const held = { A: ask('[A]'), E: ask('[E]'), R: ask('[R]') };
  await until(async () => (await page.locator('#review-list > li').count()) === 3, 'the held requests reach the queue');
  const a = itemWith(page, '[A]');
  const text = await a.locator('pre.request').textContent();
  ok(text.includes('<img src=x onerror="window.__xss=1">') && text.includes('<script>window.__xss=2</script>'),
     'the payload is shown as text', text);
  ok((await page.locator('#app img, #app script').count()) === 0, 'no element was made from the payload');
  ok(/request itself was held/.test(await a.locator('.no-answer').textContent()), 'an input held for review says so');
  await shot(page, 'review');
  // approve from the keyboard
  await a.locator('button.approve').focus();
  await page.keyboard.press('Enter');
  await until(async () => (await itemWith(page, '[A]').count()) === 0, 'the approved item leaves the queue');
  const ga = await decided(await held.A, 'approved');
  ok(ga.status === 200 && ga.json.steward.review.status === 'approved', 'approved end to end', ga.text.slice(0, 600));
  // edit: the delivered text is the reviewer's, labelled as edited by a person
  const e = itemWith(page, '[E]');
  await e.locator('button.edit').click();
  ok(await page.evaluate(() => document.activeElement.tagName) === 'TEXTAREA', 'Edit moves focus to the text');
  await page.keyboard.press('Escape');
  ok(await e.locator('.edit-area').isHidden(), 'Escape closes the edit');
  await e.locator('button.edit').click();
  await e.locator('textarea').fill(EDITED);
  await e.locator('button.deliver').click();
  const ge = await decided(await held.E, 'edited');
  const content = ge.json && ge.json.choices && ge.json.choices[0].message.content;
  ok(typeof content === 'string' && content.includes(EDITED), 'the client gets the edited text', ge.text.slice(0, 600));
  // reject with a reason
  const r = itemWith(page, '[R]');
  await r.locator('button.reject').click();
  await r.locator('input').fill('not for this service');
  await r.locator('button.confirm-reject').click();
  const gr = await decided(await held.R, 'rejected');
  ok(gr.status === 200 && gr.json.steward.review.status === 'rejected', 'rejected end to end', gr.text.slice(0, 600));
  await until(async () => (await page.locator('#review-list > li').count()) === 0, 'the queue is empty');
  return ga.json.id;
}

async function takeover(page) {
  await page.fill('#conv-id', CONV);
  await page.press('#conv-id', 'Enter');
  await until(async () => (await page.locator('#conv-list > li').count()) === 1, 'the conversation is listed');
  const r = await api('GET', '/v1/conversations', adminKey);
  ok(r.status === 200 && (r.json.data || []).some((c) => c.id === CONV), 'the server has it taken over', r.text);
  const answer = api('POST', '/v1/chat/completions', userKey,
    { messages: [{ role: 'user', content: 'hello?' }], max_tokens: 8, steward: { conversation: CONV } });
  const li = page.locator('#conv-list > li').first();
  await until(async () => (await li.locator('.waiting').textContent()) === '1', 'the page shows the request waiting');
  await li.locator('textarea').fill(REPLY);
  await li.locator('button.send').click();
  const a = await answer;
  const content = a.json && a.json.choices && a.json.choices[0].message.content;
  ok(a.status === 200 && content && content.includes(REPLY), 'the waiting request gets the reply', a.text.slice(0, 800));
  ok(a.json && a.json.steward && a.json.steward.author === 'human', 'the reply is labelled human-written',
     a.text.slice(0, 800));
  await li.locator('button.release').click();
  await until(async () => (await page.locator('#conv-list > li').count()) === 0, 'released');
  const r2 = await api('GET', '/v1/conversations', adminKey);
  ok(r2.status === 200 && !(r2.json.data || []).some((c) => c.id === CONV), 'the server released it', r2.text);
}

async function feedback(page, completionId) {
  const f = await api('POST', '/v1/feedback', userKey, { id: completionId, category: 'wrong', comment: FB_PAYLOAD });
  ok(f.status === 200, 'feedback posted', f.text);
  await until(async () => (await page.locator('#feedback-list > li').count()) === 1, 'the feedback is listed');
  const li = page.locator('#feedback-list > li').first();
  ok((await li.locator('pre.comment').textContent()) === FB_PAYLOAD, 'the comment is shown as text');
  await li.locator('button.handle').click();
  await until(async () => /handled/.test(await li.locator('.fb-state').textContent()) &&
    !/not/.test(await li.locator('.fb-state').textContent()), 'marked handled');
  const r = await api('GET', '/v1/feedback', adminKey);
  ok(r.status === 200 && r.json.data.some((x) => x.handled), 'the server has it handled', r.text);
}

async function haltResume(page) {
  await page.fill('#halt-reason', HALT_REASON);
  await page.press('#halt-reason', 'Enter');
  await until(() => page.isVisible('#banner'), 'the halt banner shows');
  ok((await page.textContent('#banner')).includes(HALT_REASON), 'the reason is shown as text');
  ok(await page.evaluate(() => { const r = document.getElementById('banner').getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight && r.height > 0; }), 'the banner stays in view wherever the page is scrolled');
  const st = await api('GET', '/v1/admin/status', adminKey);
  ok(st.json && st.json.halted === true && st.json.reason === HALT_REASON, 'the server is halted', st.text);
  const g = await api('POST', '/v1/chat/completions', userKey, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
  ok(g.status === 503, 'generation answers 503 while halted', g.status);
  ok(await page.isDisabled('#halt-go') && await page.isEnabled('#resume-go') &&
     await page.evaluate(() => document.activeElement.id) === 'resume-go', 'halted: Resume has the focus, Halt is off');
  await shot(page, 'halted');
  await page.click('#resume-go');
  await until(() => page.isHidden('#banner'), 'the banner goes on resume');
  const st2 = await api('GET', '/v1/admin/status', adminKey);
  ok(st2.json && st2.json.halted === false, 'the server runs again', st2.text);
}

async function languages(page) {
  await page.click('#lang');
  ok((await page.textContent('h1')).includes('控制台') && (await page.getAttribute('html', 'lang')) === 'zh-CN',
     'the page reads in Chinese');
  ok((await page.textContent('#review-h')) === '审核队列', 'section titles in Chinese');
  await shot(page, 'zh');
  await page.click('#lang');
  ok((await page.textContent('h1')) === 'steward console', 'and back in English');
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  await checkHeaders();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const errors = [], dialogs = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    await firstPaint(context);
    await page.goto(base + '/console', { waitUntil: 'load' });
    ok(await page.isVisible('#key') && await page.isVisible('#signin-go'), 'the sign-in form is visible');
    await shot(page, 'signin');
    await page.focus('#key');
    await page.keyboard.press('Tab');
    ok(await page.evaluate(() => document.activeElement.id) === 'signin-go', 'Tab goes from the key to the button');
    await signIn(page, adminKey);
    await until(() => page.isVisible('#app'), 'the admin key opens the console');
    ok(await page.inputValue('#key') === '', 'the key field is cleared');
    ok(await page.isVisible('#admin') && /admin/.test(await page.textContent('#who')), 'admin sees the kill switch');
    await until(async () => (await page.textContent('#count-state')) === 'running', 'live counts show the state');
    await shot(page, 'console');
    const approvedId = await review(page);
    await takeover(page);
    await feedback(page, approvedId);
    await haltResume(page);
    await languages(page);
    const leaked = await page.evaluate(() => ({ xss: window.__xss, ls: localStorage.length, ss: sessionStorage.length,
      cookie: document.cookie }));
    ok(leaked.xss === undefined && dialogs.length === 0, 'no payload ran', JSON.stringify({ leaked, dialogs }));
    ok(leaked.ls === 0 && leaked.ss === 0 && leaked.cookie === '', 'nothing kept in storage or cookies');
    ok(errors.length === 0, 'no console error', errors.join('\n'));
    await page.click('#signout');
    ok(await page.isVisible('#signin') && await page.isHidden('#app'), 'sign out returns to the form');
    await context.close();
    await userKeyRefused(browser);
    await reviewerSees(browser);
  } finally {
    await browser.close();
  }
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.log(`not ok ${n + 1} - ${String(e && e.stack || e).split('\n')[0]}`); process.exit(1); });
