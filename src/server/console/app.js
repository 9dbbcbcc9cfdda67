/* app.js - the steward console: sign in with a key (kept in memory only), the review queue,
 * conversations taken over, feedback, the kill switch and live counts, in English and Chinese.
 * Every text from the server is put in the page with textContent, never as HTML. */
'use strict';
(function () {
  const POLL_MS = 3000;      /* live counts and lists */
  const TOAST_MS = 6000;
  const STRINGS = {
    en: {
      'title': 'steward console', 'signout': 'Sign out',
      'signin.title': 'Sign in', 'signin.key': 'Reviewer or admin key', 'signin.submit': 'Sign in',
      'signin.hint': "The key is kept in this page's memory only: reloading or closing the page signs out.",
      'signin.bad': 'This key was not accepted (unknown or revoked).',
      'signin.user': 'This key has the user role; the console needs a reviewer or admin key.',
      'signin.as': 'Signed in as', 'role.admin': 'admin', 'role.reviewer': 'reviewer',
      'signin.lost': 'The key is no longer accepted: signed out.',
      'counts.title': 'Live counts', 'counts.pending': 'Waiting for review', 'counts.feedback': 'Feedback not handled',
      'counts.convs': 'Conversations taken over', 'counts.replies': 'Human replies not yet delivered', 'counts.inflight': 'Generations in flight',
      'counts.running': 'Running', 'counts.waiting': 'Waiting for a slot', 'counts.state': 'Generation',
      'counts.updated': 'Updated',
      'review.title': 'Review queue',
      'review.hint': "Held answers, oldest first. Approve delivers the answer; edit delivers your text, labelled as edited by a person; reject delivers the policy's refusal.",
      'review.empty': 'No answer is waiting for review.', 'review.item': 'Review',
      'review.request': 'Request', 'review.answer': 'Held answer', 'review.noanswer': '(no answer text held)',
      'review.inputheld': 'The request itself was held: approving generates the answer now.',
      'review.forgotten': 'The retained content was forgotten (retention keys erased).',
      'review.conv': 'conversation',
      'review.verdicts': 'Verdicts', 'review.approve': 'Approve', 'review.edit': 'Edit',
      'review.reject': 'Reject', 'review.edited': 'Edited answer', 'review.deliver': 'Deliver edited answer',
      'review.reason': 'Reason for rejecting', 'review.confirmreject': 'Reject the answer', 'cancel': 'Cancel',
      'review.approved': 'Approved', 'review.wasedited': 'Edited answer delivered', 'review.rejected': 'Rejected',
      'review.completion': 'completion', 'review.owner': 'key',
      'conv.title': 'Conversations',
      'conv.hint': "While a conversation is taken over, its requests wait for a person's reply, labelled human-written.",
      'conv.id': 'Conversation id', 'conv.takeover': 'Take over',
      'conv.empty': 'No conversation is taken over.', 'conv.item': 'Conversation',
      'conv.since': 'taken over', 'conv.reply': 'Your reply', 'conv.send': 'Send reply',
      'conv.release': 'Release to the model', 'conv.taken': 'Taken over', 'conv.sent': 'Reply sent',
      'conv.released': 'Released', 'conv.waiting': 'requests waiting for a reply:',
      'feedback.title': 'Feedback', 'feedback.empty': 'No feedback yet.', 'feedback.item': 'Feedback',
      'feedback.handle': 'Mark handled', 'feedback.handled': 'handled', 'feedback.open': 'not handled',
      'feedback.done': 'Marked handled', 'feedback.nocomment': '(no comment)',
      'cat.wrong': 'wrong', 'cat.harmful': 'harmful', 'cat.biased': 'biased', 'cat.other': 'other',
      'admin.title': 'Kill switch', 'admin.reason': 'Reason', 'admin.halt': 'Halt all generation',
      'admin.resume': 'Resume generation', 'admin.halted': 'Generation is halted',
      'admin.running': 'Generation is running', 'admin.by': 'by', 'admin.since': 'since',
      'admin.didhalt': 'Generation halted', 'admin.didresume': 'Generation resumed',
      'yes': 'yes', 'no': 'no', 'halted': 'halted', 'running': 'running', 'error': 'Error',
    },
    zh: {
      'title': 'steward 控制台', 'signout': '退出登录',
      'signin.title': '登录', 'signin.key': '审核员或管理员密钥', 'signin.submit': '登录',
      'signin.hint': '密钥只保存在本页面的内存中：刷新或关闭页面即退出登录。',
      'signin.bad': '此密钥未被接受（未知或已吊销）。',
      'signin.user': '此密钥是普通用户角色；控制台需要审核员或管理员密钥。',
      'signin.as': '已登录，角色：', 'role.admin': '管理员', 'role.reviewer': '审核员',
      'signin.lost': '密钥已不再被接受：已退出登录。',
      'counts.title': '实时计数', 'counts.pending': '待审核', 'counts.feedback': '未处理的反馈',
      'counts.convs': '被接管的对话', 'counts.replies': '尚未送达的人工回复', 'counts.inflight': '进行中的生成',
      'counts.running': '运行中', 'counts.waiting': '排队中', 'counts.state': '生成状态',
      'counts.updated': '更新于',
      'review.title': '审核队列',
      'review.hint': '被暂扣的回答，按时间先后排列。批准即发送原回答；编辑则发送您的文本，并标注为人工编辑；拒绝则发送策略规定的拒答。',
      'review.empty': '没有等待审核的回答。', 'review.item': '审核',
      'review.request': '请求', 'review.answer': '暂扣的回答', 'review.noanswer': '（未保存回答文本）',
      'review.inputheld': '被暂扣的是请求本身：批准后才会生成回答。',
      'review.forgotten': '保留的内容已被遗忘（保留密钥已删除）。',
      'review.conv': '对话',
      'review.verdicts': '判定', 'review.approve': '批准', 'review.edit': '编辑',
      'review.reject': '拒绝', 'review.edited': '编辑后的回答', 'review.deliver': '发送编辑后的回答',
      'review.reason': '拒绝理由', 'review.confirmreject': '拒绝该回答', 'cancel': '取消',
      'review.approved': '已批准', 'review.wasedited': '编辑后的回答已发送', 'review.rejected': '已拒绝',
      'review.completion': '回答', 'review.owner': '密钥',
      'conv.title': '对话',
      'conv.hint': '对话被接管期间，其请求等待人工回复，回复标注为人工撰写。',
      'conv.id': '对话 ID', 'conv.takeover': '接管',
      'conv.empty': '没有被接管的对话。', 'conv.item': '对话',
      'conv.since': '接管于', 'conv.reply': '您的回复', 'conv.send': '发送回复',
      'conv.release': '交还给模型', 'conv.taken': '已接管', 'conv.sent': '回复已发送',
      'conv.released': '已交还', 'conv.waiting': '等待回复的请求：',
      'feedback.title': '反馈', 'feedback.empty': '暂无反馈。', 'feedback.item': '反馈',
      'feedback.handle': '标记为已处理', 'feedback.handled': '已处理', 'feedback.open': '未处理',
      'feedback.done': '已标记为已处理', 'feedback.nocomment': '（无评论）',
      'cat.wrong': '错误', 'cat.harmful': '有害', 'cat.biased': '有偏见', 'cat.other': '其他',
      'admin.title': '紧急停止', 'admin.reason': '原因', 'admin.halt': '停止所有生成',
      'admin.resume': '恢复生成', 'admin.halted': '生成已停止',
      'admin.running': '生成正在运行', 'admin.by': '操作者', 'admin.since': '自',
      'admin.didhalt': '生成已停止', 'admin.didresume': '生成已恢复',
      'yes': '是', 'no': '否', 'halted': '已停止', 'running': '运行中', 'error': '错误',
    },
  };
  const LANG_NAME = { en: ['English', 'en'], zh: ['中文', 'zh-CN'] };

  /* The key lives in this object only: never in storage, cookies or the URL. */
  const state = {
    lang: 'en', key: null, role: null, timer: null, polling: false, status: null,
    reviews: new Map(), feedback: new Map(), convs: new Map(), pending: 0, unhandled: 0, convSeq: 0,
    gen: { reviews: 0, convs: 0, feedback: 0 }, /* local changes: a poll begun before one is stale */
  };

  const $ = (id) => document.getElementById(id);
  const t = (k) => (STRINGS[state.lang][k] ?? STRINGS.en[k] ?? k);

  /* Builds an element: props set attributes (i18n: a translated text kept in step with the
   * language; text: plain text), children are nodes or strings (appended as text). */
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'i18n') { e.dataset.i18n = v; e.textContent = t(v); }
      else if (k === 'text') e.textContent = String(v);
      else if (k === 'class') e.className = v;
      else if (k === 'ts') { e.dataset.ts = String(v); e.textContent = fmtTime(v); }
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'hidden' || k === 'disabled' || k === 'required') e[k] = !!v;
      else e.setAttribute(k, String(v));
    }
    for (const c of kids) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  function fmtTime(sec) {
    const n = Number(sec);
    if (!n) return '-';
    return new Date(n * 1000).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en-GB');
  }

  function applyLang() {
    document.documentElement.lang = LANG_NAME[state.lang][1];
    for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    for (const e of document.querySelectorAll('[data-ts]')) e.textContent = fmtTime(e.dataset.ts);
    const other = state.lang === 'en' ? 'zh' : 'en';
    const b = $('lang');
    b.textContent = LANG_NAME[other][0];
    b.setAttribute('lang', LANG_NAME[other][1]);
    document.title = t('title');
    renderWho();
    if (state.status) renderStatus(state.status);
  }

  let toastTimer = null;
  function toast(msg, bad) {
    const e = $('toast');
    e.textContent = msg;
    e.classList.toggle('bad', !!bad);
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { e.textContent = ''; }, TOAST_MS);
  }

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  /* Calls the API with the key; resolves to the parsed JSON (null when none), rejects with
   * an ApiError carrying the status and the server's message. */
  async function api(method, path, body) {
    const headers = { Authorization: 'Bearer ' + state.key };
    const init = { method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    let r;
    try { r = await fetch(path, init); } catch (e) { throw new ApiError(0, String(e && e.message || e)); }
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!r.ok) {
      const msg = data && data.error && data.error.message ? data.error.message : 'HTTP ' + r.status;
      throw new ApiError(r.status, msg);
    }
    return data;
  }

  const listOf = (d) => (Array.isArray(d) ? d : (d && (d.data || d.items)) || []);
  const fail = (e) => toast(t('error') + ': ' + e.message, true);

  /* Runs fn with the buttons given disabled; reports a failure in the toast. */
  async function busy(buttons, fn) {
    for (const b of buttons) b.disabled = true;
    try { await fn(); } catch (e) { if (e.status === 401) return lostKey(); fail(e); }
    finally { for (const b of buttons) b.disabled = false; }
  }

  /* ---- sign in and out ---- */

  /* The oversight status names the key's role (a user key gets 403); an admin then reads
   * the full status. No route the key may not use is asked. */
  async function signIn(key) {
    state.key = key;
    let s;
    try { s = await api('GET', '/v1/oversight/status'); } catch (e) {
      throw e.status === 403 ? new ApiError(403, t('signin.user')) : e;
    }
    state.role = s.role === 'admin' ? 'admin' : 'reviewer';
    state.status = state.role === 'admin' ? await api('GET', '/v1/admin/status') : s;
  }

  function renderWho() {
    const w = $('who');
    w.textContent = state.role ? t('signin.as') + ' ' + t('role.' + state.role) : '';
  }

  function showApp() {
    $('signin').hidden = true;
    $('app').hidden = false;
    $('signout').hidden = false;
    $('admin').hidden = state.role !== 'admin';
    renderWho();
    buildCounts();
    if (state.status) renderStatus(state.status);
    poll();
    state.timer = setInterval(poll, POLL_MS);
    const h = $('counts-h');
    h.tabIndex = -1;
    h.focus();
  }

  function signOut(msg) {
    clearInterval(state.timer);
    Object.assign(state, { key: null, role: null, timer: null, status: null, pending: 0, unhandled: 0 });
    for (const k of Object.keys(state.gen)) state.gen[k]++;
    for (const m of [state.reviews, state.feedback, state.convs]) m.clear();
    for (const id of ['review-list', 'feedback-list', 'conv-list', 'counts-list']) $(id).replaceChildren();
    $('app').hidden = true;
    $('signout').hidden = true;
    $('banner').hidden = true;
    $('signin').hidden = false;
    $('signin-msg').textContent = msg || '';
    renderWho();
    $('key').focus();
  }

  function lostKey() { signOut(t('signin.lost')); }

  /* ---- live counts ---- */

  const COUNTS = [
    ['pending', 'counts.pending'], ['feedback', 'counts.feedback'], ['convs', 'counts.convs'],
    ['replies', 'counts.replies', 'admin'],
    ['inflight', 'counts.inflight', 'admin'], ['running', 'counts.running', 'admin'],
    ['waiting', 'counts.waiting', 'admin'], ['state', 'counts.state', 'admin'],
  ];

  function buildCounts() {
    const dl = $('counts-list');
    dl.replaceChildren();
    for (const [id, key, role] of COUNTS) {
      if (role && state.role !== role) continue;
      dl.append(el('div', {}, el('dt', { i18n: key }), el('dd', { id: 'count-' + id, text: '-' })));
    }
  }

  function setCount(id, v) { const e = $('count-' + id); if (e) e.textContent = String(v); }

  /* The server's queue depths when the status has them (admin), else what the lists hold. */
  function renderCounts() {
    const s = state.status, q = (s && s.queues) || {};
    setCount('pending', q.review_pending ?? state.pending);
    setCount('feedback', q.feedback_unhandled ?? state.unhandled);
    setCount('convs', q.takeovers ?? state.convs.size);
    setCount('replies', q.replies_queued ?? '-');
    if (!s) return;
    setCount('inflight', s.generations_in_flight ?? '-');
    setCount('running', s.running ?? '-');
    setCount('waiting', s.waiting ?? '-');
    const e = $('count-state');
    if (e) { e.dataset.i18n = s.halted ? 'halted' : 'running'; e.textContent = t(e.dataset.i18n); }
  }

  /* ---- kill switch ---- */

  function renderStatus(s) {
    state.status = s;
    const line = s.halted
      ? t('admin.halted') + ' ' + t('admin.since') + ' ' + fmtTime(s.since) + ' ' + t('admin.by') + ' ' +
        (s.by || '-') + (s.reason ? ': ' + s.reason : '')
      : t('admin.running');
    const st = $('halt-state');
    st.textContent = line;
    st.className = 'state ' + (s.halted ? 'halted' : 'running');
    const banner = $('banner');
    banner.hidden = !s.halted;
    banner.textContent = s.halted ? line : '';
    $('halt-go').disabled = !!s.halted;
    $('resume-go').disabled = !s.halted;
    renderCounts();
  }

  async function halt(ev) {
    ev.preventDefault();
    const reason = $('halt-reason').value.trim();
    if (!reason) { $('halt-reason').focus(); return; }
    await busy([$('halt-go')], async () => {
      renderStatus(await api('POST', '/v1/admin/halt', { reason }));
      $('halt-reason').value = '';
      toast(t('admin.didhalt'));
    });
    if (state.status) renderStatus(state.status); /* the buttons as the state says */
    if (state.status && state.status.halted) $('resume-go').focus();
  }

  async function resume() {
    await busy([$('resume-go')], async () => {
      renderStatus(await api('POST', '/v1/admin/resume'));
      toast(t('admin.didresume'));
    });
    if (state.status) renderStatus(state.status);
    if (state.status && !state.status.halted) $('halt-reason').focus();
  }

  /* ---- review queue ---- */

  /* A readable form of the held request: chat messages as "role: text", else the prompt. */
  function requestText(req) {
    if (typeof req === 'string') {
      try { req = JSON.parse(req); } catch (e) { return req; }
    }
    if (!req || typeof req !== 'object') return '';
    const part = (c) => (typeof c === 'string' ? c
      : Array.isArray(c) ? c.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('') : '');
    if (Array.isArray(req.messages))
      return req.messages.map((m) => (m && m.role ? m.role + ': ' : '') + part(m && m.content)).join('\n');
    if (typeof req.prompt === 'string') return req.prompt;
    if (Array.isArray(req.prompt)) return req.prompt.join('\n');
    return JSON.stringify(req, null, 2);
  }

  /* "input: review (harmful 0.91), output: allow" from {input: verdict, output: verdict}. */
  function verdictText(v) {
    if (typeof v === 'string') { try { v = JSON.parse(v); } catch (e) { return v; } }
    if (!v || typeof v !== 'object') return '';
    const one = (side, x) => {
      if (!x || typeof x !== 'object') return null;
      const f = Array.isArray(x.findings) ? x.findings : [];
      const cats = f.filter((g) => g && g.action && g.action !== 'allow')
        .map((g) => g.category + (typeof g.score === 'number' ? ' ' + g.score.toFixed(2) : ''));
      return side + ': ' + (x.action || '?') + (cats.length ? ' (' + cats.join(', ') + ')' : '');
    };
    const parts = [one('input', v.input), one('output', v.output)].filter(Boolean);
    return parts.length ? parts.join('; ') : JSON.stringify(v);
  }

  const heldText = (it) => {
    const h = it.held ?? it.content ?? null;
    return typeof h === 'string' && h !== '' ? h : null;
  };

  /* What stands in for the held answer when there is none to show. */
  function noAnswer(it) {
    const meta = it.meta || {};
    const key = it.forgotten ? 'review.forgotten' : meta.input_held ? 'review.inputheld' : 'review.noanswer';
    return el('p', { class: 'empty no-answer', i18n: key });
  }

  function reviewItem(it) {
    const id = String(it.id);
    const held = heldText(it);
    const li = el('li', { class: 'item', id: 'review-' + id, 'data-id': id });
    const editBox = el('textarea', { id: 'edit-' + id });
    editBox.value = held ?? '';
    const reason = el('input', { id: 'reason-' + id, maxlength: 512 });
    const approveB = el('button', { type: 'button', class: 'approve', i18n: 'review.approve' });
    const editB = el('button', { type: 'button', class: 'secondary edit', i18n: 'review.edit' });
    const rejectB = el('button', { type: 'button', class: 'secondary reject', i18n: 'review.reject' });
    const deliverB = el('button', { type: 'button', class: 'deliver', i18n: 'review.deliver' });
    const confirmB = el('button', { type: 'button', class: 'danger confirm-reject', i18n: 'review.confirmreject' });
    const editArea = el('div', { class: 'edit-area', hidden: true },
      el('label', { for: 'edit-' + id, i18n: 'review.edited' }), editBox,
      el('div', { class: 'actions' }, deliverB, el('button', { type: 'button', class: 'secondary', i18n: 'cancel',
        onclick: () => { editArea.hidden = true; editB.focus(); } })));
    const rejectArea = el('div', { class: 'reject-area', hidden: true },
      el('label', { for: 'reason-' + id, i18n: 'review.reason' }), ' ', reason,
      el('div', { class: 'actions' }, confirmB, el('button', { type: 'button', class: 'secondary', i18n: 'cancel',
        onclick: () => { rejectArea.hidden = true; rejectB.focus(); } })));
    const escape = (area, back) => (ev) => { if (ev.key === 'Escape') { area.hidden = true; back.focus(); } };
    editArea.addEventListener('keydown', escape(editArea, editB));
    rejectArea.addEventListener('keydown', escape(rejectArea, rejectB));
    const all = [approveB, editB, rejectB, deliverB, confirmB];
    approveB.addEventListener('click', () => decide(li, all, 'approve', undefined, 'review.approved'));
    editB.addEventListener('click', () => { rejectArea.hidden = true; editArea.hidden = false; editBox.focus(); });
    rejectB.addEventListener('click', () => { editArea.hidden = true; rejectArea.hidden = false; reason.focus(); });
    deliverB.addEventListener('click', () => decide(li, all, 'edit', { content: editBox.value }, 'review.wasedited'));
    confirmB.addEventListener('click', () => decide(li, all, 'reject',
      reason.value.trim() ? { reason: reason.value.trim() } : {}, 'review.rejected'));
    const meta = el('p', { class: 'meta' }, el('span', { ts: it.created }));
    if (it.completion_id) meta.append(' · ', el('span', { i18n: 'review.completion' }), ' ' + it.completion_id);
    const owner = it.owner || it.owner_key_id;
    if (owner) meta.append(' · ', el('span', { i18n: 'review.owner' }), ' ' + owner);
    const conv = it.meta && typeof it.meta.conversation === 'string' ? it.meta.conversation : null;
    if (conv) meta.append(' · ', el('span', { i18n: 'review.conv' }), ' ', el('code', { text: conv }));
    li.append(el('h3', {}, el('span', { i18n: 'review.item' }), ' #' + id), meta,
      el('h4', { i18n: 'review.request' }), el('pre', { class: 'text request', text: requestText(it.request) }),
      el('h4', { i18n: 'review.answer' }),
      held === null ? noAnswer(it) : el('pre', { class: 'text answer', text: held }),
      el('p', { class: 'meta verdicts' }, el('span', { i18n: 'review.verdicts' }), ': ' + verdictText(it.verdicts)),
      el('div', { class: 'actions' }, approveB, editB, rejectB), editArea, rejectArea);
    return li;
  }

  /* Posts a decision; on success the item leaves the list and focus goes to the next one. */
  async function decide(li, buttons, what, body, doneKey) {
    const id = li.dataset.id;
    await busy(buttons, async () => {
      await api('POST', '/v1/review/' + encodeURIComponent(id) + '/' + what, body);
      state.gen.reviews++;
      toast(t(doneKey) + ' #' + id);
      const next = li.nextElementSibling || li.previousElementSibling;
      removeReview(id);
      const f = next && next.querySelector('button');
      if (f) f.focus(); else $('review-h').focus();
    });
  }

  function removeReview(id) {
    const li = state.reviews.get(id);
    if (li) li.remove();
    state.reviews.delete(id);
    state.pending = state.reviews.size;
    $('review-empty').hidden = state.pending > 0;
    renderCounts();
  }

  /* Keeps the list in step with the queue without rebuilding items (focus and typing stay). */
  function syncReviews(items) {
    const pending = items.filter((it) => it && it.id !== undefined && (it.status || 'pending') === 'pending');
    const seen = new Set(pending.map((it) => String(it.id)));
    for (const id of [...state.reviews.keys()]) if (!seen.has(id)) removeReview(id);
    const list = $('review-list');
    for (const it of pending) {
      const id = String(it.id);
      if (state.reviews.has(id)) continue;
      const li = reviewItem(it);
      state.reviews.set(id, li);
      list.append(li);
    }
    state.pending = state.reviews.size;
    $('review-empty').hidden = state.pending > 0;
  }

  /* ---- conversations ---- */

  function convItem(c) {
    const id = String(c.id);
    const safe = 'conv-' + (++state.convSeq);
    const box = el('textarea', { id: safe + '-reply' });
    const sendB = el('button', { type: 'button', class: 'send', i18n: 'conv.send' });
    const releaseB = el('button', { type: 'button', class: 'secondary release', i18n: 'conv.release' });
    const meta = el('p', { class: 'meta' }, el('span', { i18n: 'conv.since' }), ' ', el('span', { ts: c.since }));
    if (c.by) meta.append(' · ', el('span', { i18n: 'admin.by' }), ' ' + c.by);
    meta.append(' · ', el('span', { i18n: 'conv.waiting' }), ' ', el('strong', { class: 'waiting', text: c.waiting ?? 0 }));
    const li = el('li', { class: 'item', 'data-id': id },
      el('h3', {}, el('span', { i18n: 'conv.item' }), ' ', el('code', { text: id })), meta,
      el('label', { for: safe + '-reply', i18n: 'conv.reply' }), box,
      el('div', { class: 'actions' }, sendB, releaseB));
    const path = '/v1/conversations/' + encodeURIComponent(id);
    sendB.addEventListener('click', () => busy([sendB, releaseB], async () => {
      if (!box.value.trim()) { box.focus(); return; }
      await api('POST', path + '/reply', { content: box.value });
      box.value = '';
      toast(t('conv.sent'));
      box.focus();
    }));
    releaseB.addEventListener('click', () => busy([sendB, releaseB], async () => {
      await api('POST', path + '/release');
      state.gen.convs++;
      removeConv(id);
      toast(t('conv.released'));
      $('conv-id').focus();
    }));
    return li;
  }

  function addConv(c) {
    const id = String(c.id);
    if (state.convs.has(id)) return state.convs.get(id);
    const li = convItem(c);
    state.convs.set(id, li);
    $('conv-list').append(li);
    $('conv-empty').hidden = true;
    return li;
  }

  function removeConv(id) {
    const li = state.convs.get(id);
    if (li) li.remove();
    state.convs.delete(id);
    $('conv-empty').hidden = state.convs.size > 0;
    renderCounts();
  }

  /* Keeps the list in step with the conversations taken over (by anyone). */
  function syncConvs(items) {
    const seen = new Set(items.filter((c) => c && c.id !== undefined).map((c) => String(c.id)));
    for (const id of [...state.convs.keys()]) if (!seen.has(id)) removeConv(id);
    for (const c of items) {
      if (!c || c.id === undefined) continue;
      const w = addConv(c).querySelector('.waiting');
      if (typeof c.waiting === 'number') w.textContent = String(c.waiting);
    }
    $('conv-empty').hidden = state.convs.size > 0;
  }

  async function takeover(ev) {
    ev.preventDefault();
    const id = $('conv-id').value.trim();
    if (!id) return;
    await busy([$('takeover-go')], async () => {
      const c = await api('POST', '/v1/conversations/' + encodeURIComponent(id) + '/takeover');
      state.gen.convs++;
      $('conv-id').value = '';
      const li = addConv({ id, since: (c && c.since) || Date.now() / 1000, by: c && c.by });
      renderCounts();
      toast(t('conv.taken'));
      li.querySelector('textarea').focus();
    });
  }

  /* ---- feedback ---- */

  function feedbackItem(f) {
    const id = String(f.id);
    const handleB = el('button', { type: 'button', class: 'secondary handle', i18n: 'feedback.handle' });
    const stateE = el('span', { class: 'fb-state' });
    const li = el('li', { class: 'item', id: 'feedback-' + id, 'data-id': id },
      el('h3', {}, el('span', { i18n: 'feedback.item' }), ' #' + id + ' · ',
        el('span', { i18n: 'cat.' + f.category })),
      el('p', { class: 'meta' }, el('span', { ts: f.created }), ' · ',
        el('span', { i18n: 'review.completion' }), ' ' + (f.completion_id || '-'), ' · ', stateE),
      f.comment ? el('pre', { class: 'text comment', text: f.comment })
        : el('p', { class: 'empty', i18n: 'feedback.nocomment' }),
      el('div', { class: 'actions' }, handleB));
    handleB.addEventListener('click', () => busy([handleB], async () => {
      await api('POST', '/v1/feedback/' + encodeURIComponent(id) + '/handle');
      state.gen.feedback++;
      setHandled(li, true);
      state.unhandled = [...state.feedback.values()].filter((e) => e.dataset.handled !== '1').length;
      renderCounts();
      toast(t('feedback.done') + ' #' + id);
    }));
    setHandled(li, !!f.handled);
    return li;
  }

  function setHandled(li, handled) {
    li.dataset.handled = handled ? '1' : '0';
    li.classList.toggle('done', handled);
    const s = li.querySelector('.fb-state');
    s.dataset.i18n = handled ? 'feedback.handled' : 'feedback.open';
    s.textContent = t(s.dataset.i18n);
    const b = li.querySelector('button.handle');
    b.hidden = handled;
  }

  function syncFeedback(items) {
    const list = $('feedback-list');
    for (const f of items) {
      if (!f || f.id === undefined) continue;
      const id = String(f.id);
      const li = state.feedback.get(id);
      if (li) { setHandled(li, !!f.handled); continue; }
      const n = feedbackItem(f);
      state.feedback.set(id, n);
      list.append(n);
    }
    state.unhandled = items.filter((f) => f && !f.handled).length;
    $('feedback-empty').hidden = state.feedback.size > 0;
  }

  /* ---- polling ---- */

  /* GETs path and, unless a local change to what it lists happened meanwhile, syncs it. */
  function refresh(path, what, sync) {
    const g = state.gen[what];
    return api('GET', path).then((d) => { if (state.key && g === state.gen[what]) sync(listOf(d)); });
  }

  async function poll() {
    if (state.polling || !state.key) return;
    state.polling = true;
    const jobs = [
      refresh('/v1/review', 'reviews', syncReviews),
      refresh('/v1/conversations', 'convs', syncConvs),
      refresh('/v1/feedback', 'feedback', syncFeedback),
    ];
    jobs.push(api('GET', state.role === 'admin' ? '/v1/admin/status' : '/v1/oversight/status').then(renderStatus));
    const results = await Promise.allSettled(jobs);
    state.polling = false;
    if (!state.key) return;
    if (results.some((r) => r.status === 'rejected' && r.reason.status === 401)) return lostKey();
    renderCounts();
  }

  function init() {
    const zh = (navigator.language || '').toLowerCase().startsWith('zh');
    state.lang = zh ? 'zh' : 'en';
    applyLang();
    $('lang').addEventListener('click', () => {
      state.lang = state.lang === 'en' ? 'zh' : 'en';
      $('toast').textContent = '';
      applyLang();
    });
    $('signout').addEventListener('click', () => signOut(''));
    $('signin-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const input = $('key');
      const key = input.value.trim();
      input.value = '';
      $('signin-msg').textContent = '';
      $('signin-go').disabled = true;
      try {
        await signIn(key);
        showApp();
      } catch (e) {
        state.key = null;
        state.role = null;
        $('signin-msg').textContent = e.status === 401 ? t('signin.bad') : e.message;
        input.focus();
      } finally {
        $('signin-go').disabled = false;
      }
    });
    $('halt-form').addEventListener('submit', halt);
    $('resume-go').addEventListener('click', resume);
    $('takeover-form').addEventListener('submit', takeover);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
