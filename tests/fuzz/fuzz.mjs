#!/usr/bin/env node
// Schema-driven HTTP fuzzer for Obol. Reads the live OpenAPI document, generates valid-ish requests for every
// operation (feeding ids the server returns into later path parameters) and mutations of them, and checks four
// oracles: no 5xx; every 4xx is application/problem+json with a `code`; nothing that must be refused is accepted;
// /healthz is healthy at the end. Deterministic for a seed, given the same server behaviour (server-assigned ids and
// the current time, used for signed webhook timestamps and schedule instants, are the only outside inputs).
//
//   node tests/fuzz/fuzz.mjs --base-url http://127.0.0.1:5080 --api-key sk_test_… [--seed 1] [--requests 10000]
//        [--out failures.jsonl] [--api-key-2 sk_test_… (a second merchant, for cross-merchant checks)] [--label sqlite]
import fs from 'node:fs';
import crypto from 'node:crypto';
import { send } from './lib/http.mjs';
import { createRandom, luhnNumber } from './lib/rand.mjs';

// ---------------------------------------------------------------- options
const args = parseArgs(process.argv.slice(2));
if (args.help || !args['api-key']) {
  console.log(`usage: node fuzz.mjs --base-url URL --api-key KEY [--seed S] [--requests N] [--out FILE] [--api-key-2 KEY]
  [--label NAME] [--timeout-ms MS] [--stripe-webhook-secret S] [--adyen-hmac-key HEX] [--include-sim] [--progress N]`);
  process.exit(args.help ? 0 : 2);
}
const BASE = new URL(args['base-url'] ?? 'http://127.0.0.1:5080');
const TARGET = { host: BASE.hostname, port: Number(BASE.port || 80) };
const KEY = args['api-key'];
const KEY2 = args['api-key-2'] ?? null;
const SEED = args.seed ?? '1';
const REQUESTS = Number(args.requests ?? 10000);
const OUT = args.out ?? 'fuzz-failures.jsonl';
const LABEL = args.label ?? 'obol';
const TIMEOUT = Number(args['timeout-ms'] ?? 30000);
const STRIPE_SECRET = args['stripe-webhook-secret'] ?? 'whsec_obol_simulator';
const ADYEN_KEY = args['adyen-hmac-key'] ?? '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
const PROGRESS = Number(args.progress ?? 1000);

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const k = a.slice(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) o[k] = argv[++i];
    else o[k] = true;
  }
  return o;
}

const rand = createRandom(SEED);
const NOW = Date.now();

// ---------------------------------------------------------------- JSON building blocks
/** Raw JSON text, inserted verbatim (numbers JS cannot hold, literals, broken syntax). */
class Raw { constructor(text) { this.text = text; } }
/** An object as ordered entries, so a name can repeat. */
class Entries { constructor(entries) { this.entries = entries; } }
/** Bytes that are not valid UTF-8; stands in a string as a private-use marker replaced after encoding. */
const INVALID_UTF8_MARK = '\uE000\uE001';
const INVALID_UTF8_BYTES = Buffer.from([0xff, 0xfe, 0xc3, 0x28]);

function ser(v) {
  if (v instanceof Raw) return v.text;
  if (v instanceof Entries) return '{' + v.entries.map(([k, x]) => JSON.stringify(k) + ':' + ser(x)).join(',') + '}';
  if (Array.isArray(v)) return '[' + v.map(ser).join(',') + ']';
  if (v && typeof v === 'object') return '{' + Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => JSON.stringify(k) + ':' + ser(x)).join(',') + '}';
  if (v === undefined) return 'null';
  return JSON.stringify(v);
}

function encodeBody(text) {
  let buf = Buffer.from(text, 'utf8');
  const mark = Buffer.from(INVALID_UTF8_MARK, 'utf8');
  for (let i = buf.indexOf(mark); i >= 0; i = buf.indexOf(mark)) {
    buf = Buffer.concat([buf.subarray(0, i), INVALID_UTF8_BYTES, buf.subarray(i + mark.length)]);
  }
  return buf;
}

const clone = (v) => {
  if (v instanceof Raw) return v;
  if (v instanceof Entries) return new Entries(v.entries.map(([k, x]) => [k, clone(x)]));
  if (Array.isArray(v)) return v.map(clone);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
};

// ---------------------------------------------------------------- the OpenAPI document
const docResponse = await send(TARGET, { method: 'GET', path: '/openapi/v1.json', headers: [['Authorization', `Bearer ${KEY}`]] }, TIMEOUT);
if (docResponse.status !== 200) {
  console.error(`cannot read ${BASE}openapi/v1.json: ${docResponse.status} ${docResponse.error ?? ''}`);
  process.exit(2);
}
const DOC = JSON.parse(docResponse.body.toString('utf8'));
const SCHEMAS = DOC.components?.schemas ?? {};

function deref(schema) {
  let s = schema ?? {};
  let nullable = false;
  let name = null;
  for (let guard = 0; guard < 10; guard++) {
    if (s.$ref) { name = s.$ref.split('/').pop(); s = SCHEMAS[name] ?? {}; continue; }
    if (s.oneOf || s.anyOf) {
      const alts = s.oneOf ?? s.anyOf;
      if (alts.some((a) => a.type === 'null')) nullable = true;
      const other = alts.find((a) => a.type !== 'null');
      if (!other) return { schema: { type: 'null' }, nullable: true, name };
      s = other;
      continue;
    }
    break;
  }
  let types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.includes('null')) nullable = true;
  types = types.filter((t) => t !== 'null');
  if (types.length === 0 && s.format === 'date-time') types = ['string'];
  if (types.length === 0 && s.properties) types = ['object'];
  if (types.length === 0 && s.enum) types = ['string'];
  return { schema: s, types, nullable, name };
}

// Operations, excluding the simulator and the document itself.
const OPS = [];
for (const [path, item] of Object.entries(DOC.paths ?? {})) {
  if (!args['include-sim'] && (path.startsWith('/sim') || path.startsWith('/openapi') || path.startsWith('/docs'))) continue;
  for (const [method, op] of Object.entries(item)) {
    if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
    const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
    const content = op.requestBody?.content ?? {};
    const [contentType, media] = Object.entries(content)[0] ?? [null, null];
    OPS.push({
      id: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      params,
      contentType,
      bodySchema: media?.schema ?? null,
      bodyRequired: !!op.requestBody?.required && !(media?.schema && deref(media.schema).nullable),
      authenticated: path.startsWith('/v1/'),
      webhook: path.startsWith('/webhooks/'),
    });
  }
}

// ---------------------------------------------------------------- domain hints (what a valid value of a field looks like)
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'KWD'];
const PAYMENT_METHODS = ['pm_card_visa', 'pm_card_mastercard', 'pm_card_declined', 'pm_card_insufficient_funds', 'pm_bank_transfer'];
const TIME_ZONES = ['Europe/Berlin', 'America/New_York', 'UTC', 'Asia/Kolkata', 'Pacific/Kiritimati', 'Australia/Lord_Howe', 'America/St_Johns'];
const ENUMS = {
  captureMethod: ['automatic', 'manual'],
  mode: ['test', 'live'],
  frequency: ['daily', 'weekly', 'monthly'],
  psp: ['stripe', 'adyen'],
  payPeriodStartDay: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
};
// Fields a request cannot do without, whatever the schema's nullability says (.NET lists every constructor parameter
// as required, nullable ones included, so `required` alone over-states it).
const SEMANTIC_REQUIRED = {
  CreatePaymentRequest: ['amount', 'currency', 'paymentMethod'],
  CreateScheduledPaymentRequest: ['amount', 'currency', 'paymentMethod'],
  CreateAccountRequest: ['code', 'type', 'currency'],
  TransferRequest: ['debitAccountId', 'creditAccountId', 'amount', 'currency'],
  CreateTransactionRequest: ['transfers'],
  CreateTransactionBatchRequest: ['transactions'],
  StartRunRequest: ['psp', 'date'],
  RecurrenceRequest: ['frequency'],
  DeliveryEventBatch: ['events'],
  DeliveryEventInput: ['eventId', 'courierId', 'orderId', 'status', 'occurredAt'],
  AccountOwnerRequest: ['type'],
};
const ID_FIELDS_MAX_100 = new Set(['eventId', 'courierId', 'orderId']);

const iso = (ms) => new Date(ms).toISOString();
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
const words = () => rand.pick(['order', 'coffee', 'rent', 'subscription', 'lunch', 'fuzz', 'invoice']) + ' ' + rand.int(1, 9999);

// ---------------------------------------------------------------- state harvested from responses
const pools = new Map(); // collection name -> ids (insertion order, capped)
const accounts = []; // {id, currency}
const couriers = []; // our courier ids with terms
const foreign = new Map(); // collection -> ids belonging to the second merchant
const idemOps = new Set(); // operations that take Idempotency-Key
const idemUsed = []; // {key, op, bodyHash, ok}
const sentCards = new Set();
const PROTECTED_KEY_IDS = new Set(); // never revoke the keys the run depends on

function addId(collection, id) {
  if (typeof id !== 'string' || !id || id.length > 200) return;
  let list = pools.get(collection);
  if (!list) pools.set(collection, (list = []));
  if (!list.includes(id)) { list.push(id); if (list.length > 300) list.splice(0, list.length - 300); }
}
const FIELD_COLLECTION = {
  paymentId: 'payments', refundId: 'refunds', runId: 'runs', transactionId: 'transactions', transferId: 'transfers',
  pendingTransferId: 'transfers', courierId: 'couriers', ledgerTransactionId: 'transactions', accountId: 'accounts',
  debitAccountId: 'accounts', creditAccountId: 'accounts', periodId: 'pay-periods', reversesTransactionId: 'transactions',
  reversedByTransactionId: 'transactions', lineId: 'lines',
};
function lastLiteral(template) {
  const segs = template.split('/').filter(Boolean);
  for (let i = segs.length - 1; i >= 0; i--) if (!segs[i].startsWith('{')) return segs[i];
  return segs[0];
}
/** The collection a response's top-level object belongs to: the literal before the path's last parameter, or its last literal. */
function responseCollection(op) {
  const segs = op.path.split('/').filter(Boolean);
  const lastParam = segs.map((s) => s.startsWith('{')).lastIndexOf(true);
  if (lastParam === segs.length - 1) return segs[lastParam - 1];
  if (lastParam >= 0 && ['capture', 'cancel', 'revoke', 'reverse', 'post', 'void', 'resolve', 'retry', 'close', 'recompute'].includes(segs[segs.length - 1])) return segs[lastParam - 1];
  return segs[segs.length - 1];
}
function harvest(op, json, into = null) {
  if (!json || typeof json !== 'object') return;
  const coll = responseCollection(op);
  const put = (c, id) => (into ? into(c, id) : addId(c, id));
  const walk = (v, collection, depth) => {
    if (depth > 6 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) { for (const x of v) walk(x, collection, depth + 1); return; }
    if (typeof v.id === 'string' && collection) put(collection, v.id);
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string' && FIELD_COLLECTION[k]) put(FIELD_COLLECTION[k], x);
      else if (k === 'data' || k === 'results') walk(x, collection, depth + 1);
      else if (x && typeof x === 'object') walk(x, k === 'transaction' ? 'transactions' : Array.isArray(x) ? k : null, depth + 1);
    }
  };
  if (op.path === '/v1/api-keys' && op.method === 'GET') return; // never feed listed keys (ours among them) to revoke
  walk(json, coll, 0);
  if (!into && coll === 'accounts' && json.id && json.currency) accounts.push({ id: json.id, currency: json.currency });
  if (accounts.length > 400) accounts.splice(0, accounts.length - 400);
}
const pool = (c) => pools.get(c) ?? [];

// ---------------------------------------------------------------- valid generation
function genValue(schemaIn, name, ctx, depth = 0) {
  const { schema, types, nullable, name: typeName } = deref(schemaIn);
  const hinted = hint(name, ctx, typeName);
  if (hinted !== undefined) return hinted;
  if (schema.enum) return rand.pick(schema.enum);
  const t = types[0];
  if (t === 'object' || schema.properties) return genObject(schemaIn, ctx, depth);
  if (t === 'array') {
    const n = depth > 2 ? 1 : rand.int(1, 3);
    return Array.from({ length: n }, () => genValue(schema.items ?? {}, name, ctx, depth + 1));
  }
  if (t === 'integer') return rand.int(1, 1000);
  if (t === 'number') return rand.int(1, 1000);
  if (t === 'boolean') return rand.bool();
  if (schema.format === 'date-time') return iso(NOW - rand.int(0, 3600_000));
  if (t === 'string') return rand.alnum(rand.int(3, 12));
  if (nullable) return null;
  return rand.alnum(6);
}

function genObject(schemaIn, ctx, depth) {
  const { schema, name } = deref(schemaIn);
  ctx = { ...ctx, schemaName: name ?? ctx.schemaName };
  if (schema.additionalProperties && !schema.properties) {
    const o = {};
    for (let i = rand.int(0, 2); i > 0; i--) o[rand.pick(['order', 'ref', 'note', 'x'])] = rand.alnum(6);
    return o;
  }
  const custom = shape(name, ctx, depth);
  if (custom) return custom;
  const required = new Set(schema.required ?? []);
  const sem = new Set(SEMANTIC_REQUIRED[name] ?? []);
  const o = {};
  for (const [prop, ps] of Object.entries(schema.properties ?? {})) {
    const { nullable } = deref(ps);
    const must = sem.has(prop) || (required.has(prop) && !nullable);
    if (must || rand.bool(0.5)) o[prop] = genValue(ps, prop, { ...ctx, parent: name }, depth + 1);
  }
  return o;
}

/** Values of a named field that the server will likely accept, or undefined to fall back on the schema. */
function hint(name, ctx, typeName) {
  switch (name) {
    case 'amount':
      if (ctx.schemaName === 'CaptureRequest' || ctx.schemaName === 'CreateRefundRequest' || ctx.schemaName === 'PostTransferRequest') return rand.bool(0.5) ? null : rand.int(1, 500);
      return rand.weighted([[rand.int(50, 50000), 8], [rand.int(1, 49), 1]]);
    case 'currency': return rand.weighted([['USD', 6], ['EUR', 3], ['GBP', 1], ['JPY', 1], ['KWD', 0.5]]);
    case 'paymentMethod': return rand.weighted([[PAYMENT_METHODS[0], 6], [PAYMENT_METHODS[1], 2], [PAYMENT_METHODS[2], 1], [PAYMENT_METHODS[3], 1], [PAYMENT_METHODS[4], 1]]);
    case 'captureMethod': return rand.pick(ENUMS.captureMethod);
    case 'description': case 'reason': case 'note': case 'label': return words();
    case 'timeZone': return rand.pick(TIME_ZONES);
    case 'executeAt': return iso(NOW + rand.int(60, 3 * 86400) * 1000);
    case 'localDateTime': return iso(NOW + rand.int(2, 60) * 86400_000).slice(0, 16);
    case 'until': return iso(NOW + rand.int(10, 400) * 86400_000);
    case 'frequency': return rand.pick(ENUMS.frequency);
    case 'interval': return rand.int(1, 4);
    case 'count': return rand.int(1, 6);
    case 'mode': return rand.weighted([['test', 5], ['live', 1]]);
    case 'code': return `fz_${rand.alnum(8)}`;
    case 'type':
      if (ctx.parent === 'AccountOwnerRequest') return rand.pick(SCHEMAS.OwnerType?.enum ?? ['merchant']);
      if (ctx.schemaName === 'CreateAccountRequest') return rand.pick(SCHEMAS.AccountType?.enum ?? ['asset']);
      return undefined;
    case 'externalId': return `fzx_${rand.alnum(10)}`;
    case 'effectiveAt':
      if (ctx.schemaName === 'PutCourierRequest') return rand.bool(0.7) ? undefined : iso(NOW + rand.int(1, 1000) * 60_000);
      return iso(NOW - rand.int(0, 86400) * 1000);
    case 'timeoutSeconds': return rand.int(60, 86400);
    case 'debitAccountId': case 'creditAccountId': return accounts.length ? rand.pick(accounts).id : `acct_${rand.alnum(8)}`;
    case 'basePayRate': return rand.int(1, 100);
    case 'bonusPay': return rand.int(0, 500);
    case 'deliveriesPerBonus': return rand.int(1, 10);
    case 'cancellationPay': return rand.int(0, 200);
    case 'payPeriodStartDay': return rand.pick(ENUMS.payPeriodStartDay);
    case 'eventId': return `ev_${rand.alnum(10)}`;
    case 'courierId': return couriers.length ? rand.pick(couriers) : `fzc_${rand.alnum(6)}`;
    case 'orderId': return `o_${rand.int(1, 60)}`;
    case 'status': return ctx.schemaName === 'DeliveryEventInput' ? rand.pick(['accepted', 'fulfilled', 'cancelled']) : undefined;
    case 'occurredAt': case 'acceptedAt': return iso(NOW - rand.int(0, 5 * 86400) * 1000);
    case 'psp': return rand.pick(ENUMS.psp);
    case 'date': return day(NOW - rand.int(1, 10) * 86400_000);
    case 'metadata': return rand.bool(0.5) ? { order: `o_${rand.int(1, 99)}` } : {};
    default: return undefined;
  }
}

/** Shapes the schema cannot express: either/or fields and fields that must agree with each other. */
function shape(name, ctx, depth) {
  switch (name) {
    case 'CreateScheduledPaymentRequest': {
      const o = { amount: hint('amount', ctx), currency: hint('currency', ctx), paymentMethod: hint('paymentMethod', ctx) };
      if (rand.bool()) o.captureMethod = hint('captureMethod', ctx);
      if (rand.bool(0.3)) o.description = words();
      if (rand.bool()) o.executeAt = hint('executeAt', ctx);
      else { o.localDateTime = hint('localDateTime', ctx); o.timeZone = hint('timeZone', ctx); }
      if (rand.bool(0.4)) {
        o.recurrence = { frequency: rand.pick(ENUMS.frequency) };
        if (rand.bool()) o.recurrence.interval = rand.int(1, 4);
        if (rand.bool()) o.recurrence.count = rand.int(1, 6);
        else if (rand.bool()) o.recurrence.until = hint('until', ctx);
      }
      return o;
    }
    case 'CreateTransactionRequest': {
      const n = rand.int(1, depth > 1 ? 1 : 3);
      const transfers = [];
      for (let i = 0; i < n; i++) transfers.push(genTransfer());
      const o = { transfers };
      if (rand.bool(0.7)) o.externalId = hint('externalId', ctx);
      if (rand.bool(0.3)) o.description = words();
      if (rand.bool(0.3)) o.metadata = hint('metadata', ctx);
      if (rand.bool(0.3)) o.effectiveAt = hint('effectiveAt', ctx);
      return o;
    }
    case 'CreateAccountRequest': {
      const o = { code: hint('code', ctx), type: rand.pick(SCHEMAS.AccountType?.enum ?? ['asset']), currency: rand.pick(['USD', 'USD', 'EUR', 'JPY']) };
      if (rand.bool(0.3)) o.owner = { type: rand.pick(SCHEMAS.OwnerType?.enum ?? ['merchant']), id: `own_${rand.alnum(5)}` };
      if (rand.bool(0.3)) o.flags = { debitsMustNotExceedCredits: rand.bool(0.2), creditsMustNotExceedDebits: rand.bool(0.2) };
      if (rand.bool(0.3)) o.metadata = hint('metadata', ctx);
      return o;
    }
    case 'PutCourierRequest': {
      const o = { timeZone: rand.pick(TIME_ZONES), currency: rand.pick(['USD', 'EUR']), basePayRate: rand.int(1, 100), bonusPay: rand.int(0, 500),
        deliveriesPerBonus: rand.int(1, 10), cancellationPay: rand.int(0, 200), payPeriodStartDay: rand.pick(ENUMS.payPeriodStartDay) };
      if (ctx.courierKnown) { delete o.timeZone; delete o.currency; delete o.payPeriodStartDay; }
      return o;
    }
    case 'DeliveryEventBatch': {
      const n = rand.int(1, 6);
      const courier = couriers.length ? rand.pick(couriers) : `fzc_${rand.alnum(6)}`;
      const order = `o_${rand.alnum(6)}`;
      const t0 = NOW - rand.int(1, 4 * 86400) * 1000;
      const statuses = ['accepted', 'fulfilled', 'cancelled'];
      return { events: Array.from({ length: n }, (_, i) => ({ eventId: `ev_${rand.alnum(10)}`, courierId: rand.bool(0.8) ? courier : hint('courierId', ctx),
        orderId: rand.bool(0.7) ? order : `o_${rand.int(1, 60)}`, status: statuses[Math.min(i, 2)] === 'cancelled' && rand.bool(0.7) ? 'fulfilled' : rand.pick(statuses),
        occurredAt: iso(t0 + i * rand.int(1, 3600) * 1000) })) };
    }
    default: return null;
  }
}

function genTransfer() {
  let debit, credit;
  const cur = accounts.length ? rand.pick(accounts).currency : 'USD';
  const same = accounts.filter((a) => a.currency === cur);
  if (same.length >= 2) { debit = rand.pick(same); credit = rand.pick(same.filter((a) => a !== debit)); }
  const t = { debitAccountId: debit?.id ?? `acct_${rand.alnum(8)}`, creditAccountId: credit?.id ?? `acct_${rand.alnum(8)}`, amount: rand.int(1, 5000), currency: cur };
  if (rand.bool(0.3)) { t.pending = true; t.timeoutSeconds = rand.int(60, 86400); }
  return t;
}

function genPathParam(op, param) {
  const segs = op.path.split('/').filter(Boolean);
  const i = segs.indexOf(`{${param.name}}`);
  const collection = segs[i - 1];
  if (collection === 'couriers') {
    if (op.method === 'PUT') return rand.bool(0.4) && couriers.length ? rand.pick(couriers) : `fzc_${rand.alnum(6)}`;
    return couriers.length && rand.bool(0.9) ? rand.pick(couriers) : `fzc_${rand.alnum(6)}`;
  }
  if (collection === 'api-keys') return pool('api-keys').length ? rand.pick(pool('api-keys')) : `key_${rand.alnum(10)}`;
  const ids = pool(collection);
  if (ids.length && rand.bool(0.92)) return rand.pick(ids.length > 40 && rand.bool(0.6) ? ids.slice(-40) : ids);
  return `${collection.slice(0, 3)}_${rand.alnum(20)}`;
}

function genQueryParam(op, param) {
  const n = param.name;
  const { schema, types } = deref(param.schema);
  switch (n) {
    case 'limit': return String(rand.int(1, 100));
    case 'startingAfter': { const ids = pool(lastLiteral(op.path)); return ids.length ? rand.pick(ids) : undefined; }
    case 'status': {
      if (op.path.startsWith('/v1/payments')) return rand.pick(SCHEMAS.PaymentStatus?.enum ?? ['captured']);
      if (op.path.includes('anomalies') || op.path.includes('discrepancies')) return rand.pick(['open', 'resolved']);
      return rand.pick(['scheduled', 'processing', 'succeeded', 'failed', 'cancelled', 'dead_lettered']);
    }
    case 'psp': return rand.pick(ENUMS.psp);
    case 'date': return day(NOW - rand.int(1, 10) * 86400_000);
    case 'currency': return rand.pick(['USD', 'EUR']);
    case 'code': return undefined;
    case 'courierId': return couriers.length ? rand.pick(couriers) : `fzc_${rand.alnum(6)}`;
    case 'asOf': return iso(NOW - rand.int(0, 86400) * 1000);
    case 'from': case 'to': {
      const d = n === 'from' ? NOW - rand.int(5, 20) * 86400_000 : NOW + rand.int(0, 3) * 86400_000;
      return schema.format === 'date-time' ? iso(d) : day(d);
    }
    default:
      if (types[0] === 'integer') return String(rand.int(1, 50));
      return undefined;
  }
}

// ---------------------------------------------------------------- request model
// A request is {op, method, pathParams:{}, query:[[k,v]], headers:[[k,v]], body (JS value | Buffer | null), bodyText?,
// contentType, mutation:{cls, refuse: null|reason, detail}, items?: per-item check}
function baseRequest(op) {
  const req = { op, method: op.method, pathParams: {}, query: [], headers: [], body: null, contentType: op.contentType, mutation: { cls: 'valid', refuse: null, detail: '' } };
  for (const p of op.params) {
    if (p.in === 'path') req.pathParams[p.name] = genPathParam(op, p);
    else if (p.in === 'query') {
      const v = genQueryParam(op, p);
      if (v !== undefined && (p.required || p.name === 'courierId' || rand.bool(0.6))) req.query.push([p.name, v]);
    }
  }
  if (op.authenticated) req.headers.push(['Authorization', `Bearer ${KEY}`]);
  if (op.contentType === 'application/json' && op.bodySchema) {
    const ctx = { op: op.id, courierKnown: op.path === '/v1/couriers/{id}' && couriers.includes(req.pathParams.id) };
    const { nullable } = deref(op.bodySchema);
    req.body = nullable && rand.bool(0.25) ? undefined : genValue(op.bodySchema, null, ctx);
    if (req.body === undefined) req.body = null;
  } else if (op.contentType === 'text/csv') {
    req.body = genCsv(req);
  }
  if (op.method !== 'GET' && rand.bool(0.85) && op.authenticated) req.headers.push(['Idempotency-Key', `fz-${SEED}-${rand.alnum(16)}`]);
  return req;
}

function genCsv(req) {
  const psp = rand.pick(ENUMS.psp);
  req.query = req.query.filter(([k]) => k !== 'psp' && k !== 'date');
  req.query.push(['psp', psp], ['date', day(NOW - rand.int(1, 5) * 86400_000)]);
  const pays = pool('payments');
  const rows = [];
  if (psp === 'stripe') {
    rows.push('balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,payment_intent_id,payment_metadata[reference]');
    for (let i = rand.int(0, 4); i > 0; i--) {
      const gross = rand.int(1, 50000) / 100;
      const fee = Math.min(gross, rand.int(0, 300) / 100);
      const cat = rand.pick(['charge', 'refund']);
      const sign = cat === 'refund' ? -1 : 1;
      rows.push([`txn_${rand.alnum(12)}`, `${day(NOW - 86400_000)} 10:00:00`, 'usd', (sign * gross).toFixed(2), fee.toFixed(2), (sign * gross - fee).toFixed(2),
        cat, `ch_${rand.alnum(10)}`, `pi_${rand.alnum(10)}`, pays.length ? rand.pick(pays) : ''].join(','));
    }
  } else {
    rows.push('Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Creation Date,TimeZone,Type,Modification Reference,Gross Currency,Gross Debit (GC),Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC)');
    for (let i = rand.int(0, 4); i > 0; i--) {
      const gross = rand.int(100, 50000) / 100;
      rows.push(['Obol', 'ObolMerchantAccount', rand.alnum(16).toUpperCase(), pays.length ? rand.pick(pays) : 'ref', 'visa', `${day(NOW - 86400_000)} 10:00:00`, 'CET', 'Settled',
        rand.alnum(16).toUpperCase(), 'EUR', '', gross.toFixed(2), '1', 'EUR', '', (gross - 0.1).toFixed(2), '0.10'].join(','));
    }
  }
  return new Raw(rows.join('\r\n') + '\r\n');
}

// ---------------------------------------------------------------- mutations
/** Every node of a JSON body with its schema: [{path: [...keys], schema, prop, parentName, required, nullable}] */
function nodesOf(body, schemaIn) {
  const out = [];
  const walk = (v, s, path, prop, parentName, required) => {
    const d = deref(s);
    out.push({ path, schema: d.schema, types: d.types, typeName: d.name, nullable: d.nullable, prop, parentName, required, value: v });
    if (v && typeof v === 'object' && !(v instanceof Raw) && !(v instanceof Entries)) {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, d.schema.items ?? {}, [...path, i], prop, parentName, false));
      else {
        const req = new Set([...(d.schema.required ?? []).filter((p) => !deref(d.schema.properties?.[p]).nullable), ...(SEMANTIC_REQUIRED[d.name] ?? [])]);
        for (const [k, x] of Object.entries(v)) {
          const ps = d.schema.properties?.[k] ?? (d.schema.additionalProperties && typeof d.schema.additionalProperties === 'object' ? d.schema.additionalProperties : {});
          walk(x, ps, [...path, k], k, d.name, req.has(k));
        }
      }
    }
  };
  walk(body, schemaIn, [], null, null, false);
  return out;
}
function getAt(root, path) { let v = root; for (const k of path) v = v?.[k]; return v; }
function setAt(root, path, value) {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  parent[path[path.length - 1]] = value;
  return root;
}
function deleteAt(root, path) {
  const parent = getAt(root, path.slice(0, -1));
  if (Array.isArray(parent)) parent.splice(path[path.length - 1], 1);
  else delete parent[path[path.length - 1]];
  return root;
}
function objectNodes(nodes) { return nodes.filter((n) => n.value && typeof n.value === 'object' && !Array.isArray(n.value) && !(n.value instanceof Raw) && !(n.value instanceof Entries)); }
function leafNodes(nodes) { return nodes.filter((n) => n.path.length > 0 && (n.value === null || typeof n.value !== 'object')); }

const INT_EDGES = [
  ['2147483647', null], ['2147483648', null], ['-2147483648', null], ['-2147483649', null],
  ['9223372036854775807', null], ['9223372036854775808', 'integer beyond int64'], ['-9223372036854775808', null],
  ['-9223372036854775809', 'integer beyond int64'], ['99999999999999999999999999', 'integer beyond int64'],
  ['-1', null], ['0', null], ['1.5', 'fractional value for an integer'], ['0.01', 'fractional value for an integer'],
  ['1e3', 'exponent notation for an integer'], ['1E+2', 'exponent notation for an integer'], ['1.0', 'fractional notation for an integer'],
  ['-0', null], ['1e400', 'number beyond any range'], ['4.9e-324', 'fractional value for an integer'],
];
const NUMBER_EDGES = [['1.5', 'fractional amount'], ['0.001', 'fractional amount'], ['1e3', null], ['9223372036854775808', 'amount beyond int64'], ['1e400', 'number beyond any range'], ['-1', null], ['0', null], ['-0.5', 'fractional amount']];

function stringEdge() {
  return rand.weighted([
    [['', null, 'empty'], 3],
    [[' ', null, 'space'], 1],
    [['x'.repeat(300), null, '300 chars'], 3],
    [['y'.repeat(5000), null, '5000 chars'], 2],
    [['z'.repeat(100000), null, '100000 chars'], 1],
    [['a\u0000b', 'U+0000 in a string', 'NUL'], 4],
    [['\u0000', 'U+0000 in a string', 'only NUL'], 1],
    [['tab\tnl\ncr\rbell\u0007esc\u001b', null, 'control chars'], 2],
    [['\u0085\u2028\u2029', null, 'unicode line separators'], 1],
    [['bad\ud800', 'lone surrogate', 'lone high surrogate'], 2],
    [['\udfffbad', 'lone surrogate', 'lone low surrogate'], 1],
    [['x' + INVALID_UTF8_MARK + 'y', 'invalid UTF-8', 'invalid UTF-8 bytes'], 2],
    [['\u202eevil\u202c مرحبا', null, 'RTL'], 1],
    [['💳🙂👨‍👩‍👧', null, 'emoji'], 1],
    [['null', null, 'the word null'], 1],
    [["'; DROP TABLE payments;--", null, 'sql'], 1],
    [['%00%ff', null, 'percent escapes'], 1],
    [['\ufeffBOM', null, 'BOM'], 1],
  ]);
}
function cardNumber() {
  const c = rand.weighted([
    [luhnNumber(rand, '4', 16), 4], [luhnNumber(rand, '51', 16), 2], [luhnNumber(rand, '37', 15), 1], [luhnNumber(rand, '6011', 16), 1], [luhnNumber(rand, '4', 19), 1], [luhnNumber(rand, '4', 13), 1],
  ]);
  const style = rand.int(0, 3);
  const text = style === 1 ? c.replace(/(\d{4})(?=\d)/g, '$1 ') : style === 2 ? c.replace(/(\d{4})(?=\d)/g, '$1-') : c;
  sentCards.add(c);
  return text;
}
const DATE_EDGES = [
  ['0001-01-01T00:00:00Z', null], ['0001-01-01T00:00:00+14:00', null], ['9999-12-31T23:59:59+14:00', null], ['9999-12-31T23:59:59-14:00', null],
  ['9999-12-31T23:59:59.9999999Z', null], ['0000-01-01T00:00:00Z', 'invalid instant (year 0)'], ['10000-01-01T00:00:00Z', 'invalid instant (year 10000)'],
  ['2027-01-01T00:00:00Zgarbage', 'instant with trailing garbage'], ['2027-01-01T00:00:00Z\u0000', 'U+0000 in a string'],
  ['2027-01-01T00:00:00', null], ['2027-01-01T00:00:00.1234567891Z', null], ['2027-02-30T00:00:00Z', 'invalid instant (Feb 30)'],
  ['2027-01-01T24:00:00Z', null], ['2027-01-01T00:00:00+15:00', null], ['2027-01-01T00:00:00Z\u0000garbage', 'U+0000 in a string'], ['2027-01-01', null], ['', null],
  ['1970-01-01T00:00:00Z', null], ['2027-13-01T00:00:00Z', 'invalid instant (month 13)'], ['9999-12-31T23:59:59Z', null],
  ['2027-01-01T00:00:00.123+01:00', null], [' 2027-01-01T00:00:00Z', null], ['2027-W01-1', null], ['now', null],
];
const DATE_FIELDS = new Set(['executeAt', 'localDateTime', 'until', 'occurredAt', 'acceptedAt', 'effectiveAt', 'date', 'asOf', 'from', 'to']);

const PATH_GARBAGE = [
  ['%00', 'U+0000 in a path'], ['pay_%00', 'U+0000 in a path'], ['a%00b', 'U+0000 in a path'], ['..', null], ['%2e%2e', null], ['%2F', null], ['a%2Fb', null],
  ['x'.repeat(300), null], ['x'.repeat(5000), null], ['%ff%fe', null], ['%c3%28', null], ['%ed%a0%80', null], ['%20', null], ['null', null], ['-1', null],
  ['0', null], ['%E2%80%AE', null], ['%F0%9F%92%B3', null], ['%0d%0a', null], ['%09', null], ['*', null], ["'", null], ['%25', null], ['%', null],
  ['pay_' + 'A'.repeat(26), null], ['{id}', null], ['9223372036854775808', null],
];

function pickMutation(req) {
  const op = req.op;
  const hasJson = op.contentType === 'application/json' && req.body !== null && typeof req.body === 'object';
  const classes = [];
  if (hasJson) classes.push(['wrong_type', 5], ['missing_required', 4], ['null_value', 3], ['unknown_field', 3], ['repeated_property', 3], ['cased_property', 3],
    ['enum_variant', 4], ['int_edge', 5], ['string_edge', 8], ['date_edge', 4], ['card_in_body', 2], ['max_length', 1]);
  if (op.contentType === 'application/json') classes.push(['malformed_json', 4], ['empty_body', 2], ['body_not_object', 2]);
  if (op.contentType) classes.push(['wrong_content_type', 3], ['huge_body', 0.3]);
  if (op.contentType === 'text/csv') classes.push(['csv_mutation', 6]);
  if (op.params.some((p) => p.in === 'path')) classes.push(['path_garbage', 6], ['path_card', 2], ['path_huge', 0.5]);
  if (KEY2 && op.params.some((p) => p.in === 'path') && op.method !== 'PUT') classes.push(['cross_merchant', 3]);
  if (op.params.some((p) => p.in === 'query')) classes.push(['query_garbage', 5], ['query_card', 1.5]);
  if (op.params.some((p) => ['from', 'to'].includes(p.name))) classes.push(['inverted_range', 2]);
  classes.push(['query_nul', 1], ['unknown_query', 1]);
  if (op.authenticated) classes.push(['auth', 4]);
  if (op.method !== 'GET' && op.authenticated) classes.push(['idempotency_key', 3]);
  classes.push(['wrong_method', 0.5]);
  return rand.weighted(classes);
}

function mutate(req) {
  for (let attempt = 0; attempt < 8; attempt++) {
    mutateOnce(req);
    if (!req.mutation.cls.endsWith('(noop)')) return;
  }
}

function mutateOnce(req) {
  const cls = pickMutation(req);
  const m = { cls, refuse: null, detail: '' };
  req.mutation = m;
  const op = req.op;
  const nodes = () => nodesOf(req.body, op.bodySchema);
  const refuse = (why) => { m.refuse = why; };
  switch (cls) {
    case 'wrong_type': {
      const cands = nodes().filter((n) => n.path.length > 0 && Object.keys(n.schema).length > 0);
      if (!cands.length) break;
      const n = rand.pick(cands);
      const t = n.types[0] ?? (n.schema.properties ? 'object' : 'string');
      const alts = { string: [123, true, [], {}, 1.5], integer: ['"123"', '"1"', true, [], {}, '"abc"'], number: ['"1.5"', true, [], {}], boolean: ['"true"', 1, 0, [], {}], object: ['"x"', 1, [], true], array: ['"x"', 1, {}, true] }[t] ?? [1];
      let v = rand.pick(alts);
      if (typeof v === 'string' && v.startsWith('"')) v = v.slice(1, -1); else if (typeof v === 'string') v = new Raw(v);
      req.body = setAt(req.body, n.path, v);
      m.detail = `${n.path.join('.')}: ${t} -> ${JSON.stringify(v instanceof Raw ? v.text : v)}`;
      refuse('wrong JSON type');
      break;
    }
    case 'missing_required': {
      const all = nodes().filter((n) => n.path.length > 0 && typeof n.path[n.path.length - 1] === 'string');
      const req1 = all.filter((n) => n.required);
      const n = req1.length ? rand.pick(req1) : all.length ? rand.pick(all) : null;
      if (!n) break;
      req.body = deleteAt(req.body, n.path);
      m.detail = `removed ${n.path.join('.')}${n.required ? ' (required)' : ''}`;
      if (n.required) refuse('missing required field');
      break;
    }
    case 'null_value': {
      const all = nodes().filter((n) => n.path.length > 0);
      if (!all.length) break;
      const n = rand.pick(all);
      req.body = setAt(req.body, n.path, null);
      m.detail = `${n.path.join('.')} = null`;
      if (!n.nullable && Object.keys(n.schema).length > 0) refuse('null for a non-nullable field');
      else if (n.required) refuse('null for a required field');
      break;
    }
    case 'unknown_field': {
      const objs = objectNodes(nodes()).filter((n) => n.schema.properties);
      if (!objs.length) break;
      const n = rand.pick(objs);
      const name = rand.pick(['fuzzExtra', 'id', 'merchantId', 'status', 'amount_', '', '__proto__', 'constructor', 'éx']);
      if (name in n.value && name !== '__proto__') break;
      const e = new Entries([...Object.entries(n.value), [name, rand.pick([1, 'x', null, {}, []])]]);
      req.body = setAt(req.body, n.path, e);
      m.detail = `added ${[...n.path, name].join('.')}`;
      refuse('unknown field (documented: refused)');
      break;
    }
    case 'repeated_property': {
      const objs = objectNodes(nodes()).filter((n) => Object.keys(n.value).length > 0 && n.schema.properties);
      if (!objs.length) break;
      const n = rand.pick(objs);
      const entries = Object.entries(n.value);
      const [k, v] = rand.pick(entries);
      const dupValue = rand.bool(0.5) ? clone(v) : (typeof v === 'number' ? v + 1 : typeof v === 'string' ? v + 'x' : v);
      entries.splice(rand.int(0, entries.length), 0, [k, dupValue]);
      req.body = setAt(req.body, n.path, new Entries(entries));
      m.detail = `repeated ${[...n.path, k].join('.')}`;
      refuse('repeated property');
      break;
    }
    case 'cased_property': {
      const objs = objectNodes(nodes()).filter((n) => Object.keys(n.value).length > 0 && n.schema.properties);
      if (!objs.length) break;
      const n = rand.pick(objs);
      const entries = Object.entries(n.value);
      const i = rand.int(0, entries.length - 1);
      const k = entries[i][0];
      const variants = [k[0].toUpperCase() + k.slice(1), k.toUpperCase(), k.toLowerCase(), k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())].filter((x) => x !== k);
      if (!variants.length) break;
      entries[i] = [rand.pick(variants), entries[i][1]];
      req.body = setAt(req.body, n.path, new Entries(entries));
      m.detail = `${[...n.path, k].join('.')} -> ${entries[i][0]}`;
      refuse('differently-cased property name (documented: unknown_field)');
      break;
    }
    case 'enum_variant': {
      const cands = nodes().filter((n) => typeof n.value === 'string' && (n.schema.enum || ENUMS[n.prop] || (n.prop === 'type' && ['CreateAccountRequest', 'AccountOwnerRequest'].includes(n.parentName)) || (n.prop === 'status' && n.parentName === 'DeliveryEventInput')));
      if (!cands.length) break;
      const n = rand.pick(cands);
      const values = n.schema.enum ?? ENUMS[n.prop] ?? [n.value];
      const v = n.value;
      const choice = rand.weighted([[v.toUpperCase(), 2], [v[0].toUpperCase() + v.slice(1), 2], [`${values[0]},${values[values.length - 1]}`, 2], [new Raw('0'), 1], [new Raw('1'), 1], ['1', 1], [` ${v}`, 1], [`${v} `, 1], [v.replace(/_/g, ''), 1], [v.replace(/_/g, '-'), 1], [`${v}\u0000`, 1], ['unknown_value', 1]]);
      if (choice === v) break;
      req.body = setAt(req.body, n.path, choice);
      m.detail = `${n.path.join('.')}: ${JSON.stringify(choice instanceof Raw ? choice.text : choice)}`;
      refuse('unknown enum spelling');
      break;
    }
    case 'int_edge': {
      const cands = nodes().filter((n) => n.types.includes('integer') || n.types.includes('number'));
      if (!cands.length) break;
      const n = rand.pick(cands);
      const isInt = n.types.includes('integer');
      const [text, why] = rand.pick(isInt ? INT_EDGES : NUMBER_EDGES);
      req.body = setAt(req.body, n.path, new Raw(text));
      m.detail = `${n.path.join('.')} = ${text}`;
      if (why) refuse(why);
      else if (n.prop === 'amount' && text.startsWith('-') && text !== '-0') refuse('negative amount');
      else if (n.types.includes('integer') && n.schema.format === 'int32' && (BigInt(text) > 2147483647n || BigInt(text) < -2147483648n)) refuse('integer beyond int32');
      else if (n.prop === 'amount' && n.parentName === 'TransferRequest' && (text === '0' || text === '-0')) refuse('zero-amount ledger transfer');
      break;
    }
    case 'string_edge': case 'date_edge': case 'card_in_body': case 'max_length': {
      let cands = nodes().filter((n) => n.path.length > 0 && (n.types.includes('string') || typeof n.value === 'string'));
      if (cls === 'date_edge') cands = cands.filter((n) => DATE_FIELDS.has(n.prop) || n.schema.format === 'date-time');
      if (cls === 'max_length') cands = cands.filter((n) => n.schema.maxLength || ID_FIELDS_MAX_100.has(n.prop));
      if (!cands.length) break;
      const n = rand.pick(cands);
      let v, why, detail;
      if (cls === 'string_edge') [v, why, detail] = stringEdge();
      else if (cls === 'date_edge') { [v, why] = rand.pick(DATE_EDGES); detail = v; if (n.prop === 'until' && !why) v = rand.pick(['9999-12-31T23:59:59Z', '9999-12-31T23:59:59+14:00', v]); }
      else if (cls === 'card_in_body') { v = rand.pick(['', 'order ', 'ref:']) + cardNumber(); why = 'Luhn-valid card number'; detail = v; }
      else { const max = n.schema.maxLength ?? 100; v = 'm'.repeat(max + 1); why = `string over maxLength ${max}`; detail = `${max + 1} chars`; }
      if (cls === 'string_edge' && rand.bool(0.3) && typeof n.value === 'string' && v.length < 50) v = n.value + v; // keep the field plausible
      req.body = setAt(req.body, n.path, v);
      m.detail = `${n.path.join('.')}: ${detail ?? ''}`;
      if (!why && typeof v === 'string' && v.includes('\u0000')) why = 'U+0000 in a string';
      if (why) refuse(why);
      break;
    }
    case 'malformed_json': {
      let text = ser(req.body);
      if (!text.startsWith('{') || text === '{}') text = '{"note":"x"}'; // an optional body left null: break an object instead
      const variants = [
        [text.slice(0, Math.max(1, Math.floor(text.length / 2))), 'truncated'], ['{', 'open brace'], [text + 'x', 'trailing garbage'], [text + text, 'two documents'],
        ['/* c */' + text, 'comment'], [text.replace(/}$/, ',}'), 'trailing comma'], [text.replace(/"/g, "'"), 'single quotes'], ['\ufeff' + text, 'BOM'],
        ['['.repeat(5000) + ']'.repeat(5000), 'deep nesting'], ['{"a":NaN}', 'NaN'], ['{"amount":Infinity}', 'Infinity'], [text.replace(/:/, '::'), 'double colon'],
        [text.replace(/"([a-zA-Z]+)":/, '$1:'), 'unquoted name'], ['{"\\u0000":1}', 'NUL property name'], [text.replace(/^\{/, '{"a":"\\x41",'), 'bad escape'],
        [text.replace(/^\{/, '{"a":"raw\u0001ctl",'), 'raw control character'],
      ];
      const [t, d] = rand.pick(variants);
      req.body = new Raw(t);
      m.detail = d;
      if (d !== 'BOM') refuse('malformed JSON');
      break;
    }
    case 'empty_body': {
      req.body = new Raw(rand.pick(['', ' ', '\r\n']));
      m.detail = 'empty body';
      if (op.bodyRequired) refuse('empty body for a required body');
      break;
    }
    case 'body_not_object': {
      const [t, bad] = rand.pick([['null', op.bodyRequired], ['[]', true], ['"x"', true], ['123', true], ['true', true], ['[{}]', true]]);
      req.body = new Raw(t);
      m.detail = t;
      if (bad) refuse(t === 'null' ? 'null body for a required body' : 'wrong JSON type (body)');
      break;
    }
    case 'wrong_content_type': {
      req.contentType = rand.pick([null, 'text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json-patch+json', 'application/jsonx', '*/*', 'application/json\u0000', 'text/csv', 'application/json, text/plain']);
      m.detail = `Content-Type: ${req.contentType}`;
      break;
    }
    case 'huge_body': {
      req.body = new Raw('{"description":"' + 'h'.repeat(rand.pick([1024 * 1024 + 10, 3 * 1024 * 1024, 11 * 1024 * 1024])) + '"}');
      m.detail = `${req.body.text.length} bytes`;
      break;
    }
    case 'csv_mutation': {
      const text = req.body.text;
      const lines = text.split('\r\n');
      const variants = [
        [text.replace(/,([^,]*)\r\n$/, ',' + cardNumber() + '\r\n'), 'Luhn-valid card number'], [lines[0] + '\r\n' + 'a,b\u0000,c\r\n', 'U+0000 in a string'],
        ['"unterminated,quote\r\n', null], ['', null], [lines[0] + ',' + lines[0].split(',')[0] + '\r\n', null], [text.replace(/\d+\.\d\d/, '1e308'), null],
        [text.replace(/\d+\.\d\d/, '99999999999999999999.99'), null], [text.replace(/\d+\.\d\d/, '1.234'), null], [text + 'x'.repeat(200000) + '\r\n', null],
        ['\ufeff' + text, null], [text.replace(/usd|EUR/, 'XXX'), null], [text.replace(/10:00:00/, '99:99:99'), null], [lines[0], null], [text + INVALID_UTF8_MARK, null],
      ];
      const [t, why] = rand.pick(variants);
      req.body = new Raw(t);
      m.detail = why ?? 'csv variant';
      if (why) refuse(why);
      break;
    }
    case 'path_garbage': case 'path_card': case 'path_huge': case 'cross_merchant': {
      const names = op.params.filter((p) => p.in === 'path').map((p) => p.name);
      const name = rand.pick(names);
      if (cls === 'path_garbage') { const [v, why] = rand.pick(PATH_GARBAGE); req.pathParams[name] = { raw: v }; m.detail = `${name}=${v.slice(0, 40)}`; if (why) refuse(why); }
      else if (cls === 'path_card') { const c = cardNumber(); req.pathParams[name] = { raw: rand.bool(0.7) ? c.replace(/ /g, '%20') : `pay_${c.replace(/ /g, '%20')}` }; m.detail = `${name}=card`; refuse('Luhn-valid card number'); }
      else if (cls === 'path_huge') { req.pathParams[name] = { raw: 'p'.repeat(rand.pick([10000, 70000])) }; m.detail = 'huge path'; }
      else {
        const segs = op.path.split('/').filter(Boolean);
        const coll = segs[segs.indexOf(`{${name}}`) - 1];
        const ids = foreign.get(coll) ?? [];
        if (!ids.length) break;
        req.pathParams[name] = rand.pick(ids);
        m.detail = `${name}=${req.pathParams[name]} (second merchant's)`;
        refuse("another merchant's resource");
      }
      break;
    }
    case 'query_garbage': case 'query_card': case 'inverted_range': {
      const qps = op.params.filter((p) => p.in === 'query');
      const p = rand.pick(qps);
      req.query = req.query.filter(([k]) => k !== p.name);
      const { types, schema } = deref(p.schema);
      if (cls === 'query_card') { req.query.push([p.name, cardNumber()]); m.detail = `${p.name}=card`; refuse('Luhn-valid card number'); break; }
      if (cls === 'inverted_range') {
        req.query = req.query.filter(([k]) => k !== 'from' && k !== 'to');
        const a = NOW + rand.int(1, 30) * 86400_000, b = NOW - rand.int(1, 400) * 86400_000;
        const f = (ms) => (deref(op.params.find((x) => x.name === 'from').schema).schema.format === 'date-time' ? iso(ms) : day(ms));
        req.query.push(['from', f(a)], ['to', rand.bool(0.2) ? f(NOW - 3650 * 86400_000 * 100) : f(b)]);
        if (rand.bool(0.3)) req.query[req.query.length - 2][1] = rand.pick(['0001-01-01', '9999-12-31', '0001-01-01T00:00:00Z']);
        m.detail = req.query.map(([k, v]) => `${k}=${v}`).join('&');
        break;
      }
      const isInt = types[0] === 'integer';
      const isDate = schema.format === 'date-time' || ['from', 'to', 'date', 'asOf'].includes(p.name);
      const options = [
        ['', null], ['%00', 'U+0000 in a query'], ['a%00', 'U+0000 in a query'], ['x'.repeat(300), null], ['y'.repeat(5000), null], ['%ff%fe', null], ['%ed%a0%80', null],
        ['%E2%80%AE%F0%9F%92%B3', null], ['null', null], ['%20', null], ['a,b', null], ['%0d%0aX-Injected:%201', null],
      ];
      if (isInt) options.push(['abc', 'wrong type in query'], ['1.5', 'wrong type in query'], ['2147483648', 'integer beyond int32'], ['-1', null], ['0', null], ['-2147483649', 'integer beyond int32'], ['1e3', 'wrong type in query'], ['9223372036854775808', 'integer beyond int32'], ['2147483647', null]);
      if (isDate) for (const [d, why] of DATE_EDGES) options.push([encodeURIComponent(d), why]);
      if (p.name === 'status' || p.name === 'psp') options.push(['CAPTURED', 'unknown enum spelling'], ['Stripe', 'unknown enum spelling'], ['captured,refunded', 'unknown enum spelling'], ['1', 'unknown enum spelling']);
      const [v, why] = rand.pick(options);
      req.query.push([p.name, { raw: v }]);
      m.detail = `${p.name}=${v.slice(0, 60)}`;
      if (why) refuse(why);
      break;
    }
    case 'query_nul': { req.query.push([rand.pick(['x', 'limit%00', 'a']), { raw: rand.pick(['%00', 'b%00c']) }]); m.detail = 'NUL in query'; refuse('U+0000 in a query'); break; }
    case 'unknown_query': { req.query.push([rand.pick(['foo', 'api_key', 'LIMIT', 'expand[]']), { raw: rand.pick(['1', 'x'.repeat(2000), '']) }]); m.detail = 'unknown query param'; break; }
    case 'auth': {
      req.headers = req.headers.filter(([k]) => k !== 'Authorization');
      const [h, why] = rand.pick([
        [null, 'no Authorization'], ['', 'empty Authorization'], ['Bearer', 'malformed Authorization'], ['Bearer ', 'malformed Authorization'],
        [`Bearer sk_test_${'0'.repeat(40)}`, 'wrong key'], [`Bearer ${KEY}x`, 'wrong key'], [`Bearer ${KEY.slice(0, -1)}`, 'wrong key'],
        [`Basic ${Buffer.from('u:' + KEY).toString('base64')}`, 'malformed Authorization'], [`Token ${KEY}`, 'malformed Authorization'],
        [`bearer ${KEY}`, null], [`Bearer  ${KEY}`, null], [`Bearer ${KEY.toUpperCase()}`, 'wrong key'], [Buffer.from(`Bearer ${KEY}\u0000`, 'latin1'), 'malformed Authorization'],
        [`Bearer ${KEY} ${KEY}`, 'malformed Authorization'], ['Bearer ' + 'k'.repeat(5000), 'wrong key'], [Buffer.from('Bearer sk_test_\u00e9\u00e9\u00e9', 'utf8'), 'wrong key'],
        ['Bearer pk_test_' + 'a'.repeat(30), 'wrong key'], ['Bearer sk_test_', 'wrong key'],
      ]);
      if (h !== null) req.headers.push(['Authorization', h]);
      m.detail = h === null ? 'no Authorization' : `Authorization: ${String(h).replace(KEY, '<key>').replace(KEY.toUpperCase(), '<KEY>').slice(0, 60)}`;
      if (why) refuse(why);
      break;
    }
    case 'idempotency_key': {
      req.headers = req.headers.filter(([k]) => k !== 'Idempotency-Key');
      const reuse = idemUsed.filter((u) => u.op === op.id && u.ok);
      const choice = rand.weighted([['empty', 2], ['long', 2], ['nul', 2], ['nonascii', 1], ['space', 1], ['ctl', 1], ['max', 1], ['two', 1], ['reuse', reuse.length ? 3 : 0]]);
      let v;
      const learned = idemOps.has(op.id);
      switch (choice) {
        case 'empty': v = ''; if (learned) refuse('empty Idempotency-Key'); break;
        case 'long': v = 'k'.repeat(300); if (learned) refuse('Idempotency-Key over 255 characters'); break;
        case 'max': v = 'k'.repeat(249) + rand.alnum(6); break;
        case 'nul': v = Buffer.from(`fz-${rand.alnum(8)}\u0000x`, 'latin1'); if (learned) refuse('U+0000 in Idempotency-Key'); break;
        case 'nonascii': v = Buffer.from(`ключ-${rand.alnum(6)}`, 'utf8'); if (learned) refuse('non-ASCII Idempotency-Key'); break;
        case 'space': v = `fz ${rand.alnum(6)}`; break;
        case 'ctl': v = Buffer.from(`fz\u0001${rand.alnum(6)}`, 'latin1'); if (learned) refuse('control character in Idempotency-Key'); break;
        case 'two': req.headers.push(['Idempotency-Key', `fz-${rand.alnum(10)}`]); v = `fz-${rand.alnum(10)}`; break;
        case 'reuse': { const u = rand.pick(reuse); v = u.key; m.reuse = u; break; }
      }
      req.headers.push(['Idempotency-Key', v]);
      m.detail = `Idempotency-Key ${choice}`;
      break;
    }
    case 'wrong_method': {
      req.method = rand.pick(['DELETE', 'PATCH', 'PUT', 'GET', 'POST', 'OPTIONS', 'TRACE', 'FUZZ'].filter((x) => x !== op.method));
      m.detail = req.method;
      break;
    }
  }
  if (m.refuse === null && m.detail === '') m.cls = `${cls}(noop)`;
}

// ---------------------------------------------------------------- webhooks
function stripeSign(payload, secret, ts) {
  const sig = crypto.createHmac('sha256', secret).update(`${ts}.`).update(payload).digest('hex');
  return `t=${ts},v1=${sig}`;
}

function webhookRequest(op) {
  const req = { op, method: 'POST', pathParams: {}, query: [], headers: [], body: null, contentType: 'application/json', mutation: { cls: 'wh_valid', refuse: null, detail: '' } };
  const pays = pool('payments');
  const pay = pays.length && rand.bool(0.8) ? rand.pick(pays) : `pay_${rand.alnum(26)}`;
  const mutation = rand.weighted([['valid', 4], ['bad_signature', 2], ['no_signature', 1], ['old_timestamp', 1], ['malformed_json', 2], ['nul', 2], ['card', 2], ['missing_field', 2],
    ['wrong_type', 2], ['huge', 0.5], ['repeated_property', 1.5], ['control_char', 1], ['lone_surrogate', 1], ['amount_edge', 2], ['empty', 1], ['not_object', 1]]);
  const refuse = (why) => { req.mutation.refuse = why; };
  req.mutation.cls = `wh_${mutation}`;
  let text;
  let obj;
  if (op.path.endsWith('/stripe')) {
    const kind = rand.pick(['payment_intent.succeeded', 'payment_intent.amount_capturable_updated', 'payment_intent.payment_failed', 'payment_intent.canceled', 'payment_intent.processing', 'refund.updated', 'refund.failed', 'charge.succeeded', 'customer.created']);
    const isRefund = kind.startsWith('refund');
    const dataObj = isRefund
      ? { id: `re_${rand.alnum(14)}`, object: 'refund', amount: rand.int(1, 5000), currency: rand.pick(['usd', 'eur']), status: rand.pick(['succeeded', 'pending', 'failed']), metadata: { obol_payment_id: pay, obol_attempt_id: `att_${rand.alnum(26)}` } }
      : { id: `pi_${rand.alnum(14)}`, object: 'payment_intent', amount: rand.int(1, 50000), currency: rand.pick(['usd', 'eur']), status: 'succeeded', metadata: { obol_payment_id: pay } };
    obj = { id: `evt_${rand.alnum(16)}`, object: 'event', api_version: '2024-06-20', created: Math.floor(NOW / 1000), type: kind, livemode: false, data: { object: dataObj } };
    let ts = Math.floor(Date.now() / 1000);
    let secret = STRIPE_SECRET;
    switch (mutation) {
      case 'bad_signature': secret = 'whsec_wrong'; refuse('invalid webhook signature'); break;
      case 'old_timestamp': ts -= 3600; refuse('webhook signature too old'); break;
      case 'no_signature': refuse('unsigned webhook'); break;
      case 'nul': obj.type = `${kind}\u0000`; refuse('U+0000 in a string'); break;
      case 'card': dataObj.description = cardNumber(); refuse('Luhn-valid card number'); break;
      case 'missing_field': { const f = rand.pick(['id', 'type', 'data', 'data.object', 'currency']); if (f === 'data.object') delete obj.data.object; else if (f === 'currency') delete dataObj.currency; else delete obj[f]; req.mutation.detail = `missing ${f}`; refuse('missing required field'); break; }
      case 'wrong_type': { const f = rand.pick(['amount', 'id', 'created', 'metadata']); dataObj[f] = rand.pick([{}, [], true, 'x']); req.mutation.detail = `${f} wrong type`; break; }
      case 'huge': dataObj.description = 'd'.repeat(100000); break;
      case 'lone_surrogate': obj.id = `evt_\ud800${rand.alnum(4)}`; break;
      case 'amount_edge': dataObj.amount = new Raw(rand.pick(['9223372036854775808', '-1', '1.5', '1e400', '-9223372036854775808'])); req.mutation.detail = `amount=${dataObj.amount.text}`; break;
    }
    text = ser(obj);
    if (mutation === 'malformed_json') { text = rand.pick([text.slice(0, text.length >> 1), text + '}', '{', text.replace(/"/g, "'")]); refuse('malformed JSON'); }
    if (mutation === 'repeated_property') { text = text.replace(/^\{/, `{"type":"customer.created",`); refuse('repeated property'); }
    if (mutation === 'control_char') { text = text.replace(/"evt_/, '"evt_\u0001'); refuse('raw control character in JSON'); }
    if (mutation === 'empty') { text = ''; refuse('empty body'); }
    if (mutation === 'not_object') { text = rand.pick(['[]', 'null', '"x"', '1']); refuse('wrong JSON type (body)'); }
    if (mutation !== 'no_signature') req.headers.push(['Stripe-Signature', stripeSign(encodeBody(text), secret, ts)]);
  } else {
    const merchantRef = rand.bool(0.7) ? pay : `att_${rand.alnum(26)}`;
    const item = { amount: { currency: rand.pick(['USD', 'EUR']), value: rand.int(1, 50000) }, eventCode: rand.pick(['AUTHORISATION', 'CAPTURE', 'CAPTURE_FAILED', 'CANCELLATION', 'REFUND', 'REFUND_FAILED', 'REPORT_AVAILABLE']),
      eventDate: iso(NOW), merchantAccountCode: 'ObolMerchantAccount', merchantReference: merchantRef, pspReference: rand.alnum(16).toUpperCase(), success: rand.pick(['true', 'false']), reason: '' };
    if (rand.bool(0.3)) item.originalReference = rand.alnum(16).toUpperCase();
    let key = Buffer.from(ADYEN_KEY, 'hex');
    switch (mutation) {
      case 'bad_signature': key = Buffer.from('00'.repeat(32), 'hex'); refuse('invalid webhook signature'); break;
      case 'no_signature': refuse('unsigned webhook'); break;
      case 'nul': item.reason = 'x\u0000'; refuse('U+0000 in a string'); break;
      case 'card': item.merchantReference = cardNumber(); refuse('Luhn-valid card number'); break;
      case 'missing_field': { const f = rand.pick(['pspReference', 'merchantAccountCode', 'eventCode', 'success', 'amount']); delete item[f]; req.mutation.detail = `missing ${f}`; refuse('missing required field'); break; }
      case 'wrong_type': { const f = rand.pick(['success', 'pspReference', 'amount']); item[f] = f === 'success' ? rand.pick([true, 'TRUE', 1]) : f === 'amount' ? { currency: 'USD', value: '100' } : 123; req.mutation.detail = `${f} wrong type`; refuse('wrong JSON type'); break; }
      case 'huge': item.reason = 'r'.repeat(100000); break;
      case 'lone_surrogate': item.reason = 'x\udc00'; break;
      case 'amount_edge': item.amount.value = new Raw(rand.pick(['9223372036854775808', '-1', '1.5', '1e400', '-9223372036854775808'])); req.mutation.detail = `value=${item.amount.value.text}`; if (['9223372036854775808', '1.5', '1e400'].includes(item.amount.value.text)) refuse('wrong JSON type'); break;
    }
    if (mutation !== 'no_signature' && item.amount && typeof item.amount === 'object') {
      const v = item.amount.value instanceof Raw ? item.amount.value.text : String(item.amount.value);
      const signing = [item.pspReference ?? '', item.originalReference ?? '', item.merchantAccountCode ?? '', item.merchantReference ?? '', v, item.amount.currency ?? '', item.eventCode ?? '', String(item.success)].join(':');
      item.additionalData = { hmacSignature: crypto.createHmac('sha256', key).update(signing, 'utf8').digest('base64') };
    }
    obj = { live: 'false', notificationItems: [{ NotificationRequestItem: item }] };
    text = ser(obj);
    if (mutation === 'malformed_json') { text = rand.pick([text.slice(0, text.length >> 1), text + ']', '{', '{"notificationItems":{}}']); refuse('malformed JSON'); }
    if (mutation === 'repeated_property') { text = text.replace(/"eventCode":/, '"eventCode":"REPORT_AVAILABLE","eventCode":'); refuse('repeated property'); }
    if (mutation === 'control_char') { text = text.replace(/"reason":"/, '"reason":"\u0001'); refuse('raw control character in JSON'); }
    if (mutation === 'empty') { text = ''; refuse('empty body'); }
    if (mutation === 'not_object') { text = rand.pick(['[]', 'null', '"x"', '1']); refuse('wrong JSON type (body)'); }
  }
  req.body = new Raw(text);
  return req;
}

// ---------------------------------------------------------------- serialization of a request to bytes
function buildPath(req) {
  let p = req.op.path;
  for (const [k, v] of Object.entries(req.pathParams)) p = p.replace(`{${k}}`, typeof v === 'object' ? v.raw : encodeURIComponent(v));
  if (req.query.length) p += '?' + req.query.map(([k, v]) => `${k}=${typeof v === 'object' ? v.raw : encodeURIComponent(v)}`).join('&');
  return p;
}

function materialize(req) {
  const headers = [...req.headers];
  let body = null;
  if (req.body !== null && req.body !== undefined) {
    body = encodeBody(ser(req.body));
  } else if (req.op.contentType === 'application/json' && req.method !== 'GET' && req.op.bodySchema && !req.op.bodyRequired && req.mutation.cls === 'valid') {
    body = null; // an optional body left out
  }
  if (body !== null && req.contentType) headers.push(['Content-Type', req.contentType === 'text/csv' ? 'text/csv' : req.contentType]);
  return { method: req.method, path: buildPath(req), headers, body };
}

// ---------------------------------------------------------------- oracles
const CARD_RE = /\d(?:[ -]?\d){12,18}/g;
function findCards(text) {
  const found = [];
  for (const m of text.matchAll(CARD_RE)) {
    const digits = m[0].replace(/[ -]/g, '');
    if (sentCards.has(digits)) found.push(digits);
  }
  return found;
}

let protocolRefusals = 0;

function judge(req, res) {
  const failures = [];
  const ct = (res.headers['content-type'] ?? '').toLowerCase();
  const text = res.body.toString('utf8');
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (res.status === 0) failures.push({ oracle: 'no_response', why: res.error });
  else if (res.status >= 500) failures.push({ oracle: '5xx', why: json?.code ?? text.slice(0, 80) });
  else if (res.status >= 400) {
    const bare = res.body.length === 0 && !ct;
    if (bare && [400, 414, 431].includes(res.status)) {
      // Not HTTP that Kestrel accepts (a control character in a header value, an encoded NUL in the path, a request line
      // or headers over Kestrel's limits): refused before any middleware runs, with no body. Obol's own middleware gives
      // every 4xx a problem+json body, so a bare one can only come from there. Counted, not a failure (docs/README.md).
      protocolRefusals++;
    } else if (!ct.startsWith('application/problem+json')) {
      failures.push({ oracle: '4xx_not_problem_json', why: bare ? `bare ${res.status} without a body` : `content-type '${ct}'` });
    }
    else if (!json || typeof json.code !== 'string' || !json.code) failures.push({ oracle: '4xx_without_code', why: text.slice(0, 80) });
  } else if (res.status >= 200 && res.status < 300 && req.mutation.refuse) {
    if (!refusedPerItem(req, json)) failures.push({ oracle: 'accepted_should_refuse', why: req.mutation.refuse });
  }
  if (res.status >= 200 && res.status < 300 && req.mutation.reuse) {
    const u = req.mutation.reuse;
    const hash = crypto.createHash('sha256').update(materialize(req).body ?? '').digest('hex');
    if (hash !== u.bodyHash) failures.push({ oracle: 'accepted_should_refuse', why: 'Idempotency-Key reused with a different body (documented: 422)' });
  }
  if (text.includes(KEY) || (KEY2 && text.includes(KEY2))) failures.push({ oracle: 'secret_in_response', why: 'the API key is echoed' });
  const cards = findCards(text);
  if (cards.length) failures.push({ oracle: 'card_in_response', why: 'a card number sent is echoed' });
  if (res.error && res.status !== 0) failures.push({ oracle: 'broken_response', why: res.error });
  return { failures, json };
}

/** Endpoints that answer 200 with per-item rejections: the mutated item counts as refused when it is rejected. */
function refusedPerItem(req, json) {
  if (!json || typeof json !== 'object') return false;
  if (req.op.path === '/v1/delivery-events') return Array.isArray(json.rejected) && json.rejected.length > 0;
  if (req.op.path === '/v1/ledger/transactions/batch') return Array.isArray(json.results) && json.results.some((r) => r.problem);
  return false;
}

// ---------------------------------------------------------------- the run
const out = fs.openSync(OUT, 'w');
const stats = { byOp: new Map(), byClass: new Map(), signatures: new Map() };
const bump = (map, key, status, failed) => {
  let s = map.get(key);
  if (!s) map.set(key, (s = { n: 0, s2: 0, s4: 0, s5: 0, other: 0, fail: 0 }));
  s.n++;
  if (status >= 200 && status < 300) s.s2++; else if (status >= 400 && status < 500) s.s4++; else if (status >= 500) s.s5++; else s.other++;
  if (failed) s.fail++;
};
let failureCount = 0;
const bodyPreview = (b) => {
  if (!b) return '';
  const s = b.length > 2000 ? b.subarray(0, 2000) : b;
  return JSON.stringify(s.toString('utf8')).slice(1, -1) + (b.length > 2000 ? `…(+${b.length - 2000} bytes)` : '');
};
const redactHeaders = (hs) => hs.map(([k, v]) => {
  let s = Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
  s = s.split(KEY).join('<api-key>');
  if (KEY2) s = s.split(KEY2).join('<api-key-2>');
  if (s.length > 300) s = s.slice(0, 300) + `…(${s.length} chars)`;
  return [k, JSON.stringify(s).slice(1, -1)];
});

function curlFor(wire) {
  // ANSI-C quoting for bytes; $BASE and $KEY are left to the shell. (bash cannot hold U+0000 in an argument: a NUL in a
  // header or body is cut there; send those with printf … | nc instead.)
  const q = (str) => "$'" + str.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/[\x00-\x1f\x7f-\xff]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')) + "'";
  const withKey = (str) => str.split(KEY).map(q).join('"$KEY"');
  const path = Buffer.isBuffer(wire.path) ? wire.path.toString('latin1') : wire.path;
  const parts = ['curl', '-sS', '-i', '-X', wire.method, '"$BASE"' + q(path.length > 300 ? path.slice(0, 300) + '…' : path)];
  for (const [k, v] of wire.headers) {
    const str = Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
    parts.push('-H', withKey(`${k}: ${str.length > 300 ? str.slice(0, 300) + '…' : str}`));
  }
  if (wire.body) {
    const b = wire.body.toString('latin1');
    parts.push('--data-binary', q(b.length > 2000 ? b.slice(0, 2000) + '…' : b));
  }
  return parts.join(' ');
}

async function execute(req) {
  const wire = materialize(req);
  const res = await send(TARGET, wire, TIMEOUT);
  return { wire, res };
}

function record(seq, req, wire, res, failures) {
  const opId = req.op.id;
  const cls = req.mutation.cls;
  bump(stats.byOp, opId, res.status, failures.length > 0);
  bump(stats.byClass, cls, res.status, failures.length > 0);
  for (const f of failures) {
    failureCount++;
    let code = '';
    try { code = JSON.parse(res.body.toString('utf8')).code ?? ''; } catch { /* */ }
    const sig = `${f.oracle} | ${opId} | ${cls} | ${f.why} | ${res.status}${code ? ' ' + code : ''}`;
    const s = stats.signatures.get(sig) ?? { count: 0, first: seq };
    s.count++;
    stats.signatures.set(sig, s);
    const line = {
      label: LABEL, seed: SEED, seq, oracle: f.oracle, why: f.why, operation: opId, class: cls, detail: req.mutation.detail,
      method: wire.method, path: (Buffer.isBuffer(wire.path) ? wire.path.toString('latin1') : wire.path).slice(0, 2000),
      headers: redactHeaders(wire.headers), body: bodyPreview(wire.body), status: res.status, responseHeaders: res.headers,
      response: bodyPreview(res.body), ms: Math.round(res.ms), curl: curlFor(wire),
    };
    fs.writeSync(out, JSON.stringify(line) + '\n');
  }
}

async function createForeignResources() {
  if (!KEY2) return;
  const k2 = (op) => ['Authorization', `Bearer ${KEY2}`];
  const make = async (opId, body, idem = true) => {
    const op = OPS.find((o) => o.id === opId);
    if (!op) return;
    const headers = [k2(op), ['Content-Type', 'application/json']];
    if (idem) headers.push(['Idempotency-Key', `fz2-${SEED}-${rand.alnum(12)}`]);
    const path = op.path.replace('{id}', body.__id ?? '');
    delete body.__id;
    const res = await send(TARGET, { method: op.method, path, headers, body: Buffer.from(JSON.stringify(body)) }, TIMEOUT);
    if (res.status >= 200 && res.status < 300) {
      try {
        harvest(op, JSON.parse(res.body.toString('utf8')), (c, id) => { const l = foreign.get(c) ?? []; if (!l.includes(id)) l.push(id); foreign.set(c, l); });
      } catch { /* */ }
    }
  };
  for (let i = 0; i < 3; i++) {
    await make('POST /v1/payments', { amount: 1000 + i, currency: 'USD', paymentMethod: 'pm_card_visa', captureMethod: i === 0 ? 'manual' : 'automatic' });
    await make('POST /v1/ledger/accounts', { code: `fz2_${rand.alnum(6)}`, type: 'asset', currency: 'USD' });
    await make('POST /v1/scheduled-payments', { amount: 500, currency: 'USD', paymentMethod: 'pm_card_visa', executeAt: iso(NOW + 86400_000 * 30) });
  }
  const pays = foreign.get('payments') ?? [];
  if (pays[1]) await make('POST /v1/payments/{id}/refunds', { __id: pays[1], amount: 10 });
  const courier = `fzc2_${rand.alnum(6)}`;
  await make('PUT /v1/couriers/{id}', { __id: courier, timeZone: 'UTC', currency: 'USD', basePayRate: 10, bonusPay: 0, deliveriesPerBonus: 1, cancellationPay: 0, payPeriodStartDay: 'monday' }, false);
  const l = foreign.get('couriers') ?? []; if (!l.includes(courier)) l.push(courier); foreign.set('couriers', l);
  const counts = [...foreign.entries()].map(([k, v]) => `${k}:${v.length}`).join(' ');
  console.log(`[${LABEL}] second merchant's resources for cross-merchant checks: ${counts}`);
}

function chooseOp(i) {
  // Early on, weight creating operations so the pools of ids fill; then spread evenly.
  const creators = ['POST /v1/payments', 'POST /v1/ledger/accounts', 'PUT /v1/couriers/{id}', 'POST /v1/scheduled-payments', 'POST /v1/ledger/transactions', 'POST /v1/delivery-events', 'POST /v1/payments/{id}/refunds', 'POST /v1/reconciliation/runs'];
  const warm = i < Math.min(300, REQUESTS / 10);
  return rand.weighted(OPS.map((op) => [op, (creators.includes(op.id) ? (warm ? 12 : 2.5) : 1) * (op.path === '/healthz' || op.path === '/readyz' ? 0.2 : 1)]));
}

const started = Date.now();
const validRefusals = new Map();
console.log(`[${LABEL}] fuzzing ${BASE.origin}: ${OPS.length} operations, seed ${SEED}, ${REQUESTS} requests, failures to ${OUT}`);
await createForeignResources();
for (let i = 0; i < REQUESTS; i++) {
  const op = chooseOp(i);
  let req;
  if (op.webhook) req = webhookRequest(op);
  else {
    req = baseRequest(op);
    if (i >= 50 && rand.bool(0.6)) mutate(req);
  }
  const { wire, res } = await execute(req);
  const { failures, json } = judge(req, res);
  if (res.status >= 200 && res.status < 300 && json && !op.webhook) {
    if (op.id === 'PUT /v1/couriers/{id}' && typeof req.pathParams.id === 'string' && !couriers.includes(req.pathParams.id)) couriers.push(req.pathParams.id);
    if (op.id === 'POST /v1/api-keys') { if (json.id && !PROTECTED_KEY_IDS.has(json.id)) addId('api-keys', json.id); }
    else harvest(op, json);
  }
  if (json && (json.code === 'idempotency_key_required' || String(json.code ?? '').startsWith('idempotency_key')) || res.headers['idempotent-replayed']) idemOps.add(op.id);
  if (res.status >= 200 && res.status < 300 && !req.mutation.reuse) {
    const k = req.headers.find(([h]) => h === 'Idempotency-Key');
    if (k && typeof k[1] === 'string' && k[1].startsWith('fz-')) {
      idemUsed.push({ key: k[1], op: op.id, ok: true, bodyHash: crypto.createHash('sha256').update(wire.body ?? '').digest('hex') });
      if (idemUsed.length > 200) idemUsed.shift();
    }
  }
  record(i, req, wire, res, failures);
  if (args.verbose && req.mutation.cls === 'valid' && res.status >= 400) {
    const k = `${op.id} ${res.status} ${json?.code ?? ''}`;
    validRefusals.set(k, (validRefusals.get(k) ?? 0) + 1);
  }
  if (PROGRESS && (i + 1) % PROGRESS === 0) console.log(`[${LABEL}] ${i + 1}/${REQUESTS} requests, ${failureCount} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

// Oracle (d): the server is still healthy.
const health = await send(TARGET, { method: 'GET', path: '/healthz', headers: [] }, TIMEOUT);
let healthy = health.status === 200;
try { healthy = healthy && JSON.parse(health.body.toString('utf8')).status === 'ok'; } catch { healthy = false; }
if (!healthy) {
  failureCount++;
  fs.writeSync(out, JSON.stringify({ label: LABEL, oracle: 'unhealthy_at_end', status: health.status, response: bodyPreview(health.body) }) + '\n');
  stats.signatures.set(`unhealthy_at_end | GET /healthz | - | - | ${health.status}`, { count: 1, first: REQUESTS });
}
fs.closeSync(out);
fs.writeFileSync(`${OUT}.cards.txt`, [...sentCards].join('\n') + (sentCards.size ? '\n' : ''));

const secs = (Date.now() - started) / 1000;
const table = (title, map) => {
  console.log(`\n${title}`);
  console.log(`  ${'requests'.padStart(8)} ${'2xx'.padStart(6)} ${'4xx'.padStart(6)} ${'5xx'.padStart(5)} ${'other'.padStart(5)} ${'fail'.padStart(5)}  name`);
  for (const [k, s] of [...map.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    console.log(`  ${String(s.n).padStart(8)} ${String(s.s2).padStart(6)} ${String(s.s4).padStart(6)} ${String(s.s5).padStart(5)} ${String(s.other).padStart(5)} ${String(s.fail).padStart(5)}  ${k}`);
  }
};
table(`[${LABEL}] per operation`, stats.byOp);
table(`[${LABEL}] per class`, stats.byClass);
if (args.verbose) {
  console.log(`\n[${LABEL}] refusals of unmutated requests (op status code: count)`);
  for (const [k, n] of [...validRefusals.entries()].sort()) console.log(`  ${String(n).padStart(5)}  ${k}`);
}
console.log(`\n[${LABEL}] distinct failure signatures (oracle | operation | class | why | status code): ${stats.signatures.size}`);
for (const [sig, s] of [...stats.signatures.entries()].sort((a, b) => b[1].count - a[1].count)) console.log(`  ${String(s.count).padStart(6)}  ${sig}  (first at #${s.first})`);
console.log(`\n[${LABEL}] ${REQUESTS} requests in ${secs.toFixed(1)} s (${(REQUESTS / secs).toFixed(0)}/s); ${failureCount} failures; ${protocolRefusals} refused by Kestrel as HTTP it does not accept (no body); /healthz ${healthy ? 'healthy' : 'UNHEALTHY'}; ${sentCards.size} distinct card numbers sent (listed in ${OUT}.cards.txt)`);
process.exit(failureCount > 0 ? 1 : 0);
