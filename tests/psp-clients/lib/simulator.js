'use strict';
// Where run.sh started the standalone simulator, and what every test needs around it: its control endpoints, a
// webhook receiver, and the fields Stripe's spec marks required, read from the Stripe library's own declarations.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests with tests/psp-clients/run.sh`);
  }
  return value;
}

/** The simulator's plain HTTP root (control endpoints), its HTTPS root (PSP APIs) and its CONNECT proxy port. */
const sim = {
  http: new URL(env('SIM_HTTP')),
  https: new URL(env('SIM_HTTPS')),
  proxyPort: Number(env('SIM_PROXY_PORT')),
  stripeKey: 'sk_test_psp_clients',
  stripeWebhookSecret: 'whsec_psp_clients',
  adyenKey: 'adyen_psp_clients',
  adyenHmacKey: '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056',
  merchantAccount: 'ObolMerchant',
};

async function control(method, route, body) {
  const response = await fetch(new URL(route, sim.http), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** An HTTP server on a free loopback port that records every webhook delivery and answers as the PSP expects. */
async function startReceiver(answer = '[accepted]') {
  const received = [];
  const waiters = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'text/plain' }).end(answer);
      for (const waiter of waiters.splice(0)) {
        waiter();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    received,
    /** The first delivery matching `predicate`, waiting up to 10 s for it. */
    async waitFor(predicate, what) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = received.find(predicate);
        if (found) {
          return found;
        }
        const left = deadline - Date.now();
        assert.ok(left > 0, `no webhook ${what} within 10 s; received: ${received.map((r) => r.body).join('\n')}`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => { clearTimeout(timer); resolve(); });
        });
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const stripeTypes = path.join(path.dirname(require.resolve('stripe')), 'resources');

/**
 * The property names a Stripe type declares without `?`: in the stripe library, generated from Stripe's OpenAPI spec,
 * those are the spec's required properties (nullable ones typed `| null`). `typePath` is an exported interface
 * ('Charge') or one nested in its namespace ('Charge.BillingDetails'); `file` is under cjs/resources or cjs/.
 */
function requiredFields(file, typePath) {
  const candidates = [path.join(stripeTypes, file), path.join(stripeTypes, '..', file)];
  const source = fs.readFileSync(candidates.find((f) => fs.existsSync(f)), 'utf8');
  const [top, ...nested] = typePath.split('.');
  let block = source;
  let indent = '';
  if (nested.length === 0) {
    block = between(block, `\nexport interface ${top} {`, '\n}');
  } else {
    block = between(block, `\nexport declare namespace ${top} {`, '\n}');
    nested.forEach((name, i) => {
      indent = '    '.repeat(i + 1);
      const last = i === nested.length - 1;
      block = between(block, `\n${indent}${last ? 'interface' : 'namespace'} ${name} {`, `\n${indent}}`);
    });
  }
  const property = new RegExp(`^${indent}    ([a-z0-9_]+)(\\??):`, 'gm');
  const fields = [...block.matchAll(property)].filter((m) => m[2] === '').map((m) => m[1]);
  assert.ok(fields.length > 0, `no required fields found for ${typePath} in ${file}`);
  return fields;
}

function between(text, start, end) {
  const from = text.indexOf(start);
  assert.ok(from >= 0, `'${start.trim()}' not found`);
  const to = text.indexOf(end, from + start.length);
  return text.slice(from, to);
}

/** Asserts `object` has every field `typePath` requires (present, possibly null), and names what it checked. */
function assertRequired(object, file, typePath, where) {
  const missing = requiredFields(file, typePath).filter((field) => !(field in object));
  assert.deepEqual(missing, [], `${where}: ${typePath} lacks fields Stripe's spec requires`);
}

/** Asserts none of `object`'s own fields is null: for shapes whose absent fields Stripe omits (errors). */
function assertNoNulls(object, where) {
  const nulls = Object.keys(object).filter((key) => object[key] === null);
  assert.deepEqual(nulls, [], `${where}: null fields, where Stripe omits an absent field`);
}

module.exports = { sim, control, startReceiver, requiredFields, assertRequired, assertNoNulls };
